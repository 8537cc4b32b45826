/**
 * Every round verifiable by anyone (issue 19), in the browser: the dashboard checks each round of
 * a real federation from its published transcripts (the audit in a Web Worker, the authority key
 * pinned from the dashboard's link) and shows it verified, with a link to the transcript. Then the
 * data directory is tampered with — a flipped bit in a trainer's kept masked vector — and a route
 * serves another round's transcript with a flipped byte: both rounds are shown failed, in red,
 * with the reason naming the round, the party and the check, while the untouched round still
 * verifies. axe finds no serious violation; at 390 px nothing scrolls sideways.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { seriousViolations } from './axe';
import { CSP_REPORTER, expectStrictCsp } from './csp';
import { TestFederation } from './federation';

let fed: TestFederation | undefined;
let dataDir = '';
test.beforeEach(async () => {
  // Rounds run until round 4 is done; then the federation restarts on its data directory waiting
  // for more participants than there are, so the transcripts stay as they are while the page
  // checks them. The newest 3 rounds keep their masked vectors (--transcript-keep 3).
  dataDir = join(mkdtempSync(join(tmpdir(), 'speakonce-verify-')), 'federation');
  const opts = { trainers: 3, members: 3, committee: '3,3,2', pauseS: 0.3, dataDir, keepData: true };
  fed = await TestFederation.start(opts);
  await fed.waitFor((e) => e.type === 'round_done' && e.round >= 4);
  await fed.stop();
  fed = await TestFederation.start({ ...opts, firstRound: 99 });
});
test.afterEach(async () => {
  await fed?.stop();
  TestFederation.removeData(dataDir);
});

/** The rounds of the log that finished with a transcript, and whether their masked vectors are kept. */
function finished(): { round: number; kept: boolean }[] {
  return readFileSync(join(dataDir, 'rounds.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { round: number; outcome: string; transcript?: string })
    .filter((r) => r.outcome === 'ok' && r.transcript)
    .map((r) => ({ round: r.round, kept: existsSync(join(dataDir, 'transcripts', `${r.round}.masked`)) }));
}

test('the dashboard verifies every round in the browser and shows a tampered one failed with its reason', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  if (!fed) throw new Error('no federation');
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(CSP_REPORTER);
  const rounds = finished();
  const kept = rounds.filter((r) => r.kept).map((r) => r.round);
  const old = rounds.filter((r) => !r.kept).map((r) => r.round);
  expect(kept.length).toBe(3);
  expect(old.length).toBeGreaterThanOrEqual(1);
  const [first, newest] = [old[0] as number, kept.at(-1) as number];

  const dashUrl = `${fed.url}/dashboard.html#join=${encodeURIComponent(fed.joinUrl)}`;
  expectStrictCsp(await page.goto(dashUrl));
  const cell = (r: number) => page.locator(`#history td[data-verify-for="${r}"]`);
  for (const r of kept) await expect(cell(r)).toHaveAttribute('data-verify', 'verified', { timeout: 60_000 });
  await expect(cell(newest)).toContainText('✓ verified');
  // Older rounds no longer keep their masked vectors: partly verified, saying what was not checked.
  for (const r of old) await expect(cell(r)).toHaveAttribute('data-verify', 'partial');
  await expect(cell(first)).toContainText(
    'Not checked: Σy not recomputed: the masked vectors are no longer kept, only their signed digests; every other check passed.',
  );
  await expect(page.locator('#verify-status')).toContainText(
    `Checked in this browser from the published transcripts: 3 verified, `,
  );
  await expect(page.locator('#verify-status')).toContainText(', 0 failed (authority key');
  await expect(page.locator('#verify-status')).toContainText('pinned from this dashboard’s link');
  // The link leads to the round's transcript, byte for byte the file the server wrote.
  const href = await cell(newest).locator('a').getAttribute('href');
  expect(href).toBe(`/transcripts/${newest}`);
  const served = await page.request.get(`${fed.url}${href}`);
  expect(Buffer.from(await served.body())).toEqual(readFileSync(join(dataDir, 'transcripts', `${newest}.transcript`)));
  expect(await seriousViolations(page)).toEqual([]);
  testInfo.annotations.push({
    type: 'status',
    description: (await page.locator('#verify-status').textContent()) ?? '',
  });
  await testInfo.attach('verified', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  // Tampered: one bit of the newest round's first kept masked vector flipped on disk, and the
  // first round's transcript served with a flipped byte by a route in front of the server.
  const maskedPath = join(dataDir, 'transcripts', `${newest}.masked`);
  const masked = readFileSync(maskedPath);
  masked[16] = (masked[16] as number) ^ 0x01;
  writeFileSync(maskedPath, masked);
  await page.context().route(new RegExp(`/transcripts/${first}$`), async (route) => {
    const res = await route.fetch();
    const body = Buffer.from(await res.body());
    body[body.length >> 1] = (body[body.length >> 1] as number) ^ 0xff;
    await route.fulfill({ response: res, body });
  });
  await page.reload();

  await expect(cell(newest)).toHaveAttribute('data-verify', 'failed', { timeout: 60_000 });
  await expect(page.locator(`#history tr[data-round="${newest}"]`)).toHaveClass(/verify-failed/);
  const reason2 = page.locator(`#history tr[data-verify-reason-for="${newest}"]`);
  await expect(reason2).toContainText(`Round ${newest} failed verification`);
  await expect(reason2).toContainText(/trainer \S+: masked-vector: the kept masked vector is not the signed one/);
  await expect(cell(first)).toHaveAttribute('data-verify', 'failed');
  await expect(page.locator(`#history tr[data-verify-reason-for="${first}"]`)).toContainText(
    `Round ${first} failed verification: the transcript is missing or is not the one the round log chains — server: transcript: the transcript is not the one the log chains`,
  );
  // The untouched rounds still verify; the red is the failure colour.
  for (const r of kept.filter((r) => r !== newest)) await expect(cell(r)).toHaveAttribute('data-verify', 'verified');
  await expect(page.locator('#verify-status')).toContainText(', 2 failed');
  await expect(page.locator('#verify-status')).toContainText(`First failure: round ${first}`);
  const red = await reason2.locator('.why').evaluate((el) => getComputedStyle(el).color);
  expect(red).toBe('rgb(180, 38, 38)');

  expect(await seriousViolations(page)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 800 });
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth), {
      message: 'no sideways scrolling at 390 px',
    })
    .toBeLessThanOrEqual(390);
  const shot = await page.screenshot({ fullPage: true });
  await testInfo.attach('tampered, 390 px', { body: shot, contentType: 'image/png' });
  expect(problems).toEqual([]);
});
