/**
 * `npm run simulate -- --trainers 50 --committee 10 --rounds 5 --drop-trainers 0.2 --drop-members 2`
 * (`--committee M,T,R` gives the whole committee; `--committee M` its size, t_rec and ρ by the
 * rule of src/sim/simulate.ts `defaultCommittee`)
 * Starts a server (or uses --url) and that many headless participants over real sockets,
 * injects dropouts, prints a per-round table and ends with one JSON line.
 */
import { SubsetSafetyError, requireSubsetSafe } from '../src/secagg/index.js';
import { defaultCommittee, simulate, TABLE_HEADER } from '../src/sim/simulate.js';
import { DP_FLAGS, dpSettings } from './dp-flags.js';
import { DATA_FLAGS, UsageError, command, describe, flag, loadData, log, num, parseCommittee, runMain } from './cli.js';

const CMD = command({
  usage: 'npm run simulate -- [options]',
  flags: {
    trainers: 'default 10',
    committee:
      'default 5; or M alone, with t_rec and ρ from --threshold and --rho; every volunteer is a member; must be subset-safe (2·t_rec > m + c_max) unless --insecure-demo',
    'insecure-demo': true,
    rounds: 'default 3',
    'drop-trainers': flag(
      'F',
      "fraction of each round's trainers that crash at a random protocol point (before training, before sending, right after sending; default 0)",
    ),
    'drop-members': flag('K', 'committee members that stay silent in each round (default 0)'),
    threshold: flag('T', 't_rec, with --committee M (default: M − max(1, K))'),
    rho: flag(
      'R',
      'packing ρ, with --committee M (default: t_rec − c_max, c_max = ⌈M/3⌉ or less where that makes the committee subset-safe)',
    ),
    ...DATA_FLAGS,
    data:
      'split across the trainers; default synthetic: 20,000 rows at a 1 % fraud rate, so the per-round ' +
      'AUC-PR on the validation split has enough frauds to mean something',
    rows: 'default 20000',
    'fraud-rate': 'default 0.01',
    'non-iid': true,
    epochs: 'local epochs per round; default 2',
    lr: 'default 0.01',
    batch: 'default 64',
    'submit-s': 'default 60',
    'committee-s': 'default 30',
    'data-dir': 'of the in-process server; default: a temporary directory',
    url: 'a running server to use instead of an in-process one; its participants beyond ours make exactness uncheckable',
    token: 'with --url',
    out: flag('DIR', 'where to save the final model when --url is used (default out/simulate)'),
    ...DP_FLAGS,
  },
  footer: `
The last line of output is one JSON object: rounds_completed, rounds_failed, exact (every decoded
sum equalled the trainers' plaintext sum), model (path of the final checkpoint), final_auc_pr,
epsilon and delta (the federation's ε(δ) with --dp-noise-multiplier, else null), stopped_by_budget
(the --dp-epsilon budget ended the run before --rounds), rows.`,
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  const trainers = num('trainers', f.trainers, 10, { int: true, min: 2 });
  // --committee M,T,R gives the whole committee; the older --committee M leaves t_rec and ρ to
  // --threshold and --rho or to defaultCommittee's rule.
  const given = parseCommittee(f.committee ?? '5', { allowSize: true });
  if (typeof given !== 'number' && (f.threshold !== undefined || f.rho !== undefined)) {
    throw new UsageError('--threshold and --rho go with --committee M; --committee M,T,R gives t_rec and ρ itself');
  }
  const committee = typeof given === 'number' ? given : given.m;
  const dropMembers = num('drop-members', f['drop-members'], 0, { int: true, min: 0, max: committee });
  let threshold: number | undefined;
  let rho: number | undefined;
  if (typeof given !== 'number') ({ tRec: threshold, rho } = given);
  else {
    threshold =
      f.threshold === undefined ? undefined : num('threshold', f.threshold, 0, { int: true, min: 2, max: committee });
    rho = f.rho === undefined ? undefined : num('rho', f.rho, 0, { int: true, min: 1 });
  }
  const settings = defaultCommittee(committee, dropMembers, threshold, rho);
  const insecureDemo = !!f['insecure-demo'];
  if (!f.url && !insecureDemo) {
    try {
      requireSubsetSafe(settings);
    } catch (e) {
      if (e instanceof SubsetSafetyError) throw new UsageError(`${e.message}; or run with --insecure-demo`);
      throw e;
    }
  }
  if (f.url && !f.token) log('note: --url without --token works only with a server started with --open');
  const synthetic = !f.data || f.data === 'synthetic';
  const { dataset, label } = await loadData({
    ...f,
    data: f.data ?? 'synthetic',
    rows: f.rows ?? (synthetic ? '20000' : undefined),
    'fraud-rate': f['fraud-rate'] ?? (synthetic ? '0.01' : undefined),
  });
  log(
    `simulate: ${trainers} trainers, committee m=${settings.m} t_rec=${settings.tRec} ρ=${settings.rho}${settings.subsetSafe ? '' : ' (not subset-safe)'}, data ${label}: ${describe(dataset)}`,
  );
  if (dropMembers > settings.dMax)
    log(`note: ${dropMembers} silent member(s) exceed d_max = m − t_rec = ${settings.dMax}: rounds will fail loudly`);
  process.stdout.write(`${TABLE_HEADER}\n`);
  const res = await simulate({
    trainers,
    committee,
    rounds: num('rounds', f.rounds, 3, { int: true, min: 1 }),
    dropTrainers: num('drop-trainers', f['drop-trainers'], 0, { min: 0, max: 0.9 }),
    dropMembers,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(rho !== undefined ? { rho } : {}),
    insecureDemo,
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
    dp: dpSettings(f),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  if (res.rows.length === 0 && !res.stopped_by_budget) throw new UsageError('no round ran');
  process.stdout.write(`${JSON.stringify({ ...res, rows: undefined, table: res.rows })}\n`);
  if (res.exact === false) process.exitCode = 1;
});
