/**
 * Every page usable on a phone and by everyone (issue 15): at 360, 390 and 414 px wide the join page,
 * a participant tab and the dashboard have no sideways scrolling (scrollWidth ≤ innerWidth),
 * and axe-core finds no serious or critical violation on each of them once a few rounds have
 * run (the pages in their populated state).
 */
import { expect, test, type Page } from '@playwright/test';
import type { FederationEvent } from '../src/wire/events';
import { seriousViolations } from './axe';
import { TestFederation } from './federation';
import { openTab } from './tabs';

type Done = Extract<FederationEvent, { type: 'round_done' }>;
const WIDTHS = [360, 390, 414] as const;

async function overflow(page: Page): Promise<{ scroll: number; inner: number; culprits: string[] }> {
  return page.evaluate(() => {
    const inner = window.innerWidth;
    const culprits: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      const r = el.getBoundingClientRect();
      const pr = el.parentElement?.getBoundingClientRect();
      if (r.right > inner + 1 && pr && pr.right <= inner + 1 && !el.closest('.chart') && culprits.length < 8)
        culprits.push(`${el.tagName}#${el.id}.${el.className} ${Math.round(r.right)}`);
    }
    return { scroll: document.documentElement.scrollWidth, inner, culprits };
  });
}

let fed: TestFederation;
test.beforeEach(async () => {
  fed = await TestFederation.start({
    trainers: 3,
    members: 3,
    committee: '3,3,2',
    pauseS: 0.5,
    extra: ['--fail-round', '2'],
  });
});
test.afterEach(async () => {
  await fed.stop();
});

test('join page, tab and dashboard: no sideways scrolling at 360, 390 and 414 px, no serious axe violation', async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const tab = await openTab(browser, fed, 'trainer', 'phone');
  const dash = await (await browser.newContext()).newPage();
  await dash.goto(`${fed.url}/dashboard.html#join=${encodeURIComponent(fed.joinUrl)}`);
  // A few rounds, one of them failed: every panel has content.
  await fed.waitFor(
    (e): e is Done => e.type === 'round_done' && e.round >= 3 && e.survivors.some((s) => s.startsWith(tab.shortId)),
  );
  await expect(tab.page.locator('tr[data-round="3"]')).toContainText('aggregated');
  await expect(dash.locator('#history tr[data-round="3"]')).toBeVisible();
  await expect(dash.locator('#join-qr svg')).toBeVisible();
  await expect(dash.locator('#baseline-federation')).toBeVisible();

  // The round as a person sees it: what the server received from this tab beside what it learned.
  await expect(tab.page.locator('#server-received')).toContainText(
    /one message of [\d.]+ (KiB|MiB) — your update hidden under a random mask/,
  );
  await expect(tab.page.locator('#server-learned')).toContainText(/only the sum of the \d+ trainers’ updates/);
  await expect(tab.page.locator('#fact-backend')).toHaveText('this computer’s processor (WebAssembly)');
  await expect(tab.page.locator('#round-status')).not.toBeEmpty();

  // Live regions, progressbars, the current step, a table for each chart, keyboard reach.
  await expect(tab.page.locator('#stepper [aria-current="step"]')).toHaveCount(1);
  await expect(tab.page.locator('#round-status')).toHaveAttribute('aria-live', 'polite');
  await expect(tab.page.locator('#connection-text')).toHaveAttribute('role', 'status');
  await expect(tab.page.locator('[role="progressbar"]')).toHaveCount(2);
  await expect(tab.page.locator('details.as-table')).toHaveCount(2);
  await expect(dash.locator('details.as-table')).toHaveCount(4);
  await expect(dash.locator('#now-title')).toHaveAttribute('aria-live', 'polite');
  await expect(dash.locator('#story')).toHaveAttribute('tabindex', '0');
  // Every chart's legend is a group of toggle buttons beside the chart (not inside its image
  // region): each reachable by Tab, Enter hides its line and says so, Enter again shows it.
  await expect(dash.locator('.u-legend')).toHaveCount(0);
  await expect(dash.locator('[role="img"] button')).toHaveCount(0);
  await expect(dash.locator('.series-toggles')).toHaveCount(4);
  await expect(tab.page.locator('.series-toggles button')).toHaveCount(3);
  const auc = dash.locator('#chart-quality + .series-toggles button', { hasText: 'AUC-PR' });
  await expect(auc).toHaveAttribute('aria-pressed', 'true');
  await dash.locator('#chart-quality + .series-toggles button').first().focus();
  await expect(auc).toBeFocused();
  await auc.press('Enter');
  await expect(auc).toHaveAttribute('aria-pressed', 'false');
  await dash.keyboard.press('Tab'); // on to the next toggle
  await expect(dash.locator('#chart-quality + .series-toggles button').nth(1)).toBeFocused();
  await auc.focus();
  await auc.press('Enter');
  await expect(auc).toHaveAttribute('aria-pressed', 'true');
  await dash.locator('details.as-table summary').first().click();
  await expect(dash.locator('table.chart-table').first().locator('tbody tr').first()).toContainText(/^v\d+/);

  const join = await (await browser.newContext()).newPage();
  await join.goto(fed.joinUrl);
  await expect(join.locator('#join')).toBeVisible();

  const pages: [string, Page][] = [
    ['join page', join],
    ['tab', tab.page],
    ['dashboard', dash],
  ];
  for (const [name, page] of pages) {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await expect
        .poll(async () => (await overflow(page)).scroll, {
          message: `${name} at ${width} px: ${JSON.stringify(await overflow(page))}`,
        })
        .toBeLessThanOrEqual(width);
      await testInfo.attach(`${name} ${width}`, {
        body: await page.screenshot({ fullPage: true }),
        contentType: 'image/png',
      });
    }
    await page.setViewportSize({ width: 1100, height: 900 });
    expect(await seriousViolations(page), name).toEqual([]);
  }
});
