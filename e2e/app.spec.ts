/**
 * The browser client against a real federation: the page loads without console errors or
 * Content-Security-Policy violations, joins a federation whose committee and other trainers are
 * headless Node clients, completes a secure round, shows the new version, and a reload resumes
 * with the same identity and contributes to the next round. A page of another site cannot open
 * the participants' WebSocket. No sleeps: the test waits on page content and server events.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import type { FederationEvent } from '../src/wire/events';
import { CSP_REPORTER, expectStrictCsp } from './csp';
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
  // The page runs under the server's strict CSP; any violation is a console error (csp.ts).
  await page.addInitScript(CSP_REPORTER);

  expectStrictCsp(await page.goto(fed.joinUrl));
  await expect(page.locator('#token')).toHaveValue(fed.token);
  await page.locator('#join').click();

  // The tab gets an id and a backend, then trains in a round with the headless participants.
  const idEl = page.locator('#fact-client');
  await expect(idEl).not.toHaveText('—');
  const shortId = (await idEl.textContent()) ?? '';
  await expect(page.locator('#fact-backend')).not.toHaveText('…');
  // Chromium has X25519 and Ed25519 in WebCrypto: the tab's keys are non-extractable (threat model, "Browser keys").
  await expect(page.locator('#key-protection')).toHaveText('Keys: non-extractable (WebCrypto)');
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
  await page.locator('#leave').click(); // asks first
  await expect(page.locator('#leave-yes')).toBeVisible();
  await page.locator('#leave-yes').click();
  await expect(page.locator('#join')).toBeVisible();
  await expect(page.locator('#token')).toHaveValue('');
  await page.reload();
  await expect(page.locator('#join')).toBeVisible();
  await expect(page.locator('#fact-client')).toHaveCount(0);

  expect(problems).toEqual([]);
});

test("a page of another site cannot open the participants' WebSocket (Origin allow-list)", async ({ page }) => {
  const wsUrl = `${fed.url.replace(/^http/, 'ws')}/ws`;
  const tryOpen = () =>
    page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => (ws.close(), resolve('open'));
          ws.onclose = (e) => resolve(`closed ${e.code}`);
        }),
      wsUrl,
    );
  // A page of the server's own origin may.
  await page.goto(`${fed.url}/dashboard.html`);
  expect(await tryOpen()).toBe('open');

  // Another site the participant visits (a blank page of a server of its own) may not.
  const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>elsewhere'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  try {
    const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    await page.goto(`${elsewhere}/`);
    expect(await tryOpen()).toBe('closed 1006'); // the upgrade was answered 403: it never opened
    await expect
      .poll(() => fed.logLines().filter((l) => l.event === 'origin_refused'))
      .toEqual([expect.objectContaining({ level: 'warn', origin: elsewhere })]);
  } finally {
    other.close();
  }
});
