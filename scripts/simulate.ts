/**
 * `npm run simulate -- --trainers 50 --committee 10 --rounds 5 --drop-trainers 0.2 --drop-members 2`
 * Starts a server (or uses --url) and that many headless participants over real sockets,
 * injects dropouts, prints a per-round table and ends with one JSON line.
 */
import { defaultCommittee, simulate, TABLE_HEADER } from '../src/sim/simulate.js';
import { DATA_OPTIONS, UsageError, describe, loadData, log, num, parseFlags, runMain } from './cli.js';

const HELP = `
usage: npm run simulate -- [options]

  --trainers N        headless trainers (default 10)
  --committee M       committee volunteers; all of them form the committee (default 5)
  --rounds R          rounds to run (default 3)
  --drop-trainers F   fraction of each round's trainers that crash at a random protocol point
                      (before training, before sending, right after sending) (default 0)
  --drop-members K    committee members that stay silent in each round (default 0)
  --threshold T       t_rec (default: M − max(1, K)); --rho R: packing (default: t_rec − ⌈M/3⌉)
  --data <csv|synthetic>  data split across the trainers (default synthetic: 20,000 rows at a 1 % fraud
                      rate, so the per-round AUC-PR on the validation split has enough frauds to mean something)
  --rows N / --fraud-rate F / --seed S   synthetic data options
  --non-iid           non-IID partition (per-client fraud rate and amount skew)
  --epochs N --lr X --batch N            local training (defaults 2, 0.01, 64)
  --submit-s S --committee-s S           deadlines in seconds (defaults 60, 30)
  --data-dir DIR      data directory of the in-process server (default: a temporary directory)
  --url URL --token T use a running server instead (its participants beyond ours make exactness uncheckable)
  --out DIR           where to save the final model when --url is used (default out/simulate)
  -h, --help          show this help

The last line of output is one JSON object: rounds_completed, rounds_failed, exact (every decoded
sum equalled the trainers' plaintext sum), model (path of the final checkpoint), final_auc_pr, rows.
`;

runMain(HELP, async () => {
  const f = parseFlags({
    ...DATA_OPTIONS,
    trainers: { type: 'string' },
    committee: { type: 'string' },
    rounds: { type: 'string' },
    'drop-trainers': { type: 'string' },
    'drop-members': { type: 'string' },
    threshold: { type: 'string' },
    rho: { type: 'string' },
    'non-iid': { type: 'boolean' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    'submit-s': { type: 'string' },
    'committee-s': { type: 'string' },
    'data-dir': { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    out: { type: 'string' },
  });
  const trainers = num('trainers', f.trainers, 10, { int: true, min: 2 });
  const committee = num('committee', f.committee, 5, { int: true, min: 2, max: 4096 });
  const dropMembers = num('drop-members', f['drop-members'], 0, { int: true, min: 0, max: committee });
  const threshold = f.threshold === undefined ? undefined : num('threshold', f.threshold, 0, { int: true, min: 2, max: committee });
  const rho = f.rho === undefined ? undefined : num('rho', f.rho, 0, { int: true, min: 1 });
  const settings = defaultCommittee(committee, dropMembers, threshold, rho);
  if (f.url && !f.token) log('note: --url without --token works only with a server started with --open');
  const synthetic = !f.data || f.data === 'synthetic';
  const { dataset, label } = await loadData({ ...f, data: f.data ?? 'synthetic', rows: f.rows ?? (synthetic ? '20000' : undefined), 'fraud-rate': f['fraud-rate'] ?? (synthetic ? '0.01' : undefined) });
  log(`simulate: ${trainers} trainers, committee m=${settings.m} t_rec=${settings.tRec} ρ=${settings.rho}${settings.subsetSafe ? '' : ' (not subset-safe)'}, data ${label}: ${describe(dataset)}`);
  if (dropMembers > settings.m - settings.tRec) log(`note: ${dropMembers} silent member(s) exceed m − t_rec = ${settings.m - settings.tRec}: rounds will fail loudly`);
  process.stdout.write(`${TABLE_HEADER}\n`);
  const res = await simulate({
    trainers,
    committee,
    rounds: num('rounds', f.rounds, 3, { int: true, min: 1 }),
    dropTrainers: num('drop-trainers', f['drop-trainers'], 0, { min: 0, max: 0.9 }),
    dropMembers,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(rho !== undefined ? { rho } : {}),
    data: dataset,
    dataLabel: label,
    nonIid: !!f['non-iid'],
    epochs: num('epochs', f.epochs, 2, { int: true, min: 1 }),
    learningRate: num('lr', f.lr, 0.01, { min: 1e-9 }),
    batchSize: num('batch', f.batch, 64, { int: true, min: 1 }),
    submitMs: 1000 * num('submit-s', f['submit-s'], 60, { min: 0.1 }),
    committeeMs: 1000 * num('committee-s', f['committee-s'], 30, { min: 0.1 }),
    ...(f['data-dir'] ? { dataDir: f['data-dir'] } : {}),
    ...(f.url ? { url: f.url } : {}),
    ...(f.token ? { token: f.token } : {}),
    out: f.out ?? 'out/simulate',
    log: (line) => process.stdout.write(`${line}\n`),
  });
  if (res.rows.length === 0) throw new UsageError('no round ran');
  process.stdout.write(`${JSON.stringify({ ...res, rows: undefined, table: res.rows })}\n`);
  if (res.exact === false) process.exitCode = 1;
});
