/**
 * `npm run server -- [flags]`: the aggregation server (WebSocket + observer stream + status)
 * on one port, persisting to a data directory. See --help.
 */
import type { ServerConfig } from '../src/server/config.js';
import { resolveConfig } from '../src/server/config.js';
import { httpAuthorityLink } from '../src/server/authority-link.js';
import { Federation } from '../src/server/federation.js';
import { listen } from '../src/server/http.js';
import { lockDataDir } from '../src/server/lock.js';
import { createLogger } from '../src/server/log.js';
import { UsageError, command, flag, intList, num, parseCommittee, parseOrigins, runMain, toggle } from './cli.js';
import { DP_FLAGS, dpBanner, dpSettings } from './dp-flags.js';
import { joinToken } from './join-token.js';
import { listenOrExplain } from './port.js';
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import type { ServerCertificate } from '../src/cert/server.js';
import { toHex } from '../src/secagg/index.js';
import { ServerCertificateJsonSchema } from '../src/wire/authority.js';

/** The server certificate file of `--server-cert` (docs/protocol.md §26). */
function readServerCertificate(file: string): ServerCertificate {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--server-cert ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = v.safeParse(ServerCertificateJsonSchema, raw);
  if (!r.success) throw new UsageError(`--server-cert ${file} is not a server certificate: ${r.issues[0].message}`);
  return r.output;
}

