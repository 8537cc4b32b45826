/**
 * The browser client against a real federation: the page loads without console
 * errors, joins a federation whose committee and other trainers are headless Node clients,
 * completes a secure round, shows the new version, and a reload resumes with the same identity
 * and contributes to the next round. No sleeps: the test waits on page content and server events.
 */
import { expect, test } from '@playwright/test';
import type { FederationEvent } from '../src/wire/events';
import { TestFederation } from './federation';
import { expectVersionAtLeast } from './tabs';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let fed: TestFederation;
test.beforeEach(async () => {
  fed = await TestFederation.start({ trainers: 2, members: 3, committee: '3,3,2' });
});
test.afterEach(async () => {
  await fed.stop();
});

test('joins by URL, trains in a secure round, and resumes after a reload', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

  await page.goto(fed.joinUrl);
  await expect(page.locator('#token')).toHaveValue(fed.token);
  await page.locator('#join').click();

  // The tab gets an id and a backend, then trains in a round with the headless participants.
  const idEl = page.locator('#fact-client');
  await expect(idEl).not.toHaveText('—');
  const shortId = (await idEl.textContent()) ?? '';
  await expect(page.locator('#fact-backend')).not.toHaveText('…');
  const mine = await fed.waitFor(
    (e): e is Done => e.type === 'round_done' && e.survivors.some((s) => s.startsWith(shortId)),
    90_000,
  );
  await expect(page.locator(`tr[data-round="${mine.round}"]`)).toContainText('aggregated');
  await expectVersionAtLeast(page, mine.version);

  // Reload: same identity, and it contributes to a later round.
  await page.reload();
  await expect(idEl).toHaveText(shortId);
  const later = await fed.waitFor(
    (e): e is Done => e.type === 'round_done' && e.round > mine.round && e.survivors.some((s) => s.startsWith(shortId)),
    90_000,
  );
  await expect(page.locator(`tr[data-round="${later.round}"]`)).toContainText('aggregated');
  // the history from before the reload is still there (IndexedDB)
  await expect(page.locator(`tr[data-round="${mine.round}"]`)).toBeVisible();

  // Leave: the federation is forgotten — the join page comes back, and stays after a reload.
  await page.locator('#leave').click();
  await expect(page.locator('#join')).toBeVisible();
  await expect(page.locator('#token')).toHaveValue('');
  await page.reload();
  await expect(page.locator('#join')).toBeVisible();
  await expect(page.locator('#fact-client')).toHaveCount(0);

  expect(problems).toEqual([]);
});
