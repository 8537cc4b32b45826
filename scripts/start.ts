/**
 * `npm start` and `npm run demo`: the web app, the dashboard and a federation on one port.
 * Headless participants (committee members and trainers) join too, so a browser opening the
 * join URL takes part in real secure rounds straight away. `--demo` (what `npm run demo`
 * passes) switches to the stakeholder-demo defaults: 10 trainers, 5 committee members.
 * Both default committees are subset-safe (docs/protocol.md §15): 4,3,2 (c_max = 1, 6 > 5) with
 * 4 headless members, and 5,4,2 (c_max = 2, 8 > 7) with 5; each tolerates one silent member.
 */
import { join } from 'node:path';
import { MlEvaluator } from '../src/client/trainers/ml-evaluator.js';
import { MlTrainer } from '../src/client/trainers/ml-trainer.js';
import { partitionDataset } from '../src/ml/partition.js';
import { splitDataset } from '../src/ml/split.js';
import { authorityHandler } from '../src/authority/http.js';
import { loadOrCreateKeys, toHex } from '../src/authority/keys.js';
import { EnrollmentAuthority, inProcessAuthority } from '../src/authority/service.js';
import { resolveConfig } from '../src/server/config.js';
import { Federation } from '../src/server/federation.js';
import { listen } from '../src/server/http.js';
import { lockDataDir } from '../src/server/lock.js';
import { createLogger } from '../src/server/log.js';
import { staticApp } from '../src/server/static.js';
import { HeadlessPool } from '../src/sim/headless.js';
import {
  DATA_FLAGS,
  UsageError,
  command,
  describe,
  flag,
  intList,
  loadData,
  log,
  num,
  parseCommittee,
  parseOrigins,
  runMain,
  toggle,
} from './cli.js';
import { demoDataDir } from './demo-dir.js';
import { joinToken } from './join-token.js';
import { BaselineReport } from './baseline.js';
import { roundLogRoute } from './round-log.js';
import { DP_FLAGS, dpBanner, dpSettings } from './dp-flags.js';
import { paceDelayMs, pacedCrypto, pacedTrainer } from './pace.js';
import { lanOrigin, listenOrExplain } from './port.js';

/** The demo's local training per round (see the comment at its use). */
const DEMO_EPOCHS = 1;
const DEMO_LR = 0.004;

