/**
 * `npm start`: the web app and a federation on one port, on the embedded synthetic default.
 * A few headless participants (committee members and trainers) join too, so one browser tab
 * opening the printed URL takes part in real secure rounds straight away.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MlEvaluator } from '../src/client/evaluator.js';
import { MlTrainer } from '../src/client/ml-trainer.js';
import { partitionDataset } from '../src/ml/partition.js';
import { splitDataset } from '../src/ml/split.js';
import { generateSynthetic } from '../src/ml/synthetic.js';
import { resolveConfig } from '../src/server/config.js';
import { Federation } from '../src/server/federation.js';
import { listen } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';
import { staticApp } from '../src/server/static.js';
import { startHeadless } from '../src/sim/harness.js';
import { UsageError, intList, log, num, parseFlags, runMain } from './cli.js';

const HELP = `
usage: npm start -- [options]

  --port N            port of the app and the federation (default 8080)
  --host H            interface (default 127.0.0.1; 0.0.0.0 to let other machines join)
  --data-dir DIR      where model versions and the round log are kept (default data/federation)
  --trainers N        headless trainers to run alongside the browsers (default 2)
  --members N         headless committee volunteers (default 3)
  --committee M,T,R   committee size, threshold, packing (default 3,2,1: one member may stay silent)
  --token T           join token (default: a random one, printed in the join URL); --open for none
  --pause-s S         pause between rounds, so people can follow (default 3)
  --rounds N          stop after N rounds (default: run until stopped)
  --first-round N     wait for N connected participants before the first round (default 0)
  --test-mode         expose test hooks to clients (Playwright suites only)
  -h, --help          show this help
`;

runMain(HELP, async () => {
  const f = parseFlags({
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    trainers: { type: 'string' },
    members: { type: 'string' },
    committee: { type: 'string' },
    token: { type: 'string' },
    open: { type: 'boolean' },
    'pause-s': { type: 'string' },
    rounds: { type: 'string' },
    'first-round': { type: 'string' },
    'test-mode': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const dist = join(import.meta.dirname, '..', 'dist');
  const app = staticApp(dist);
  if (!app) throw new UsageError(`the web app is not built (no ${dist}/index.html): run \`npm run build\` or use \`npm start\`, which builds first`);
  const [m, tRec, rho] = intList('committee', f.committee, [3, 2, 1]);
  if (m === undefined || tRec === undefined || rho === undefined) throw new UsageError('--committee takes M,T,R');
  const trainers = num('trainers', f.trainers, 2, { int: true, min: 0 });
  const members = num('members', f.members, 3, { int: true, min: 0 });
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
  const logger = createLogger(config.logLevel);
  const fed = new Federation(config, logger);
  await fed.init();
  const server = await listen(fed, config.host, config.port, logger, { fallback: app });
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
  const data = generateSynthetic({ rows: 20_000, fraudRate: 0.01, seed: 11 });
  const splits = splitDataset(data);
  const headless = startHeadless(
    { wsUrl, token: token ?? '', trainers, members },
    (shard, i) => new MlTrainer(shard, 100 + i),
    (n) => {
      const train = partitionDataset(splits.train, { clients: n, seed: 11 });
      const heldOut = partitionDataset(splits.validation, { clients: n, seed: 11 });
      return train.map((t, i) => ({ train: t, heldOut: heldOut[i] as typeof t }));
    },
    (heldOut) => new MlEvaluator(heldOut),
  );
  const joinUrl = `${server.url}/${token ? `?join=${encodeURIComponent(token)}` : ''}`;
  process.stdout.write(
    `\nSpeakOnce is running — federation ${fed.federationId}, model v${fed.version}\n\n` +
      `  Open this in a browser to take part:  ${joinUrl}\n\n` +
      `  ${trainers} headless trainer(s) and ${members} committee volunteer(s) run alongside (committee m=${m}, t_rec=${tRec}, ρ=${rho}).\n` +
      `  status: ${server.url}/status   events: ${server.url}/events   data: ${config.dataDir}\n` +
      `  Press Ctrl+C to stop.\n\n`,
  );
  fed.onEvent((e) => {
    if (e.type === 'round_done') log(`round ${e.round}: model v${e.version} from ${e.survivors.length} trainer(s), ${e.membersAnswered.length} committee answer(s), ${e.timings.total_ms} ms`);
    else if (e.type === 'round_failed') log(`round ${e.round} FAILED (${e.code}): ${e.reason}`);
    else if (e.type === 'finished') void stop();
  });
  const stop = async () => {
    for (const p of headless) p.engine.stop();
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
});
