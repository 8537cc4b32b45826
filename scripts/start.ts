/**
 * `npm start` and `npm run demo`: the web app, the dashboard and a federation on one port.
 * Headless participants (committee members and trainers) join too, so a browser opening the
 * join URL takes part in real secure rounds straight away. `--demo` (what `npm run demo`
 * passes) switches to the stakeholder-demo defaults: 10 trainers, 5 committee members.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MlEvaluator } from '../src/client/trainers/ml-evaluator.js';
import { MlTrainer } from '../src/client/trainers/ml-trainer.js';
import { partitionDataset } from '../src/ml/partition.js';
import { splitDataset } from '../src/ml/split.js';
import { resolveConfig } from '../src/server/config.js';
import { Federation } from '../src/server/federation.js';
import { listen } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';
import { staticApp } from '../src/server/static.js';
import { HeadlessPool } from '../src/sim/headless.js';
import { DATA_OPTIONS, UsageError, describe, intList, loadData, log, num, parseFlags, runMain } from './cli.js';

const HELP = `
usage: npm start -- [options]        (npm run demo -- [options]: the same with --demo)

  --port N                 port of the app, dashboard and federation (default 8080)
  --host H                 interface (default 127.0.0.1; 0.0.0.0 to let other machines join)
  --data-dir DIR           where model versions and the round log are kept (default data/federation)
  --demo                   stakeholder-demo defaults: 10 trainers, 5 members, committee 5,3,1
  --trainers N             headless trainers beside the browsers (default 2; --demo 10)
  --members N              headless committee volunteers (default 3; --demo 5)
  --committee M,T,R        committee size, threshold, packing (default 3,2,1; --demo 5,3,1)
  --data <csv|synthetic>   data split across the headless trainers (default synthetic, 20,000
                           rows at 1 % fraud; browsers bring their own); --rows/--fraud-rate/--seed
  --fail-round N[,N…]      in these rounds of this run, m − t_rec + 1 headless members stay
                           silent, so the round fails loudly (they rejoin afterwards)
  --drop-trainers R:K[,…]  in round R of this run, K headless trainers crash at random points
  --token T                join token (default: a random one, printed in the join URL); --open for none
  --pause-s S              pause between rounds, so people can follow (default 3)
  --rounds N               stop after N rounds (default: run until stopped)
  --first-round N          wait for N connected participants before the first round (default 0)
  --test-mode              expose test hooks to clients (Playwright suites only)
  -h, --help               show this help
`;

runMain(HELP, async () => {
  const f = parseFlags({
    ...DATA_OPTIONS,
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    demo: { type: 'boolean' },
    trainers: { type: 'string' },
    members: { type: 'string' },
    committee: { type: 'string' },
    'fail-round': { type: 'string' },
    'drop-trainers': { type: 'string' },
    token: { type: 'string' },
    open: { type: 'boolean' },
    'pause-s': { type: 'string' },
    rounds: { type: 'string' },
    'first-round': { type: 'string' },
    'test-mode': { type: 'boolean' },
  });
  const demo = !!f.demo;
  const dist = join(import.meta.dirname, '..', 'dist');
  const app = staticApp(dist);
  if (!app) throw new UsageError(`the web app is not built (no ${dist}/index.html): run \`npm run build\`, or use \`npm start\`, which builds first`);
  const [m, tRec, rho] = intList('committee', f.committee, demo ? [5, 3, 1] : [3, 2, 1]);
  if (m === undefined || tRec === undefined || rho === undefined || (f.committee && f.committee.split(',').length !== 3)) throw new UsageError('--committee takes M,T,R, e.g. 5,3,1');
  const trainers = num('trainers', f.trainers, demo ? 10 : 2, { int: true, min: 0 });
  const members = num('members', f.members, demo ? 5 : 3, { int: true, min: 0 });
  const failRounds = intList('fail-round', f['fail-round'], []);
  const drops = (f['drop-trainers'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((p) => {
      const mm = /^(\d+):(\d+)$/.exec(p.trim());
      if (!mm) throw new UsageError(`--drop-trainers takes ROUND:COUNT pairs, e.g. 2:3, got '${p}'`);
      return { round: Number(mm[1]), count: Number(mm[2]) };
    });
  const token = f.open ? undefined : (f.token ?? randomBytes(9).toString('base64url'));
  const config = resolveConfig({
    port: num('port', f.port, 8080, { int: true, min: 0, max: 65535 }),
    host: f.host ?? '127.0.0.1',
    dataDir: f['data-dir'] ?? 'data/federation',
    open: !!f.open,
    ...(token ? { token } : {}),
    committee: { m, tRec, rho },
    minTrainers: 2,
    firstRoundParticipants: num('first-round', f['first-round'], 0, { int: true, min: 0 }),
    pauseMs: Math.round(1000 * num('pause-s', f['pause-s'], 3, { min: 0 })),
    rounds: num('rounds', f.rounds, 0, { int: true, min: 0 }),
    submitMs: 45_000,
    committeeMs: 20_000,
    epochs: 2,
    batchSize: 128,
    learningRate: 0.01,
    testMode: !!f['test-mode'],
    logLevel: 'warn',
  });
  const synthetic = !f.data || f.data === 'synthetic';
  const { dataset, label } = await loadData({ ...f, data: f.data ?? 'synthetic', rows: f.rows ?? (synthetic ? '20000' : undefined), 'fraud-rate': f['fraud-rate'] ?? (synthetic ? '0.01' : undefined) });

  const logger = createLogger(config.logLevel);
  const fed = new Federation(config, logger);
  await fed.init();
  const server = await listen(fed, config.host, config.port, logger, { fallback: app });
  const first = fed.lastStartedRound + 1;
  const splits = splitDataset(dataset);
  const train = trainers > 0 ? partitionDataset(splits.train, { clients: trainers, seed: 11 }) : [];
  const heldOut = trainers > 0 ? partitionDataset(splits.validation, { clients: trainers, seed: 11 }) : [];
  const pool = new HeadlessPool({
    wsUrl: `${server.url.replace(/^http/, 'ws')}/ws`,
    token: token ?? '',
    trainers: train.map((t, i) => ({ train: t, heldOut: heldOut[i] as typeof t })),
    members,
    makeTrainer: (d, i) => new MlTrainer(d, 100 + i),
    makeEvaluator: (d) => new MlEvaluator(d),
  });
  for (const r of failRounds) pool.silenceMembers(first + r - 1, m - tRec + 1);
  for (const d of drops) pool.crashTrainers(first + d.round - 1, d.count);

  const joinUrl = `${server.url}/${token ? `?join=${encodeURIComponent(token)}` : ''}`;
  process.stdout.write(
    `\nSpeakOnce is running — federation ${fed.federationId}, model v${fed.version}\n\n` +
      `  Open this in a browser to take part:  ${joinUrl}\n` +
      `  Dashboard for everyone watching:      ${server.url}/dashboard.html\n\n` +
      `  ${trainers} headless trainer(s) on ${label} (${describe(dataset)}) and ${members} committee volunteer(s);\n` +
      `  committee m=${m}, t_rec=${tRec}, ρ=${rho}${failRounds.length ? `; rounds ${failRounds.join(', ')} will fail (silent members)` : ''}${drops.length ? `; trainer crashes in round(s) ${drops.map((d) => `${d.round}×${d.count}`).join(', ')}` : ''}.\n` +
      `  status: ${server.url}/status   events: ${server.url}/events   data: ${config.dataDir}\n` +
      `  Press Ctrl+C to stop.\n\n`,
  );
  fed.onEvent((e) => {
    if (e.type === 'round_done') {
      pool.roundEnded(e.round);
      log(`round ${e.round}: model v${e.version} from ${e.survivors.length} trainer(s), ${e.membersAnswered.length} committee answer(s), ${e.timings.total_ms} ms${e.metrics ? `, federation AUC-PR of v${e.metrics.version}: ${e.metrics.auc_pr.toFixed(3)}` : ''}`);
    } else if (e.type === 'round_failed') {
      pool.roundEnded(e.round);
      log(`round ${e.round} FAILED (${e.code}): ${e.reason}`);
    } else if (e.type === 'finished') void stop();
  });
  const stop = async () => {
    pool.stop();
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
});
