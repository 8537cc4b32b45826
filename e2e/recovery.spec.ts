/**
 * Nothing bricks a tab, and trouble is said in words (issue 15): a header-only CSV, a one-class
 * CSV and a CSV with bad rows each leave a usable tab, the choice kept; a wrong server address
 * and a second tab of the same participant each give their message and their way out; a
 * restarted `npm start` keeps its join token and joined tabs carry on without a reload, while a
 * rolled token (`--new-token`) is refused in words and a pasted new link carries on.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { datasetToCsv } from '../src/ml/csv';
import { makeDataset, NUM_RAW } from '../src/ml/dataset';
import { generateSynthetic } from '../src/ml/synthetic';
import type { FederationEvent } from '../src/wire/events';
import { TestFederation } from './federation';
import { openTab } from './tabs';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

function csvFiles(dir: string): { headerOnly: string; oneClass: string; badRows: string } {
  const base = generateSynthetic({ rows: 400, fraudRate: 0.05, seed: 7 });
  const text = datasetToCsv(base);
  const [header, ...rows] = text.trimEnd().split('\n');
  const headerOnly = join(dir, 'header-only.csv');
  writeFileSync(headerOnly, `${header}\n`);
  const ordinary = makeDataset(new Float32Array(base.features.subarray(0, 60 * NUM_RAW)), new Uint8Array(60));
  const oneClass = join(dir, 'no-frauds.csv');
  writeFileSync(oneClass, datasetToCsv(ordinary));
  const bad = [...rows];
  for (const i of [3, 50, 120, 200, 333]) bad[i] = (bad[i] as string).replace(/^[^,]*,/, 'oops,');
  const badRows = join(dir, 'five-bad-rows.csv');
  writeFileSync(badRows, `${header}\n${bad.join('\n')}\n`);
  return { headerOnly, oneClass, badRows };
}

async function chooseCsv(page: Page, path: string): Promise<void> {
  await page.locator('#data').selectOption('csv');
  await page.locator('#csv').setInputFiles(path);
  await page.locator('#join').click();
}

test.describe('recovery', () => {
  let fed: TestFederation;
  test.afterEach(async () => {
    await fed?.stop();
  });

  test('a header-only, a one-class and a bad-rows CSV each leave a usable tab', async ({ browser }, testInfo) => {
    fed = await TestFederation.start({ trainers: 2, members: 3, committee: '3,3,2' });
    const files = csvFiles(mkdtempSync(join(tmpdir(), 'speakonce-csv-')));
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${fed.joinUrl}&backend=wasm`);

    // Header only: refused in words, back on the join page with the CSV choice and the file kept.
    await chooseCsv(page, files.headerOnly);
    await expect(page.locator('#join-error')).toContainText('no data rows — only a header');
    await expect(page.locator('#data')).toHaveValue('csv');
    await expect(page.locator('#csv-name')).toHaveText('Chosen: header-only.csv');

    // A file without frauds: a warning, and the person may go back (choice kept) or use it.
    await chooseCsv(page, files.oneClass);
    await expect(page.locator('#one-class')).toContainText('no-frauds.csv has no fraud rows');
    await page.locator('#data-back').click();
    await expect(page.locator('#data')).toHaveValue('csv');
    await expect(page.locator('#csv-name')).toHaveText('Chosen: no-frauds.csv');
    await page.locator('#join').click();
    await page.locator('#data-use').click();
    await expect(page.locator('#fact-data')).toContainText('no-frauds.csv: 60 rows, 0 frauds');
    await expect(page.locator('#fact-client')).toHaveText(/^p[0-9a-f]{8}$/);
    await context.close();

    // Five bad rows of 400: counted, the first listed, skipped on request; the tab joins.
    const ctx2 = await browser.newContext();
    const p2 = await ctx2.newPage();
    await p2.goto(`${fed.joinUrl}&backend=wasm`);
    await chooseCsv(p2, files.badRows);
    await expect(p2.locator('#bad-rows')).toContainText('5 row(s) cannot be read');
    await expect(p2.locator('#bad-row-list li')).toHaveCount(5);
    await expect(p2.locator('#bad-row-list li').first()).toContainText('line 5: Time is not a number: "oops"');
    await p2.locator('#data-use').click();
    await expect(p2.locator('#fact-data')).toContainText('five-bad-rows.csv (5 bad row(s) skipped): 395 rows');
    await expect(p2.locator('#fact-client')).toHaveText(/^p[0-9a-f]{8}$/);
    await testInfo.attach('bad rows joined', {
      body: await p2.screenshot({ fullPage: true }),
      contentType: 'image/png',
    });
    await ctx2.close();
  });

  test('damaged stored state lands on a page with the reason and a reset, not a dead end', async ({ browser }) => {
    fed = await TestFederation.start({ trainers: 2, members: 3, committee: '3,3,2' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${fed.joinUrl}&backend=wasm`);
    await page.locator('#join').click();
    await expect(page.locator('#fact-client')).toHaveText(/^p[0-9a-f]{8}$/);
    // What an older version or a broken disk might leave: a federation record that does not check.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open('speakonce');
          req.onerror = () => reject(new Error('open failed'));
          req.onsuccess = () => {
            const tx = req.result.transaction('federation', 'readwrite');
            tx.objectStore('federation').put({ serverUrl: 42 }, 'current');
            tx.oncomplete = () => (req.result.close(), resolve());
          };
        }),
    );
    await page.reload();
    await expect(page.locator('#problem h2')).toHaveText('SpeakOnce could not carry on from what this tab stored');
    await expect(page.locator('#problem-reason')).not.toBeEmpty();
    await expect(page.locator('#new-link')).toBeVisible();
    await page.locator('#fix-reset').click();
    await page.locator('#fix-reset-yes').click();
    await expect(page.locator('#join')).toBeVisible();
    await page.locator('#token').fill(fed.token);
    await page.locator('#authority').fill(new URL(fed.joinUrl).searchParams.get('authority') ?? '');
    await page.locator('#join').click();
    await expect(page.locator('#fact-connection')).toHaveText('connected');
    await context.close();
  });

  test('a wrong server address and a second tab each give their message', async ({ browser }) => {
    fed = await TestFederation.start({ trainers: 2, members: 3, committee: '3,3,2' });
    // A mistyped server: the address tried and a retry countdown, not "connecting" forever.
    const ctx = await browser.newContext();
    const wrong = await ctx.newPage();
    await wrong.goto(`${fed.joinUrl}&backend=wasm`);
    await wrong.locator('#server').fill('http://127.0.0.1:9');
    await wrong.locator('#join').click();
    await expect(wrong.locator('#fact-connection')).toHaveText('unreachable');
    await expect(wrong.locator('#connection-text')).toContainText('Cannot reach the server at http://127.0.0.1:9');
    await expect(wrong.locator('#connection-text')).toContainText(/Trying again (in \d+ s|now)/);
    await ctx.close();

    // The same participant opened in a second tab: the first says so and offers to take over.
    const context = await browser.newContext();
    const first = await context.newPage();
    await first.goto(`${fed.joinUrl}&backend=wasm`);
    await first.locator('#join').click();
    await expect(first.locator('#fact-connection')).toHaveText('connected');
    const id = await first.locator('#fact-client').textContent();
    expect(id).toMatch(/^p[0-9a-f]{8}$/);
    const second = await context.newPage();
    await second.goto(`${fed.url}/?backend=wasm`);
    await expect(second.locator('#fact-client')).toHaveText(id ?? '');
    await expect(first.locator('#fact-connection')).toHaveText('in another tab');
    await expect(first.locator('#connection-text')).toContainText('active in another tab');
    await first.locator('#use-here').click();
    await expect(first.locator('#fact-connection')).toHaveText('connected');
    await expect(second.locator('#fact-connection')).toHaveText('in another tab');
    await expect(second.locator('#use-here')).toBeVisible();
    await context.close();
  });

  test('a restarted npm start keeps its token and joined tabs carry on; a new token is refused in words', async ({
    browser,
  }) => {
    test.setTimeout(240_000);
    const dataDir = join(mkdtempSync(join(tmpdir(), 'speakonce-restart-')), 'federation');
    const port = await freePort();
    const opts = { trainers: 2, members: 3, committee: '3,3,2', token: null, dataDir, port, keepData: true };
    try {
      fed = await TestFederation.start(opts);
      const tab = await openTab(browser, fed, 'trainer', 'restart');
      const before = await fed.waitFor(
        (e): e is Done => e.type === 'round_done' && e.survivors.some((s) => s.startsWith(tab.shortId)),
      );
      const token = fed.token;
      await fed.stop();
      // While the server is down, the tab says so in words.
      await expect(tab.page.locator('#fact-connection')).toHaveText('server restarting');
      await expect(tab.page.locator('#connection-text')).toContainText('probably restarting');

      fed = await TestFederation.start(opts);
      expect(fed.token).toBe(token); // kept in the data directory
      const after = await fed.waitFor(
        (e): e is Done =>
          e.type === 'round_done' && e.round > before.round && e.survivors.some((s) => s.startsWith(tab.shortId)),
      );
      await expect(tab.page.locator(`tr[data-round="${after.round}"]`)).toContainText('aggregated');
      await expect(tab.page.locator('#fact-connection')).toHaveText('connected');
      // Errors about the connection cleared once it was back.
      await expect(tab.page.locator('#errors .code', { hasText: 'AUTHORITY_UNREACHABLE' })).toHaveCount(0);
      await expect(tab.page.locator('#connection-text')).not.toContainText('restarting');
      await fed.stop();

      // --new-token: the tab is refused, says why, and a pasted new link carries on.
      fed = await TestFederation.start({ ...opts, extra: ['--new-token'] });
      expect(fed.token).not.toBe(token);
      await expect(tab.page.locator('#fact-connection')).toHaveText('refused');
      await expect(tab.page.locator('#connection-text')).toContainText('restarted with a new token');
      await tab.page.locator('#new-link').fill(fed.joinUrl);
      await tab.page.locator('#use-link').click();
      await expect(tab.page.locator('#fact-client')).toHaveText(tab.shortId);
      await fed.waitFor(
        (e): e is Done => e.type === 'round_done' && e.survivors.some((s) => s.startsWith(tab.shortId)),
      );
      await expect(tab.page.locator('#fact-connection')).toHaveText('connected');
      await tab.context.close();
    } finally {
      await fed?.stop();
      TestFederation.removeData(dataDir);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
