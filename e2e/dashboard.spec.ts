/**
 * The dashboard against a real demo federation with an injected failure: the page renders
 * without console errors or Content-Security-Policy violations, follows the rounds to model v2
 * or later, shows the secure metrics (a value and chart points), and marks the failed round 2 in
 * red with its reason in words. No sleeps: the test waits on page content.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { CSP_REPORTER, expectStrictCsp } from './csp';
import { TestFederation } from './federation';

let fed: TestFederation;
test.beforeEach(async () => {
  fed = await TestFederation.start({
    trainers: 4,
    members: 3,
    committee: '3,3,2',
    pauseS: 1,
    extra: ['--fail-round', '2'],
  });
});
test.afterEach(async () => {
  await fed.stop();
});

test('dashboard follows rounds, shows secure metrics and marks the failed round', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // The page runs under the server's strict CSP; any violation is a console error (csp.ts).
  await page.addInitScript(CSP_REPORTER);

  // The join link rides in the fragment, as `npm start` prints it: the page shows it as a QR code.
  expectStrictCsp(await page.goto(`${fed.url}/dashboard.html#join=${encodeURIComponent(fed.joinUrl)}`));
  await expect(page.locator('#join-qr svg path')).toHaveAttribute('d', /^M\d/);
  await expect(page.locator('#join-qr')).toContainText(fed.joinUrl);
  await expect(page.locator('#conn')).toHaveText(/live/);
  await expect(page.locator('#insecure-demo')).toBeHidden(); // 3,3,2 is subset-safe

  // Who is connected, by role, short ids only.
  await expect(page.locator('#count-trainers')).toHaveText('4');
  await expect(page.locator('#count-volunteers')).toHaveText('3');
  await expect(page.locator('#people .chip').first()).toHaveText(/^p[0-9a-f]{7}$/);

  // Advances through the rounds: model v2 needs rounds 1 and 3 (round 2 fails).
  await expect(page.locator('#model-version')).toHaveText(/^v([2-9]|\d{2,})$/, { timeout: 75_000 });
  await expect(page.locator('#timeline .tstep')).toHaveCount(6);

  // Secure metrics: a value and points on the quality chart.
  await expect(page.locator('#kpi-aucpr')).toHaveText(/^0\.\d{3}$|^1\.000$/);
  await expect(page.locator('#history tr[data-round="1"]')).toContainText(/\d\.\d{3}/);
  const points = Number(await page.locator('#chart-quality').getAttribute('data-points'));
  expect(points).toBeGreaterThanOrEqual(1);
  await expect(page.locator('#chart-quality canvas')).toBeVisible();

  // The injected failure: round 2 marked distinctly, with its reason in words.
  const failed = page.locator('#history tr[data-round="2"]');
  await expect(failed).toHaveAttribute('data-outcome', 'failed');
  await expect(failed).toHaveClass(/failed/);
  await expect(failed).toContainText('Committee too quiet');
  await expect(page.locator('#history tr[data-reason-for="2"]')).toContainText(
    'Not enough committee members answered in time',
  );
  await expect(page.locator('#history tr[data-round="1"]')).toHaveAttribute('data-outcome', 'ok');
  await expect(page.locator('#story')).toContainText('Round 2 failed');
  await expect(page.locator('#kpi-rounds')).toContainText('1 ✕');

  // The story so far: total bytes, one trainer alone against the federation, what the server learned.
  await expect(page.locator('#summary-rounds')).toContainText(/The server received [\d.]+ (KiB|MiB) in total/);
  await expect(page.locator('#baseline-alone')).toContainText(
    /One trainer alone \([\d,]+ rows, \d+ frauds\): AUC-PR \d\.\d{3}/,
  );
  await expect(page.locator('#baseline-federation')).toContainText(
    /model v\d+ \(4 trainers’ data, none of it shared\): AUC-PR \d\.\d{3}/,
  );
  await expect(page.locator('#privacy-statement')).toContainText('only the sum of the trainers’ updates');

  // What the server sees: the two pictures were drawn.
  await expect(page.locator('#privacy-note')).toContainText(/Round \d+/);

  await testInfo.attach('dashboard', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  expect(problems).toEqual([]);
});

test("after a restart the dashboard's counts agree with the round log", async ({ page }) => {
  test.setTimeout(150_000);
  // The federation of beforeEach stands aside: this test runs its own, twice, on one directory.
  await fed.stop();
  const dataDir = join(mkdtempSync(join(tmpdir(), 'speakonce-log-')), 'federation');
  const opts = { trainers: 4, members: 3, committee: '3,3,2', pauseS: 0.5, dataDir, keepData: true };
  try {
    fed = await TestFederation.start({ ...opts, extra: ['--fail-round', '2'] });
    await fed.waitFor((e) => e.type === 'round_done' && e.round >= 3);
    await fed.stop();
    // Started again, waiting for more participants than there are: the log is all there is.
    fed = await TestFederation.start({ ...opts, firstRound: 99 });
    const log = readFileSync(join(dataDir, 'rounds.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { round: number; outcome: string; versionAfter: number });
    const ok = log.filter((r) => r.outcome === 'ok').length;
    const failed = log.length - ok;
    expect(failed).toBeGreaterThanOrEqual(1);

    await page.goto(`${fed.url}/dashboard.html`);
    await expect(page.locator('#kpi-rounds')).toHaveText(`${ok} ✓${failed ? ` ${failed} ✕` : ''}`);
    await expect(page.locator('#model-version')).toHaveText(`v${log.at(-1)?.versionAfter}`);
    await expect(page.locator('#model-version-sub')).toHaveText(`improved ${ok} time${ok === 1 ? '' : 's'}`);
    await expect(page.locator('#history tr[data-round]')).toHaveCount(log.length);
    await expect(page.locator('#history tr[data-round="2"]')).toHaveAttribute('data-outcome', 'failed');
  } finally {
    await fed.stop();
    TestFederation.removeData(dataDir);
  }
});
