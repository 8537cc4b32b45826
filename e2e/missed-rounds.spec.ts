/**
 * Rounds a tab missed leave a row (issue 15): a trainer tab that takes part in a round, is closed
 * while the federation goes on without it (its headless trainers), and is opened again in the
 * same browser profile shows the rounds it was away for as one "missed" row between its own
 * rounds, once it takes part again.
 */
import { expect, test } from '@playwright/test';
import type { FederationEvent } from '../src/wire/events';
import { TestFederation } from './federation';
import { openTab } from './tabs';

type Done = Extract<FederationEvent, { type: 'round_done' }>;
const done =
  (pred: (e: Done) => boolean) =>
  (e: FederationEvent): e is Done =>
    e.type === 'round_done' && pred(e);

let fed: TestFederation | undefined;
test.afterEach(async () => {
  await fed?.stop();
  fed = undefined;
});

test('a tab away across rounds shows them as one "missed" row when it is back', async ({ browser }) => {
  test.setTimeout(180_000);
  fed = await TestFederation.start({ trainers: 3, members: 3, committee: '3,3,2', pauseS: 0.3 });
  const f = fed;
  const tab = await openTab(browser, f, 'trainer', 'away');
  const first = await f.waitFor(done((e) => e.survivors.includes(tab.clientId)));
  await expect(tab.page.locator(`tr[data-round="${first.round}"]`)).toContainText('aggregated'); // stored

  await tab.page.close();
  const away = await f.waitFor(done((e) => e.round >= first.round + 2)); // rounds without the tab

  const page = await tab.context.newPage();
  await page.goto(`${f.url}/`);
  const back = await f.waitFor(
    done((e) => e.round > away.round && e.survivors.includes(tab.clientId)),
    150_000,
  );
  await expect(page.locator(`tr[data-round="${back.round}"]`)).toContainText('aggregated');
  await expect(page.locator(`tr[data-round="${first.round}"]`)).toContainText('aggregated');
  const missed = page.locator('tr.missed');
  await expect(missed).toHaveCount(1);
  const range = (await missed.getAttribute('data-missed')) ?? '';
  const [from, to] = range.split('-').map(Number);
  expect(from, range).toBe(first.round + 1);
  expect(to, range).toBeGreaterThanOrEqual(away.round);
  expect(to, range).toBeLessThan(back.round);
  await expect(missed).toContainText('missed');
});
