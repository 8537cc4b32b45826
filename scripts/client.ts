/**
 * `npm run client -- --url ws://host:port/ws --token T [options]`: one headless participant in
 * Node (tfjs cpu backend) on synthetic data or a CSV. See --help.
 */
import { createSigningKey } from '../src/cert/sign.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { MlTrainer } from '../src/client/trainers/ml-trainer.js';
import { ParticipantEngine } from '../src/client/engine.js';
import { partitionDataset } from '../src/ml/partition.js';
import { splitDataset } from '../src/ml/split.js';
import { createIdentity, fromHex, isSubsetSafe, toHex } from '../src/secagg/index.js';
import { nodeSocket } from '../src/sim/harness.js';
import { SpokenRoundsFile } from '../src/sim/spoken-rounds.js';
import { PrivacyLedgerFile } from '../src/sim/privacy-ledger.js';
import { DATA_FLAGS, UsageError, command, describe, flag, loadData, log, num, runMain, toggle } from './cli.js';

const CMD = command({
  usage: 'npm run client -- --url <ws://host:port/ws | http://host:port/?join=TOKEN> [--token T] [options]',
  flags: {
    url: true,
    token: 'taken from ?join= in the URL when present',
    'authority-key': flag(
      'HEX',
      "the enrollment authority's Ed25519 key to pin (64 hex digits); taken from ?authority= in the join URL when present",
    ),
    'insecure-demo': toggle(
      'take part even when a committee is not subset-safe (an INSECURE demo; also ?insecure-demo=1 in the join URL)',
    ),
    authority: flag('URL', 'where the enrollment authority answers; default http(s)://HOST:PORT/authority of --url'),
    role: flag('R', 'trainer | committee | both (default trainer)'),
    shard: flag(
      'K/N',
      "train on shard K (1-based) of N equal partitions of the data's training split (default 1/1: all of it)",
    ),
    'non-iid': true,
    identity: flag(
      'FILE',
      'keep the long-term X25519 identity in FILE (created if missing), so a restarted client rejoins as the same participant',
    ),
    spoken: flag(
      'FILE',
      'remember the rounds this participant spoke in (durable speak-once); default FILE.spoken beside --identity',
    ),
    label: flag('NAME', 'a name shown in the server log'),
    'dp-max-epsilon': flag(
      'E',
      "refuse a DP round that would take this participant's own ε(δ), or the federation's, above E (default: no limit)",
    ),
    'dp-ledger': flag(
      'FILE',
      'remember the DP rounds this participant took part in (its own ε across restarts); default FILE.dp beside --identity',
    ),
    ...DATA_FLAGS,
    data: 'default synthetic',
    rows: 'default 20000',
    'fraud-rate': 'default 0.01',
  },
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  if (!f.url) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(f.url);
  } catch {
    throw new UsageError(`--url is not a URL: ${f.url}`);
  }
  const token = f.token ?? url.searchParams.get('join') ?? '';
  const wsUrl = url.protocol.startsWith('ws')
    ? url.toString()
    : `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}/ws`;
  const authorityKey = f['authority-key'] ?? url.searchParams.get('authority') ?? '';
  if (!/^[0-9a-f]{64}$/.test(authorityKey))
    throw new UsageError(
      "--authority-key (or ?authority= in the join URL) must be the enrollment authority's key, 64 lowercase hex digits: a client trusts only committees that authority certifies",
    );
  const authorityUrl =
    f.authority ?? `${url.protocol === 'wss:' || url.protocol === 'https:' ? 'https' : 'http'}://${url.host}/authority`;
  const role = f.role ?? 'trainer';
  if (!['trainer', 'committee', 'both'].includes(role))
    throw new UsageError(`--role must be trainer, committee or both, got '${role}'`);
  const train = role !== 'committee';

  let identity = createIdentity();
  let signing = createSigningKey();
  if (f.identity) {
    const save = () =>
      writeFileSync(
        f.identity as string,
        `${JSON.stringify({ secretKey: toHex(identity.secretKey), publicKey: toHex(identity.publicKey), signingKey: toHex(signing.secretKey) }, null, 2)}\n`,
        { mode: 0o600 },
      );
    if (existsSync(f.identity)) {
      const saved = JSON.parse(readFileSync(f.identity, 'utf8')) as { secretKey?: string; signingKey?: string };
      if (typeof saved.secretKey !== 'string' || saved.secretKey.length !== 64)
        throw new UsageError(`${f.identity} does not hold an identity ({"secretKey": "<64 hex>"})`);
      identity = createIdentity(fromHex(saved.secretKey));
      if (typeof saved.signingKey === 'string' && /^[0-9a-f]{64}$/.test(saved.signingKey))
        signing = createSigningKey(fromHex(saved.signingKey));
      else save(); // an identity file from before signing keys: add one
    } else save();
  }

  const spokenPath = f.spoken ?? (f.identity ? `${f.identity}.spoken` : undefined);
  const spoken = spokenPath ? new SpokenRoundsFile(spokenPath) : undefined;
  if (!spoken) log('no --identity or --spoken: the rounds this client spoke in are remembered in memory only');
  const ledgerPath = f['dp-ledger'] ?? (f.identity ? `${f.identity}.dp` : undefined);
  const maxEpsilon =
    f['dp-max-epsilon'] === undefined ? undefined : num('dp-max-epsilon', f['dp-max-epsilon'], 0, { min: 1e-9 });
  const privacy = {
    ...(maxEpsilon !== undefined ? { maxEpsilon } : {}),
    ...(ledgerPath ? { ledger: new PrivacyLedgerFile(ledgerPath) } : {}),
  };

  let trainer: MlTrainer | undefined;
  if (train) {
    const synthetic = !f.data || f.data === 'synthetic';
    const { dataset, label } = await loadData({
      ...f,
      data: f.data ?? 'synthetic',
      rows: f.rows ?? (synthetic ? '20000' : undefined),
      'fraud-rate': f['fraud-rate'] ?? (synthetic ? '0.01' : undefined),
    });
    const m = /^(\d+)\/(\d+)$/.exec(f.shard ?? '1/1');
    const k = Number(m?.[1]);
    const n = Number(m?.[2]);
    if (!m || k < 1 || k > n) throw new UsageError(`--shard must be K/N with 1 ≤ K ≤ N, got '${f.shard}'`);
    const shard = partitionDataset(splitDataset(dataset).train, { clients: n, mode: f['non-iid'] ? 'non-iid' : 'iid' })[
      k - 1
    ];
    if (!shard || shard.size === 0) throw new UsageError(`shard ${k}/${n} of ${label} is empty`);
    log(`data: ${label}, shard ${k}/${n}: ${describe(shard)}`);
    trainer = new MlTrainer(shard, k);
  }

  const engine = new ParticipantEngine({
    url: wsUrl,
    token,
    identity,
    authority: { url: authorityUrl, keys: [fromHex(authorityKey)] },
    signing,
    acceptUnsafeCommittee: !!f['insecure-demo'] || url.searchParams.get('insecure-demo') === '1',
    train,
    committee: role !== 'trainer',
    ...(f.label ? { label: f.label } : {}),
    socketFactory: nodeSocket,
    ...(spoken ? { answeredRounds: spoken } : {}),
    privacy,
    ...(trainer ? { trainer } : {}),
  });
  let lastPhase = '';
  engine.on((e) => {
    switch (e.type) {
      case 'state':
        if (`${e.state.connection}/${e.state.phase}` !== lastPhase) {
          lastPhase = `${e.state.connection}/${e.state.phase}`;
          log(
            `[${e.state.connection}] ${e.state.clientId ?? '…'} round ${e.state.round ?? '-'} ${e.state.role ?? ''} ${e.state.phase}`,
          );
        }
        return;
      case 'round':
        if (e.committee && !isSubsetSafe(e.committee)) {
          const { m, tRec, rho } = e.committee;
          log(
            `  INSECURE DEMO: round ${e.round}'s committee ${m},${tRec},${rho} is not subset-safe (2·t_rec ≤ m + c_max); a dishonest server could read individual updates`,
          );
        }
        return;
      case 'privacy':
        return log(
          `  DP round: clip ${e.clip}, noise share σ ${e.noiseStd.toPrecision(3)} per coordinate; your ε ${e.ownEpsilon.toFixed(3)}, the federation's ${e.federationAfter.toFixed(3)}${e.budget !== undefined ? ` of ${e.budget}` : ''} (δ ${e.delta})`,
        );
      case 'trained':
        return log(`  trained on ${e.numSamples} rows${e.loss !== undefined ? `, loss ${e.loss.toFixed(4)}` : ''}`);
      case 'sent':
        return log(
          `  sent ${(e.bytes / 1024).toFixed(1)} KiB (mask ${e.timings.mask_ms.toFixed(0)} ms, shares ${e.timings.shares_ms.toFixed(0)} ms, seal ${e.timings.seal_ms.toFixed(0)} ms)`,
        );
      case 'complained':
        return log(
          `  complained instead of answering: slices of ${e.trainers.join(', ')} could not be used (signed evidence sent)`,
        );
      case 'answered':
        return log(`  answered the committee job (${e.survivors} survivors, ${(e.bytes / 1024).toFixed(1)} KiB)`);
      case 'result':
        return log(
          e.ok
            ? `  round ${e.round}: model v${e.version} (${e.survivors} trainers, ${e.answered} members)`
            : `  round ${e.round} FAILED (${e.code}): ${e.reason}`,
        );
      case 'receipt':
        return log(`  ${e.included ? e.text : `receipt: ${e.text}`}`);
      case 'error':
        return log(`  error ${e.code}: ${e.message}`);
      default:
        return;
    }
  });
  engine.start();
  const stop = () => {
    engine.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise(() => undefined); // runs until stopped
});
