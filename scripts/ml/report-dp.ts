/**
 * `npm run report:dp` — what client-level differential privacy costs in model quality
 * (docs/dp.md §13): AUC-PR, recall at 1 % FPR and loss of the final model on the test split
 * against ε ∈ {1, 2, 4, 8, 16} at δ = 10^−5 and the DP-free baseline, for federations of 10, 100
 * and 1,000 trainers (the real sample split across them; the synthetic generator at 1,000), T
 * rounds each. Runs DP-FedAvg in one process with the trainers' own privatization
 * (scripts/ml/dp-fedavg.ts). Prints a table and ends with one JSON line; --write puts the table
 * in bench/RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ddgEpsilon } from '../../src/dp/accountant';
import { noiseMultiplierFor } from '../../src/dp/calibrate';
import { DpBudgetError } from '../../src/dp/errors';
import { chargeOf, planDpRound } from '../../src/dp/round';
import type { Dataset } from '../../src/ml/dataset';
import { mlpArchitecture } from '../../src/ml/model';
import { partitionDataset } from '../../src/ml/partition';
import { evaluateModel, modelFromFlat } from '../../src/ml/pipeline';
import { DEFAULT_SCALING, numInputs } from '../../src/ml/scaling';
import { splitDataset } from '../../src/ml/split';
import { generateSynthetic } from '../../src/ml/synthetic';
import { parameterCount } from '../../src/ml/model';
import { UsageError, command, flag, intList, loadData, log, num, runMain, toggle } from '../cli';
import { firstRoundNorms, runDpFedAvg } from './dp-fedavg';

const REAL = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'creditcard-sample.csv');

const CMD = command({
  usage: 'npm run report:dp -- [options]',
  flags: {
    trainers: flag('N[,N…]', 'federation sizes on the real sample (default 10,100,1000; 0 for none)'),
    'synthetic-trainers': flag('N[,N…]', 'federation sizes on the synthetic generator (default 1000; 0 for none)'),
    epsilons: flag('E[,E…]', 'target ε after all rounds (default 1,2,4,8,16); the DP-free baseline is always run'),
    rounds: flag('T', 'rounds (default 20)'),
    delta: flag('D', 'δ (default 1e-5)'),
    real: flag('CSV', `the real sample (default ${REAL})`),
    'synthetic-rows': flag(
      'N',
      'rows of the synthetic data (default 100000: at 1,000 trainers, 20,000 rows leave FedAvg too little to learn in 20 rounds)',
    ),
    write: toggle('write the table into bench/RESULTS.md'),
  },
});

const HIDDEN = [32, 16];
const LOCAL = { epochs: 2, batchSize: 32, learningRate: 0.01 };

interface Row {
  data: string;
  trainers: number;
  epsilon: number | null;
  noise_multiplier: number | null;
  clip: number;
  auc_pr: number;
  recall_at_1pct_fpr: number;
  loss: number;
  seconds: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

runMain(CMD.help, async () => {
  const f = CMD.parse();
  const sizes = f.trainers?.trim() === '0' ? [] : intList('trainers', f.trainers, [10, 100, 1000]);
  const synthSizes =
    f['synthetic-trainers']?.trim() === '0' ? [] : intList('synthetic-trainers', f['synthetic-trainers'], [1000]);
  const epsilons = (f.epsilons ?? '1,2,4,8,16').split(',').map((s) => num('epsilons', s.trim(), 0, { min: 1e-3 }));
  const rounds = num('rounds', f.rounds, 20, { int: true, min: 1 });
  const delta = num('delta', f.delta, 1e-5, { min: 1e-300, max: 0.5 });
  const realPath = f.real ?? REAL;
  if (sizes.length && !existsSync(realPath)) throw new UsageError(`the real sample is not at ${realPath} (--real CSV)`);
  const real = sizes.length ? (await loadData({ data: realPath })).dataset : undefined;
  const synthRows = num('synthetic-rows', f['synthetic-rows'], 100_000, { int: true, min: 1000 });
  const synthetic = generateSynthetic({ rows: synthRows, fraudRate: 0.01, seed: 7 });
  const arch = mlpArchitecture(numInputs(DEFAULT_SCALING), HIDDEN);
  const L = parameterCount(arch);
  const base = { arch, scaling: DEFAULT_SCALING, local: LOCAL, seed: 1 };

  const rows: Row[] = [];
  const runs: [string, Dataset, number][] = [
    ...sizes.map((n) => ['real sample', real as Dataset, n] as [string, Dataset, number]),
    ...synthSizes.map((n) => ['synthetic', synthetic, n] as [string, Dataset, number]),
  ];
  log(`report:dp: ${rounds} rounds, δ = ${delta}, L = ${L} parameters, local ${JSON.stringify(LOCAL)}`);
  for (const [label, data, n] of runs) {
    const split = splitDataset(data);
    const parts = partitionDataset(split.train, { clients: n, seed: 3 });
    // The clipping norm: the median first-round delta norm on PUBLIC data (the synthetic
    // generator, split the same way), so choosing it spends no privacy.
    const pub = partitionDataset(
      splitDataset(generateSynthetic({ rows: data.size, fraudRate: 0.02, seed: 99 })).train,
      {
        clients: n,
        seed: 3,
      },
    );
    const clip = median(await firstRoundNorms(pub, base));
    log(`${label}, ${n} trainers (${parts[0]?.size ?? 0} rows each): clip C = ${clip.toPrecision(3)}`);
    for (const target of [null, ...epsilons]) {
      const t0 = performance.now();
      let z: number | null = null;
      let params;
      if (target !== null) {
        const plan = (zz: number) =>
          planDpRound({ noiseMultiplier: zz, clip, params: L, bits: 16, minSurvivors: n, colluders: 0, delta });
        // A z so large that its noise cannot fit b-bit coordinates cannot be planned: it is more
        // noise than any target needs, so the search treats it as ε = 0 (ε falls with z).
        const epsilonOf = (zz: number): number => {
          try {
            return ddgEpsilon(chargeOf(plan(zz), L, n), rounds, delta);
          } catch (e) {
            if (e instanceof DpBudgetError) return 0;
            throw e;
          }
        };
        z = noiseMultiplierFor(target, epsilonOf);
        params = plan(z);
      }
      const global = await runDpFedAvg(parts, { ...base, rounds, ...(params ? { params } : {}) });
      const tm = await modelFromFlat(global, arch, DEFAULT_SCALING, split.validation);
      try {
        const m = await evaluateModel(tm.model, split.test, DEFAULT_SCALING, tm.threshold);
        const row: Row = {
          data: label,
          trainers: n,
          epsilon: target,
          noise_multiplier: z,
          clip,
          auc_pr: m.auc_pr,
          recall_at_1pct_fpr: m.recall_at_1pct_fpr,
          loss: m.loss,
          seconds: (performance.now() - t0) / 1000,
        };
        rows.push(row);
        log(
          `  ε ${target === null ? '∞ (no DP)' : String(target).padEnd(9)}  z ${z === null ? '—    ' : z.toFixed(3)}  AUC-PR ${m.auc_pr.toFixed(3)}  recall@1%FPR ${m.recall_at_1pct_fpr.toFixed(3)}  loss ${m.loss.toFixed(4)}  (${row.seconds.toFixed(0)} s)`,
        );
      } finally {
        tm.model.dispose();
      }
    }
  }
  if (f.write) writeResults(rows, rounds, delta);
  process.stdout.write(`${JSON.stringify({ rounds, delta, rows })}\n`);
});

function writeResults(rows: Row[], rounds: number, delta: number): void {
  const file = join(import.meta.dirname, '..', '..', 'bench', 'RESULTS.md');
  const head = '## Differential privacy: what it costs in model quality (`npm run report:dp`)';
  const lines = [
    head,
    '',
    `Generated by \`npm run report:dp\` on ${new Date().toISOString()}: ${rounds} rounds, δ = ${delta}, every trainer in every round (K = n honest survivors, no colluders), test split of the fixed 60/20/20 split. ε = ∞ is the DP-free baseline (sample-weighted FedAvg). The clipping norm C is the median first-round update norm on the synthetic generator's data (public: choosing it spends no privacy).`,
    '',
    '| data | trainers | ε | z | C | AUC-PR | recall @ 1 % FPR | loss |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.data} | ${r.trainers} | ${r.epsilon ?? '∞'} | ${r.noise_multiplier?.toFixed(3) ?? '—'} | ${r.clip.toPrecision(3)} | ${r.auc_pr.toFixed(3)} | ${r.recall_at_1pct_fpr.toFixed(3)} | ${r.loss.toFixed(4)} |`,
    ),
    '',
  ].join('\n');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = old.indexOf(head);
  const next =
    at < 0 ? `${old.trimEnd()}\n\n${lines}` : old.slice(0, at) + lines + restAfter(old.slice(at + head.length));
  writeFileSync(file, next);
  log(`wrote ${file}`);
}

/** What follows a replaced section: from its next `## ` heading on. */
function restAfter(s: string): string {
  const i = s.search(/\n## /);
  return i < 0 ? '' : s.slice(i + 1);
}
