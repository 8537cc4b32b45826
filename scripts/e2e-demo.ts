/**
 * `npm run e2e:demo`: the reference scenario with real browser tabs (outside CI) — by default
 * 10 trainer tabs and 5 committee tabs, each its own browser context, for 10 secure rounds on
 * the synthetic fraud data each tab generates (or `--data <csv>`: the CSV's training part split
 * into one shard per trainer tab, uploaded through the page's CSV option). Prints a per-round
 * table (survivors, committee answers, round time, exactness, AUC-PR of the global model on a
 * fixed validation set) and saves screenshots and the table as JSON in --out.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { datasetToCsv } from '../src/ml/csv.js';
import { loadCreditCardCsvFile } from '../src/ml/csv-node.js';
import type { Dataset } from '../src/ml/dataset.js';
import { partitionDataset } from '../src/ml/partition.js';
import { splitDataset } from '../src/ml/split.js';
import { TestFederation } from '../e2e/federation.js';
import { aucPrOf, validationSet } from '../e2e/model-eval.js';
import { type Tab, closeAll, digestOfSum, ended, isStarted, openTab, quantized } from '../e2e/tabs.js';
import config from '../playwright.config.js';
import { UsageError, command, flag, log, num, parseCommittee, runMain, toggle } from './cli.js';

const CMD = command({
  usage: 'npm run e2e:demo -- [options]',
  flags: {
    trainers: flag('N', 'trainer tabs (default 10)'),
    members: flag('N', 'committee-volunteer tabs (default 5)'),
    committee: 'default 5,4,2; must be subset-safe (2·t_rec > m + c_max) unless --insecure-demo',
    'insecure-demo': true,
    rounds: 'default 10',
    data: 'default synthetic: each tab generates its own rows; a CSV is split across the trainer tabs',
    'pause-s': 'default 0.5',
    out: flag('DIR', 'screenshots and results.json (default out/e2e-demo)'),
    headed: toggle('show the browser windows'),
  },
});

interface Row {
  round: number;
  outcome: string;
  trainers: number;
  survivors: number;
  answered: string;
  roundS: number;
  exact: string;
  version: number;
  aucPr: number | undefined;
  fedAucPr: number | undefined;
}

runMain(CMD.help, async () => {
  const f = CMD.parse();
  const nT = num('trainers', f.trainers, 10, { int: true, min: 2 });
  const nM = num('members', f.members, 5, { int: true, min: 1 });
  const rounds = num('rounds', f.rounds, 10, { int: true, min: 1 });
  const settings = parseCommittee(f.committee ?? '5,4,2');
  const committee = [settings.m, settings.tRec, settings.rho];
  if (settings.m > nM) throw new UsageError(`--committee m=${settings.m} needs at least that many --members`);
  const out = f.out ?? join('out', 'e2e-demo');
  mkdirSync(out, { recursive: true });

  // Data: each synthetic tab generates its own rows; a CSV is split here into one shard per tab.
  let validation: Dataset = validationSet();
  let shards: string[] = [];
  const shardDir = mkdtempSync(join(tmpdir(), 'speakonce-e2e-demo-'));
  let dataLabel = 'synthetic (4,000 rows generated in each tab; validation: 20,000 fixed synthetic rows)';
  if (f.data && f.data !== 'synthetic') {
    const loaded = await loadCreditCardCsvFile(f.data);
    const parts = splitDataset(loaded.dataset);
    validation = parts.test;
    shards = partitionDataset(parts.train, { clients: nT, seed: 11 }).map((d, i) => {
      const p = join(shardDir, `shard-${i + 1}.csv`);
      writeFileSync(p, datasetToCsv(d));
      return p;
    });
    dataLabel = `${f.data}: train part split into ${nT} CSV shards; validation: its held-out test part (${validation.size} rows)`;
  }

  const launch = config.use?.launchOptions ?? {};
  const exe = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  const browser = await chromium.launch({ ...launch, ...(exe ? { executablePath: exe } : {}), headless: !f.headed });
  const fed = await TestFederation.start({
    trainers: 0,
    members: 0,
    committee: committee.join(','),
    firstRound: nT + nM,
    pauseS: num('pause-s', f['pause-s'], 0.5, { min: 0 }),
    ...(f['insecure-demo'] ? { extra: ['--insecure-demo'] } : {}),
  });
  const tabs: Tab[] = [];
  const rows: Row[] = [];
  try {
    log(`federation at ${fed.url}; data: ${dataLabel}`);
    const t0 = Date.now();
    for (let i = 0; i < nM; i++) tabs.push(await openTab(browser, fed, 'committee', `member-${i + 1}`));
    for (let i = 0; i < nT; i++)
      tabs.push(await openTab(browser, fed, 'trainer', `trainer-${i + 1}`, shards[i] ? { csvPath: shards[i] } : {}));
    log(`${tabs.length} tabs joined in ${((Date.now() - t0) / 1000).toFixed(1)} s (one browser context each)`);

    const auc0 = await aucPrOf(fed.modelDir(0), validation);
    log(`model v0: AUC-PR ${auc0.toFixed(4)} on the validation set`);
    for (let r = 1; r <= rounds; r++) {
      const started = await fed.waitFor(isStarted(r), 180_000);
      const e = await ended(fed, r, 180_000);
      const row: Row = {
        round: r,
        outcome: 'ok',
        trainers: started.trainers.length,
        survivors: 0,
        answered: '',
        roundS: 0,
        exact: '',
        version: e.version,
        aucPr: undefined,
        fedAucPr: undefined,
      };
      if (e.type === 'round_done') {
        const vectors: number[][] = [];
        for (const id of e.survivors) {
          const t = tabs.find((x) => x.clientId === id);
          if (t) vectors.push(await quantized(t, r));
        }
        row.survivors = e.survivors.length;
        row.answered = `${e.membersAnswered.length}/${started.m}`;
        row.roundS = (e.timings.total_ms ?? 0) / 1000;
        row.exact = vectors.length === e.survivors.length && digestOfSum(vectors) === e.sumDigest ? 'yes' : 'NO';
        row.aucPr = await aucPrOf(fed.modelDir(e.version), validation);
        const m = (e as { metrics?: { auc_pr?: number } }).metrics;
        if (m?.auc_pr !== undefined) row.fedAucPr = m.auc_pr;
      } else {
        row.outcome = `FAILED ${e.code}`;
      }
      rows.push(row);
      log(
        `round ${r}: ${row.outcome}, ${row.survivors}/${row.trainers} trainers, ${row.answered} answers, ${row.roundS.toFixed(1)} s, exact ${row.exact}, AUC-PR ${row.aucPr?.toFixed(4) ?? '—'}`,
      );
    }
    const finalVersion = rows.at(-1)?.version ?? 0;
    const shots: [string, Tab | undefined][] = [
      ['trainer-1.png', tabs.find((t) => t.role === 'trainer')],
      ['member-1.png', tabs.find((t) => t.role === 'committee')],
    ];
    for (const [file, t] of shots) {
      if (!t) continue;
      await t.page.waitForFunction(
        (v) => document.getElementById('fact-version')?.textContent === `v${v}`,
        finalVersion,
        { timeout: 30_000 },
      );
      await t.page.screenshot({ path: join(out, file), fullPage: true });
    }

    const head =
      '| round | outcome | survivors | members answered | round time (s) | exact sum | model | AUC-PR (validation) | federated AUC-PR (secure, start model) |';
    const lines = [head, '|---:|---|---:|---:|---:|:---:|---:|---:|---:|'];
    lines.push(`| 0 | initial | — | — | — | — | v0 | ${auc0.toFixed(4)} | — |`);
    for (const r of rows)
      lines.push(
        `| ${r.round} | ${r.outcome} | ${r.survivors}/${r.trainers} | ${r.answered} | ${r.roundS.toFixed(1)} | ${r.exact} | v${r.version} | ${r.aucPr?.toFixed(4) ?? '—'} | ${r.fedAucPr?.toFixed(4) ?? '—'} |`,
      );
    const table = lines.join('\n');
    process.stdout.write(
      `\n${tabs.length} tabs (${nT} trainers, ${nM} committee volunteers), committee ${committee.join(',')}, data: ${dataLabel}\n\n${table}\n\nscreenshots and results.json in ${out}\n`,
    );
    writeFileSync(
      join(out, 'results.json'),
      JSON.stringify({ trainers: nT, members: nM, committee, data: dataLabel, auc0, rounds: rows }, null, 2),
    );
    writeFileSync(join(out, 'table.md'), `${table}\n`);
  } finally {
    await closeAll(tabs);
    await browser.close();
    await fed.stop();
    rmSync(shardDir, { recursive: true, force: true });
  }
});
