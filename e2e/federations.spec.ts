/**
 * Whole federations of real browser tabs against a real server. Only tabs take part
 * (no headless peers): every tab is its own browser context, joined through the page's form.
 * Exactness is checked against the tabs' quantized updates, which only the page's test hooks
 * reveal (switched on by the test itself, e2e/page-hooks.ts); the server publishes just a digest
 * of the decoded sum. No sleeps:
 * every wait is on page state or on the server's event stream.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { datasetToCsv } from '../src/ml/csv';
import { generateSynthetic } from '../src/ml/synthetic';
import type { FederationEvent } from '../src/wire/events';
import { vectorLayout } from '../src/wire/layout';
import { mlpArchitecture, parameterCount } from '../src/ml/model';
import { DEFAULT_SCALING, numInputs } from '../src/ml/scaling';
import { seriousViolations } from './axe';
import { TestFederation } from './federation';
import { aucPrOf, weightBytes } from './model-eval';
import {
  type RoundDone,
  type Tab,
  byId,
  closeAll,
  closeTab,
  ended,
  dropTab,
  expectExactSum,
  expectVersionAtLeast,
  hookState,
  isCutoff,
  isStarted,
  openRelay,
  openTab,
  openTabs,
  quantized,
  roundDone,
  waitClientId,
  waitPhase,
} from './tabs';

const sorted = (xs: readonly string[]) => [...xs].sort();

let fed: TestFederation | undefined;
const tabs: Tab[] = [];
test.afterEach(async () => {
  await closeAll(tabs.splice(0));
  await fed?.stop();
  fed = undefined;
});

test('5 trainer tabs + 3 committee tabs: 3 exact rounds, the global model improves', async ({ browser }, testInfo) => {
  test.setTimeout(240_000);
  fed = await TestFederation.start({
    trainers: 0,
    members: 0,
    committee: '3,3,2',
    rounds: 3,
    firstRound: 8,
    pauseS: 0.2,
  });
  const members = await openTabs(browser, fed, 'committee', 3, 'member');
  const trainers = await openTabs(browser, fed, 'trainer', 5, 'trainer');
  tabs.push(...members, ...trainers);

  for (let r = 1; r <= 3; r++) {
    const started = await fed.waitFor(isStarted(r));
    expect(sorted(started.trainers)).toEqual(sorted(trainers.map((t) => t.clientId)));
    expect(sorted(started.members)).toEqual(sorted(members.map((t) => t.clientId)));
    const done = await roundDone(fed, r);
    expect(done.version).toBe(r);
    expect(sorted(done.survivors)).toEqual(sorted(trainers.map((t) => t.clientId)));
    expect(done.membersAnswered).toHaveLength(3);
    await expectExactSum(done, tabs);
  }
  for (const t of tabs) {
    await expect(t.page.locator('#fact-version')).toHaveText('v3');
    await expect(t.page.locator('tr[data-round="3"]')).toContainText('aggregated');
    await expect(t.page.locator('#insecure-demo')).toBeHidden(); // 3,3,2 is subset-safe
  }

  // The global model, evaluated on a fixed validation set, from the checkpoints the server wrote.
  const auc: number[] = [];
  for (let v = 0; v <= 3; v++) auc.push(await aucPrOf(fed.modelDir(v)));
  console.log(`AUC-PR by version: ${auc.map((a, v) => `v${v} ${a.toFixed(4)}`).join(', ')}`);
  testInfo.annotations.push({
    type: 'auc_pr by version',
    description: auc.map((a, v) => `v${v}: ${a.toFixed(4)}`).join(', '),
  });
  await testInfo.attach('auc_pr.json', { body: JSON.stringify(auc), contentType: 'application/json' });
  expect(auc[3] as number).toBeGreaterThan(auc[0] as number);
  expect(auc[3] as number).toBeGreaterThanOrEqual(Math.min(auc[1] as number, auc[2] as number));

  await testInfo.attach('trainer tab', {
    body: await (trainers[0] as Tab).page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
  await testInfo.attach('committee tab', {
    body: await (members[0] as Tab).page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
  // (the server exits after its last round, so the tabs' reconnect attempts and a volunteer's
  // last presence renewal at the authority may fail: not a problem)
  for (const t of tabs)
    expect(
      t.problems.filter(
        (p) => !/WebSocket connection to .* failed|Failed to load resource: net::ERR_CONNECTION_REFUSED/.test(p),
      ),
      t.name,
    ).toEqual([]);
});

test('trainer dropout: one tab closed while training is dropped, one closed after sending is counted', async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  // The tab that leaves while training reaches the server through a TCP relay (so it can be cut
  // at once): its pages come from the relay's origin, which the server must be told to allow,
  // like a proxy in front of it.
  const relay = await openRelay();
  fed = await TestFederation.start({
    trainers: 0,
    members: 0,
    committee: '3,3,2',
    rounds: 1,
    firstRound: 7,
    pauseS: 0.2,
    allowOrigins: [relay.origin],
  });
  // The two tabs that will leave are opened first, and their exits armed before the round exists.
  // The one that leaves while training brings a large CSV, so its training lasts long enough
  // (a few seconds, not a few hundred milliseconds) for the tab to be closed in the middle of it.
  const csv = testInfo.outputPath('big.csv');
  await writeFile(csv, datasetToCsv(generateSynthetic({ rows: 40_000, fraudRate: 0.01, seed: 99 })));
  const whileTraining = await openTab(browser, fed, 'trainer', 'leaves-while-training', { csvPath: csv, relay });
  const afterSend = await openTab(browser, fed, 'trainer', 'leaves-after-send');
  tabs.push(whileTraining, afterSend);
  const left = new Map<string, number[]>();
  let trainingPhaseSeen = '';
  const exitA = waitPhase(whileTraining, 'training').then(async () => {
    await dropTab(whileTraining);
    // still training when it died: the phases it reported end with training
    expect(whileTraining.phases.at(-1)).toBe('training');
    trainingPhaseSeen = 'training';
  });
  const exitB = waitPhase(afterSend, 'sent').then(async () => {
    left.set(afterSend.clientId, await quantized(afterSend, 1));
    await closeTab(afterSend);
  });
  tabs.push(...(await openTabs(browser, fed, 'trainer', 2, 'trainer')));
  tabs.push(...(await openTabs(browser, fed, 'committee', 3, 'member')));

  const started = await fed.waitFor(isStarted(1));
  expect(started.trainers).toHaveLength(4);
  expect(started.trainers).toContain(whileTraining.clientId);
  expect(started.trainers).toContain(afterSend.clientId);
  await Promise.all([exitA, exitB]);
  expect(trainingPhaseSeen).toBe('training');

  const cutoff = await fed.waitFor(isCutoff(1));
  expect(cutoff.dropped).toEqual([whileTraining.clientId]);
  expect(cutoff.survivors).toContain(afterSend.clientId);
  expect(cutoff.survivors).toHaveLength(3);
  const done = await roundDone(fed, 1);
  expect(sorted(done.survivors)).toEqual(sorted(cutoff.survivors));
  expect(done.membersAnswered).toHaveLength(3);
  await expectExactSum(done, tabs, left);

  // The server's round log says the same: four trainers asked, three counted.
  const log = (await readFile(join(fed.dataDir, 'rounds.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { round: number; outcome: string; trainers: string[]; survivors: string[] });
  const rec = log.find((r) => r.round === 1);
  expect(rec?.outcome).toBe('ok');
  expect(sorted(rec?.trainers ?? [])).toEqual(sorted(started.trainers));
  expect(sorted(rec?.survivors ?? [])).toEqual(sorted(done.survivors));
  for (const t of tabs.filter((x) => !x.closed && x.role === 'trainer'))
    await expect(t.page.locator('tr[data-round="1"]')).toContainText('aggregated');
});

test('committee dropout: down to t_rec still aggregates; below it fails loudly, model unchanged; a re-drawn committee recovers', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  // Down to t_rec with three members needs d_max = 1: 3,2,1, which is not subset-safe, so this
  // federation runs as an insecure demo — and every tab in a round shows it in red.
  fed = await TestFederation.start({
    trainers: 0,
    members: 0,
    committee: '3,2,1',
    firstRound: 9,
    pauseS: 0.2,
    extra: ['--insecure-demo'],
  });
  // One trainer's training is held (test hook) in rounds 1 and 2: the round keeps collecting
  // until the test has closed the members, so they are gone before the jobs go out.
  const trainers = await openTabs(browser, fed, 'trainer', 3, 'trainer');
  const holder = trainers[0] as Tab;
  await holder.page.evaluate(() => [1, 2].forEach((r) => window.__speakonceTestHooks?.holdTraining?.(r)));
  const volunteers = await openTabs(browser, fed, 'committee', 6, 'volunteer');
  tabs.push(...trainers, ...volunteers);
  const f = fed;
  const closedBefore = async (ids: readonly string[], round: number) => {
    await Promise.all(ids.map((id) => closeTab(byId(volunteers, id))));
    const at = f.events.length;
    await holder.page.evaluate((r) => window.__speakonceTestHooks?.releaseTraining?.(r), round);
    const cut = await f.waitFor(isCutoff(round));
    // the members were gone before the jobs went out (the cut-off is when jobs are sent)
    expect(f.events.indexOf(cut), `round ${round}: cut-off after the members closed`).toBeGreaterThanOrEqual(at);
  };

  // Round 1: one of three members closes, two (= t_rec) remain: the round completes.
  const s1 = await f.waitFor(isStarted(1));
  expect(s1.tRec).toBe(2);
  expect(s1.insecureDemo).toBe(true);
  for (const t of tabs.filter((x) => s1.trainers.includes(x.clientId) || s1.members.includes(x.clientId))) {
    await expect(t.page.locator('#insecure-demo')).toBeVisible();
    await expect(t.page.locator('#insecure-demo')).toContainText(
      "INSECURE DEMO: this federation's committee is not subset-safe",
    );
  }
  // … and so does the dashboard (from /status and the round's committee)
  const dash = await browser.newPage();
  await dash.goto(`${f.url}/dashboard.html`);
  await expect(dash.locator('#insecure-demo')).toBeVisible();
  await expect(dash.locator('#insecure-demo')).toContainText('committee m=3, t_rec=2, ρ=1');
  await expect(dash.locator('#round')).toContainText('INSECURE DEMO: committee not subset-safe');
  await dash.close();
  await closedBefore([s1.members[0] as string], 1);
  const d1 = await roundDone(f, 1);
  expect(d1.membersAnswered).toHaveLength(2);
  expect(d1.version).toBe(1);
  await expectExactSum(d1, tabs);

  // Round 2: two of three members close, one answer < t_rec: THRESHOLD_NOT_MET, no new version.
  const s2 = await f.waitFor(isStarted(2));
  const weightsV1 = await weightBytes(f.modelDir(1));
  await closedBefore(s2.members.slice(0, 2), 2);
  const e2 = await ended(f, 2);
  expect(e2.type).toBe('round_failed');
  if (e2.type !== 'round_failed') return;
  expect(e2.code).toBe('THRESHOLD_NOT_MET');
  expect(e2.version).toBe(1);
  const served = Buffer.from(await (await fetch(`${f.url}/model/weights.bin`)).arrayBuffer());
  expect(served.equals(weightsV1), 'served model weights unchanged after the failed round').toBe(true);
  const inRound2 = tabs.filter(
    (t) => !t.closed && (s2.trainers.includes(t.clientId) || s2.members.includes(t.clientId)),
  );
  expect(inRound2.length).toBe(4); // 3 trainers + the member that stayed
  for (const t of inRound2) {
    await expect(t.page.locator('#error-panel')).toBeVisible();
    await expect(t.page.locator('#errors .code', { hasText: 'THRESHOLD_NOT_MET' }).first()).toBeVisible();
    await expect(t.page.locator('tr[data-round="2"]')).toContainText('failed');
  }

  // Round 3: a new committee from the three volunteers left; the model moves on from v1.
  const s3 = await f.waitFor(isStarted(3));
  expect(s3.version).toBe(1);
  expect(sorted(s3.members)).toEqual(sorted(volunteers.filter((t) => !t.closed).map((t) => t.clientId)));
  const d3 = await roundDone(f, 3);
  expect(d3.version).toBe(2);
  expect(d3.membersAnswered).toHaveLength(3);
  await expectExactSum(d3, tabs);
  for (const t of trainers) await expectVersionAtLeast(t.page, 2);
});

test('reload: a trainer tab resumes with the same identity and contributes to a later round', async ({ browser }) => {
  test.setTimeout(180_000);
  fed = await TestFederation.start({ trainers: 0, members: 0, committee: '3,3,2', firstRound: 6, pauseS: 0.2 });
  const trainers = await openTabs(browser, fed, 'trainer', 3, 'trainer');
  tabs.push(...trainers, ...(await openTabs(browser, fed, 'committee', 3, 'member')));
  const t = trainers[0] as Tab;
  const d1 = await roundDone(fed, 1);
  expect(d1.survivors).toContain(t.clientId);
  const before = { id: t.clientId, short: t.shortId };
  // The server's event can precede the tab's own result message: reload only once the tab
  // shows (and so has stored) its round-1 entry.
  await expect(t.page.locator('tr[data-round="1"]')).toContainText('aggregated');

  // Only a round that starts after the reload shows that the reloaded tab takes part (it may
  // have sent in the round running while it reloaded).
  const mark = fed.events.length;
  const startedAfterReload = (round: number) => fed!.events.findIndex(isStarted(round)) >= mark;
  await t.page.reload();
  await expect(t.page.locator('#fact-client')).toHaveText(before.short);
  expect(await waitClientId(t.page)).toBe(before.id);
  expect((await hookState(t.page)).clientId).toBe(before.id);
  await expect(t.page.locator('tr[data-round="1"]')).toContainText('aggregated'); // history kept in IndexedDB

  const later = await fed.waitFor(
    (e: FederationEvent): e is RoundDone =>
      e.type === 'round_done' && e.survivors.includes(before.id) && startedAfterReload(e.round),
    150_000,
  );
  await expectExactSum(later, tabs);
  await expect(t.page.locator(`tr[data-round="${later.round}"]`)).toContainText('aggregated');
  await expectVersionAtLeast(t.page, later.version);
});

test('bad client: a malformed frame and a duplicate contribution are refused in that tab; the round is unaffected and exact', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  fed = await TestFederation.start({
    trainers: 0,
    members: 0,
    committee: '3,3,2',
    rounds: 1,
    firstRound: 6,
    pauseS: 0.2,
  });
  const bad = await openTab(browser, fed, 'trainer', 'bad');
  // Armed before the round: the instant this tab starts training it sends a malformed frame,
  // and the instant it has sent its contribution it sends the same contribution again.
  await bad.page.evaluate(() => {
    const w = window as unknown as { __malformed?: number; __dupBytes?: number };
    const stepper = document.getElementById('stepper') as HTMLElement;
    const obs = new MutationObserver(() => {
      // the page's socket, captured by the tab's init script (page-hooks.ts), not the app's engine
      const hook = window.__speakonceTestHooks;
      if (!hook?.sendRaw || !hook.resendLastContribution) return;
      // 0xc1 is the one byte msgpack never uses: not a message at all
      if (stepper.dataset.phase === 'training' && w.__malformed === undefined)
        w.__malformed = hook.sendRaw([0xc1, 0x00, 0xff, 0x13]);
      if (stepper.dataset.phase === 'sent' && w.__dupBytes === undefined) {
        w.__dupBytes = hook.resendLastContribution();
        obs.disconnect();
      }
    });
    obs.observe(stepper, { attributes: true, attributeFilter: ['data-phase'] });
  });
  const others = [
    ...(await openTabs(browser, fed, 'trainer', 2, 'trainer')),
    ...(await openTabs(browser, fed, 'committee', 3, 'member')),
  ];
  tabs.push(bad, ...others);

  await fed.waitFor(isStarted(1));
  const malformed = await bad.page.waitForFunction(() => (window as unknown as { __malformed?: number }).__malformed);
  expect(await malformed.jsonValue()).toBe(4);
  await expect(bad.page.locator('#errors .code', { hasText: 'MALFORMED' }).first()).toBeVisible();
  const dupBytes = await bad.page.waitForFunction(() => (window as unknown as { __dupBytes?: number }).__dupBytes);
  expect(await dupBytes.jsonValue()).toBeGreaterThan(1000);
  await expect(bad.page.locator('#errors .code', { hasText: /DUPLICATE|LATE/ }).first()).toBeVisible();
  const refusedDup = await fed.waitFor(
    (e: FederationEvent) => e.type === 'refused' && e.clientId === bad.clientId && e.ref === 'contribution',
  );
  const refusedMal = await fed.waitFor(
    (e: FederationEvent) => e.type === 'refused' && e.clientId === bad.clientId && e.code === 'MALFORMED',
  );
  expect(refusedMal.type).toBe('refused');
  const dupCode = refusedDup.type === 'refused' ? refusedDup.code : '';
  test.info().annotations.push({ type: 'duplicate refused as', description: dupCode });
  expect(['DUPLICATE', 'LATE']).toContain(dupCode);

  const done = await roundDone(fed, 1);
  expect(sorted(done.survivors)).toEqual(
    sorted([bad, ...others].filter((t) => t.role === 'trainer').map((t) => t.clientId)),
  );
  expect(done.membersAnswered).toHaveLength(3);
  await expectExactSum(done, tabs);
  await expect(bad.page.locator('tr[data-round="1"]')).toContainText('aggregated');
  // (the server exits after its only round, so a volunteer's last presence renewal at the
  // authority may fail: not a problem; no other error may show)
  for (const t of others) {
    await expect(t.page.locator('#fact-version')).toHaveText('v1');
    await expect(t.page.locator('#errors li').filter({ hasNotText: 'presence not renewed' })).toHaveCount(0);
  }
  // only the bad tab was refused
  expect(fed.events.filter((e) => e.type === 'refused' && e.clientId !== bad.clientId)).toEqual([]);
});

test('differential privacy: 4 trainer tabs + 3 committee tabs, 2 exact DP rounds; the tabs and the dashboard show ε', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  fed = await TestFederation.start({
    trainers: 0,
    members: 0,
    committee: '3,3,2',
    rounds: 2,
    firstRound: 7,
    pauseS: 0.2,
    extra: ['--dp-noise-multiplier', '0.8', '--dp-clip', '0.5', '--dp-epsilon', '1000'],
  });
  // The dashboard watches from the start (the server exits after its last round).
  const dash = await (await browser.newContext()).newPage(); // axe needs a page of its own context
  await dash.goto(`${fed.url}/dashboard.html`);
  const members = await openTabs(browser, fed, 'committee', 3, 'member');
  const trainers = await openTabs(browser, fed, 'trainer', 4, 'trainer');
  tabs.push(...members, ...trainers);
  let last: RoundDone | undefined;
  for (let r = 1; r <= 2; r++) {
    const done = await roundDone(fed, r);
    expect(sorted(done.survivors)).toEqual(sorted(trainers.map((t) => t.clientId)));
    // The secure sum of the tabs' noisy integer updates equals their plaintext sum.
    await expectExactSum(done, tabs);
    expect(done.privacy?.epsilon).toBeGreaterThan(last?.privacy?.epsilon ?? 0);
    last = done;
  }
  // Each trainer's vector: d = 2^⌈log2 P⌉ privatized integers, the weight 2^15 − 1, the metrics.
  const q = await quantized(trainers[0] as Tab, 2);
  const layout = vectorLayout(parameterCount(mlpArchitecture(numInputs(DEFAULT_SCALING), [32, 16])), true, true);
  expect(q.length).toBe(layout.length);
  expect(q[layout.weightIndex]).toBe(32767);
  expect(layout.update).toBe(2048);
  for (const t of trainers)
    await expect(t.page.locator('#dp-facts')).toContainText(/your privacy loss so far: ε = \d/i);
  await expect((members[0] as Tab).page.locator('#dp-max-epsilon')).toBeVisible();
  await expect(dash.locator('#dp-panel')).toBeVisible();
  await expect(dash.locator('#dp-headline')).toContainText(/ε = \d+\.\d\d of a budget of 1000\.00/);
  await expect(dash.locator('#history thead th').last()).toHaveText('Privacy spent');
  // The DP card and the privacy panel keep the pages accessible.
  expect(await seriousViolations(dash), 'dashboard').toEqual([]);
  expect(await seriousViolations((trainers[0] as Tab).page), 'trainer tab').toEqual([]);
  await expect(dash.locator('#history tr[data-round="2"] td').last()).toHaveText(/^ε \d+\.\d\d$/);
  await dash.context().close();
});