const CMD = command({
  usage: 'npm run server -- [options]',
  flags: {
    port: 'default 8080; 0 = any free port',
    host: 'default 127.0.0.1',
    'data-dir': 'default data/federation; a restarted server resumes from the last finished version there',
    'transcript-keep': true,
    recover: toggle(
      'rebuild state.json from the newest loadable checkpoint and rounds.jsonl when the start-up check refused the data directory (nothing is deleted: what cannot be used is set aside)',
    ),
    config: flag('FILE', 'JSON file with any of the settings below (flags win)'),
    token: 'default: the one kept in DATA_DIR/join-token (created on first start), printed',
    'new-token': toggle('roll the join token: participants holding the old one are refused'),
    open: true,
    'allow-origin':
      "default: only the server's own, http://HOST:PORT, with localhost and 127.0.0.1 for a loopback host and every interface's address for 0.0.0.0",
    'authority-key': flag(
      'HEX[,HEX…]',
      "the enrollment authority's Ed25519 key(s) (`npm run authority -- show`): joins must carry its certificates and every contribution and answer is signed; without it the federation is uncertified and honest clients refuse its rounds",
    ),
    'server-cert': flag(
      'FILE',
      "the authority's certificate of this server's signing key (`npm run authority -- --federation ID --certify-server KEY > FILE`; the key is printed at start): every round's transcript carries it, so `npm run audit` can verify the rounds (docs/transcript.md)",
    ),
    'authority-url': flag(
      'URL',
      'where the enrollment authority answers (npm run authority); it draws each committee. Required with --authority-key',
    ),
    rounds: 'default 0: run until stopped',
    committee:
      'for small federations; must be subset-safe (2·t_rec > m + c_max, e.g. 4,3,2 or 5,4,2) unless --insecure-demo; default: sized each round against the volunteers from the corrupt/dropout fractions at 2^-40, which needs many volunteers',
    'insecure-demo': true,
    corrupt: flag('F', 'assumed corrupt fraction for sizing (default 0.05)'),
    dropout: flag('F', 'assumed dropout fraction for sizing (default 0.10)'),
    'min-trainers': flag('N', 'trainers needed to start a round (default 2)'),
    'first-round': 'default 0',
    'submit-s': 'default 30; closes early when all have sent',
    'committee-s': 'default 15',
    epochs: 'local epochs per round; default 2',
    lr: 'default 0.003',
    batch: 'default 128',
    clip: flag('X', 'per-coordinate clip of updates before quantization (default 0.5)'),
    hidden: 'default 32,16',
    'log-level': flag('L', 'debug | info | warn | error | silent (default info)'),
    'insecure-plaintext': toggle('INSECURE benchmark mode: updates are sent in the clear; never use for real data'),
    ...DP_FLAGS,
  },
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  const opt = <T>(v: string | undefined, parse: (s: string) => T): T | undefined =>
    v === undefined ? undefined : parse(v);
  const committee = opt(f.committee, (s) => {
    const { m, tRec, rho } = parseCommittee(s);
    return { m, tRec, rho };
  });
  const overrides: Partial<ServerConfig> = {
    port: opt(f.port, (s) => num('port', s, 0, { int: true, min: 0, max: 65535 })),
    host: f.host,
    dataDir: f['data-dir'],
    recover: f.recover,
    transcriptKeep: opt(f['transcript-keep'], (s) => num('transcript-keep', s, 0, { int: true, min: 0 })),
    token: f.token,
    open: f.open,
    allowedOrigins: parseOrigins(f['allow-origin']),
    rounds: opt(f.rounds, (s) => num('rounds', s, 0, { int: true, min: 0 })),
    committee,
    corruptFraction: opt(f.corrupt, (s) => num('corrupt', s, 0, { min: 0, max: 0.99 })),
    dropoutFraction: opt(f.dropout, (s) => num('dropout', s, 0, { min: 0, max: 0.99 })),
    minTrainers: opt(f['min-trainers'], (s) => num('min-trainers', s, 0, { int: true, min: 2 })),
    firstRoundParticipants: opt(f['first-round'], (s) => num('first-round', s, 0, { int: true, min: 0 })),
    submitMs: opt(f['submit-s'], (s) => Math.round(1000 * num('submit-s', s, 0, { min: 0.1 }))),
    committeeMs: opt(f['committee-s'], (s) => Math.round(1000 * num('committee-s', s, 0, { min: 0.1 }))),
    epochs: opt(f.epochs, (s) => num('epochs', s, 0, { int: true, min: 1 })),
    learningRate: opt(f.lr, (s) => num('lr', s, 0, { min: 1e-9 })),
    batchSize: opt(f.batch, (s) => num('batch', s, 0, { int: true, min: 1 })),
    clip: opt(f.clip, (s) => num('clip', s, 0, { min: 1e-9 })),
    hidden: opt(f.hidden, (s) => intList('hidden', s, [])),
    logLevel: f['log-level'] as ServerConfig['logLevel'] | undefined,
    insecurePlaintext: f['insecure-plaintext'],
    insecureDemo: f['insecure-demo'],
    ...dpSettings(f),
    authorityKeys: opt(f['authority-key'], (s) =>
      s.split(',').map((k) => {
        const key = k.trim().toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(key))
          throw new UsageError(`--authority-key takes 64-hex-digit Ed25519 keys separated by commas, got '${k}'`);
        return key;
      }),
    ),
  };
  // One server per data directory (lock.ts), taken before anything in it is read or written.
  const probe = resolveConfig({ ...overrides, token: overrides.token ?? 'probe' }, f.config);
  lockDataDir(probe.dataDir, createLogger(probe.logLevel));
  if (!overrides.open && !overrides.token) {
    // The token survives restarts: kept in the data directory the flags and the file name.
    if (!probe.open) overrides.token = joinToken(probe.dataDir, { rotate: !!f['new-token'] }).token;
  }
  const config = resolveConfig(overrides, f.config);
  if (config.authorityKeys && !f['authority-url'])
    throw new UsageError('--authority-url is required with --authority-key: the authority draws every committee');
  const log = createLogger(config.logLevel);
  const fed = new Federation(config, log);
  await fed.init();
  if (f['authority-url']) fed.useAuthority(httpAuthorityLink(f['authority-url'], fed.federationId));
  if (f['server-cert']) fed.useServerCertificate(readServerCertificate(f['server-cert']));
  const server = await listenOrExplain(config.host, config.port, 'npm run server', () =>
    listen(fed, config.host, config.port, log),
  );
  const join = config.open ? `${server.url}/` : `${server.url}/?join=${encodeURIComponent(config.token ?? '')}`;
  const ws = server.url.replace(/^http/, 'ws') + '/ws';
  process.stdout.write(
    [
      `SpeakOnce aggregation server — federation ${fed.federationId}, model version ${fed.version}`,
      config.insecurePlaintext ? '  !!! INSECURE PLAINTEXT MODE: updates travel in the clear (benchmark only) !!!' : '',
      fed.insecureDemo
        ? '  !!! INSECURE DEMO: committees need not be subset-safe; a dishonest server could read individual updates !!!'
        : '',
      config.authorityKeys
        ? `  authority:       ${config.authorityKeys[0]} (clients pin it; serve the authority at /authority of this origin)`
        : '  !!! UNCERTIFIED: no --authority-key; honest clients refuse rounds whose committee no authority certified !!!',
      `  join (browser):  ${join}${config.authorityKeys ? `${join.includes('?') ? '&' : '?'}authority=${config.authorityKeys[0]}` : ''}`,
      `  join (headless): npm run client -- --url ${ws}${config.open ? '' : ` --token ${config.token}`}`,
      `  status:          ${server.url}/status    events: ${server.url}/events    model: ${server.url}/model/model.json`,
      `  browser pages:   ${server.allowedOrigins.join(', ')} may connect (--allow-origin for more)`,
      `  data:            ${config.dataDir}`,
      dpBanner(fed.status().privacy).trimEnd(),
      `  server key:      ${toHex(fed.serverPublicKey)}${f['server-cert'] ? ' (certified)' : ` — not certified: its rounds do not audit until \`npm run authority -- --federation ${fed.federationId} --certify-server ${toHex(fed.serverPublicKey)} > cert.json\` and --server-cert cert.json`}`,
      `  transcripts:     ${server.url}/transcripts (npm run audit -- --url ${server.url})`,
      '',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n',
  );
  const shutdown = (sig: string) => {
    log.info('shutdown', { signal: sig });
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  fed.onEvent((e) => {
    if (e.type === 'finished') shutdown('rounds done');
  });
});