const CMD = command({
  usage: 'npm start -- [options]        (npm run demo -- [options]: the same with --demo)',
  flags: {
    port: 'default 8080',
    host: 'default 127.0.0.1',
    'data-dir': 'default data/federation; --demo: a fresh data/demo/<time> each run',
    'transcript-keep': true,
    resume: toggle('--demo: carry on with the latest demo data directory instead of a fresh one'),
    demo: toggle('stakeholder-demo defaults: 10 trainers, 5 members, committee 5,4,2'),
    trainers: 'beside the browsers; default 3, --demo 10',
    members: 'default 4, --demo 5',
    committee: 'default 4,3,2; --demo 5,4,2; must be subset-safe (2·t_rec > m + c_max) unless --insecure-demo',
    'insecure-demo': true,
    ...DATA_FLAGS,
    data: 'split across the headless trainers; default synthetic, 20,000 rows at 1 % fraud; browsers bring their own',
    rows: 'default 20000',
    'fraud-rate': 'default 0.01',
    'fail-round': flag(
      'N[,N…]',
      'in these rounds of this run, d_max + 1 = m − t_rec + 1 headless members stay silent, so the round fails loudly (they rejoin afterwards)',
    ),
    'drop-trainers': flag(
      'R:K[,…]',
      "in round R of this run, K headless trainers crash at random points; default none, --demo 2:1 (one dropout; '' for none)",
    ),
    token:
      'default: the one kept in DATA_DIR/join-token (created on first start), printed in the join URL; --open for none',
    'new-token': toggle('roll the join token: tabs holding the old one are refused and offer to paste the new link'),
    recover: toggle(
      'rebuild state.json from the newest loadable checkpoint and rounds.jsonl when the start-up check refused the data directory (nothing is deleted: what cannot be used is set aside)',
    ),
    'authority-key': flag(
      'FILE',
      "the enrollment authority's key file (created if missing; roll it with `npm run authority -- rotate`); default DATA_DIR.authority.json",
    ),
    open: true,
    'allow-origin':
      "default: only the server's own, http://HOST:PORT, with localhost and 127.0.0.1 for a loopback host and every interface's address for 0.0.0.0",
    'pause-s': 'default 3, so people can follow; --demo: the pace',
    pace: flag(
      'S',
      'headless trainers send, and committee members answer, one after another over about S seconds, so each phase stays on screen; default 0, --demo 2',
    ),
    rounds: 'default: run until stopped',
    epochs: 'local epochs per round; default 2, --demo 1',
    lr: 'local learning rate (Adam); default 0.01, --demo 0.004',
    'first-round': 'default 0',
    'test-mode': toggle('expose test hooks to clients (Playwright suites only)'),
    ...DP_FLAGS,
  },
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  const allowedOrigins = parseOrigins(f['allow-origin']) ?? [];
  const demo = !!f.demo;
  const dist = join(import.meta.dirname, '..', 'dist');
  const app = staticApp(dist);
  if (!app)
    throw new UsageError(
      `the web app is not built (no ${dist}/index.html): run \`npm run build\`, or use \`npm start\`, which builds first`,
    );
  const committee = parseCommittee(f.committee ?? (demo ? '5,4,2' : '4,3,2'));
  const { m, tRec, rho } = committee;
  const trainers = num('trainers', f.trainers, demo ? 10 : 3, { int: true, min: 0 });
  const members = num('members', f.members, demo ? 5 : 4, { int: true, min: 0 });
  const failRounds = intList('fail-round', f['fail-round'], []);
  const pace = num('pace', f.pace, demo ? 2 : 0, { min: 0, max: 10 });
  // The demo shows one dropout (a trainer crashes in round 2) unless told otherwise.
  const drops = (f['drop-trainers'] ?? (demo ? '2:1' : ''))
    .split(',')
    .filter(Boolean)
    .map((p) => {
      const mm = /^(\d+):(\d+)$/.exec(p.trim());
      if (!mm) throw new UsageError(`--drop-trainers takes ROUND:COUNT pairs, e.g. 2:3, got '${p}'`);
      return { round: Number(mm[1]), count: Number(mm[2]) };
    });
  const dataDir = f['data-dir'] ?? (demo ? demoDataDir('data/demo', !!f.resume) : 'data/federation');
  // One server per data directory (lock.ts), taken before anything in it is read or written.
  lockDataDir(dataDir, createLogger('warn'));
  const token = f.open ? undefined : joinToken(dataDir, { given: f.token, rotate: !!f['new-token'] }).token;
  const port = num('port', f.port, 8080, { int: true, min: 0, max: 65535 });
  const host = f.host ?? '127.0.0.1';
  const config = resolveConfig({
    port,
    host,
    dataDir,
    open: !!f.open,
    allowedOrigins,
    ...(token ? { token } : {}),
    committee: { m, tRec, rho },
    insecureDemo: !!f['insecure-demo'],
    recover: !!f.recover,
    transcriptKeep: num('transcript-keep', f['transcript-keep'], 3, { int: true, min: 0 }),
    minTrainers: 3,
    firstRoundParticipants: num('first-round', f['first-round'], 0, { int: true, min: 0 }),
    pauseMs: Math.round(1000 * num('pause-s', f['pause-s'], demo ? Math.max(3, pace) : 3, { min: 0 })),
    rounds: num('rounds', f.rounds, 0, { int: true, min: 0 }),
    submitMs: 45_000,
    committeeMs: 20_000,
    // The demo takes smaller steps per round, so the model's progress is spread over the rounds
    // the audience watches instead of done by round 3 (bench/RESULTS.md, "The demo's learning curve").
    epochs: num('epochs', f.epochs, demo ? DEMO_EPOCHS : 2, { int: true, min: 1 }),
    batchSize: 128,
    learningRate: num('lr', f.lr, demo ? DEMO_LR : 0.01, { min: 1e-9 }),
    testMode: !!f['test-mode'],
    logLevel: 'warn',
    ...dpSettings(f),
  });
  const synthetic = !f.data || f.data === 'synthetic';
  const { dataset, label } = await loadData({
    ...f,
    data: f.data ?? 'synthetic',
    rows: f.rows ?? (synthetic ? '20000' : undefined),
    'fraud-rate': f['fraud-rate'] ?? (synthetic ? '0.01' : undefined),
  });

  const logger = createLogger(config.logLevel);
  // The enrollment authority beside the server, with its own key file (the server never reads it).
  const keyFile = f['authority-key'] ?? `${config.dataDir.replace(/\/+$/, '')}.authority.json`;
  const keys = loadOrCreateKeys(keyFile);
  const pinned = [keys.signPublic, ...keys.retired.map((r) => r.publicKey)];
  const fed = new Federation({ ...config, authorityKeys: pinned.map((k) => toHex(k)) }, logger);
  await fed.init();
  const authority = new EnrollmentAuthority(keys, {
    federation: fed.federationId,
    ...(token ? { token } : { open: true }),
    // Playwright suites close tabs and expect re-drawn committees within seconds.
    ...(config.testMode ? { presenceTtlMs: 4_000, minEpochMs: 0 } : {}),
  });
  fed.useAuthority(inProcessAuthority(authority));
  const enrollHandler = authorityHandler(authority, logger, '/authority');
  const roundLog = roundLogRoute(config.dataDir);
  const splits = splitDataset(dataset);
  const train = trainers > 0 ? partitionDataset(splits.train, { clients: trainers, seed: 11 }) : [];
  const heldOut = trainers > 0 ? partitionDataset(splits.validation, { clients: trainers, seed: 11 }) : [];
  // One trainer's data alone against the federation, on the same held-out rows (the dashboard).
  const report = new BaselineReport(splits.validation, join(config.dataDir, 'models'), trainers);
  const baselineRoute = report.route();
  const server = await listenOrExplain(host, port, demo ? 'npm run demo' : 'npm start', () =>
    listen(fed, config.host, config.port, logger, {
      fallback: async (req, res) =>
        (await roundLog(req, res)) || baselineRoute(req, res) || (await enrollHandler(req, res)) || app(req, res),
    }),
  );
  const first = fed.lastStartedRound + 1;
  const pool = new HeadlessPool({
    wsUrl: `${server.url.replace(/^http/, 'ws')}/ws`,
    token: token ?? '',
    authority: { url: `${server.url}/authority`, keys: pinned, ...(fed.insecureDemo ? { insecureDemo: true } : {}) },
    trainers: train.map((t, i) => ({ train: t, heldOut: heldOut[i] as typeof t })),
    members,
    makeTrainer: (d, i) => pacedTrainer(new MlTrainer(d, 100 + i), paceDelayMs(pace, i, trainers)),
    makeEvaluator: (d) => new MlEvaluator(d),
    ...(pace > 0
      ? { makeCrypto: (i: number) => pacedCrypto(i < trainers ? 0 : paceDelayMs(pace, i - trainers, members)) }
      : {}),
  });
  const first0 = train[0];
  if (first0 && heldOut[0])
    void report
      .trainAlone(first0, heldOut[0], 20)
      .then(() => (fed.version > 0 ? report.federationAt(fed.version) : undefined))
      .catch((e: unknown) => log(`baseline not available: ${String(e)}`));
  for (const r of failRounds) pool.silenceMembers(first + r - 1, committee.dMax + 1);
  // The demo's own dropout is one the audience sees (before sending); chosen ones crash anywhere.
  for (const d of drops)
    pool.crashTrainers(first + d.round - 1, d.count, f['drop-trainers'] === undefined ? ['before-send'] : undefined);

  const joinQuery = `?${token ? `join=${encodeURIComponent(token)}&` : ''}authority=${toHex(keys.signPublic)}${fed.insecureDemo ? '&insecure-demo=1' : ''}`;
  const joinUrl = `${server.url}/${joinQuery}`;
  // The dashboard shows the join link as a QR code for the room (in the fragment: never sent to
  // a server); on all interfaces, with this machine's network address, which phones can reach.
  const phoneUrl = `${lanOrigin(host, server.port) ?? server.url}/${joinQuery}`;
  const dashboardUrl = `${server.url}/dashboard.html#join=${encodeURIComponent(phoneUrl)}`;
  process.stdout.write(
    `\nSpeakOnce is running — federation ${fed.federationId}, model v${fed.version}\n\n` +
      `  Open this in a browser to take part:  ${joinUrl}\n` +
      `  Dashboard for everyone watching:      ${dashboardUrl}\n` +
      (phoneUrl !== joinUrl ? `  For phones on this network:           ${phoneUrl}\n` : '') +
      '\n' +
      `  ${trainers} headless trainer(s) on ${label} (${describe(dataset)}) and ${members} committee volunteer(s);\n` +
      `  committee m=${m}, t_rec=${tRec}, ρ=${rho}${failRounds.length ? `; rounds ${failRounds.join(', ')} will fail (silent members)` : ''}${drops.length ? `; trainer crashes in round(s) ${drops.map((d) => `${d.round}×${d.count}`).join(', ')}` : ''}.\n` +
      (fed.insecureDemo
        ? `  !!! INSECURE DEMO: committee ${m},${tRec},${rho} is not subset-safe; a dishonest server could read individual updates !!!\n`
        : '') +
      dpBanner(fed.status().privacy) +
      (members < m ? `  note: ${members} headless volunteer(s) for m=${m}: rounds wait for browser volunteers\n` : '') +
      `  status: ${server.url}/status   events: ${server.url}/events   data: ${config.dataDir}\n` +
      `  Press Ctrl+C to stop. Starting again with the same data directory keeps the join link (its token is in\n` +
      `  ${join(config.dataDir, 'join-token')}): joined tabs carry on by themselves. --new-token rolls it.\n\n`,
  );
  fed.onEvent((e) => {
    if (e.type === 'round_done') {
      pool.roundEnded(e.round);
      report
        .federationAt(e.version)
        .catch((err: unknown) => log(`baseline: model v${e.version} not measured: ${String(err)}`));
      log(
        `round ${e.round}: model v${e.version} from ${e.survivors.length} trainer(s), ${e.membersAnswered.length} committee answer(s), ${e.timings.total_ms} ms${e.metrics ? `, federation AUC-PR of v${e.metrics.version}: ${e.metrics.auc_pr.toFixed(3)}` : ''}`,
      );
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
