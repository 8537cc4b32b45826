/**
 * `npm run authority -- [options]`: the enrollment authority alone (docs/threat-model.md,
 * docs/protocol.md §23). It holds the Ed25519 key that certifies participants, in its own key
 * file, which the aggregation server never reads; the server and the participants pin its public
 * key (`--show` prints it). `--rotate` rolls the authority's keys (the old key stays accepted
 * until the certificates it signed expire); `--rotate-participant FILE` rolls the signing key of
 * a Node client's identity file (it enrolls again on its next start).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { listenAuthority } from '../src/authority/http.js';
import { type AuthorityKeys, loadOrCreateKeys, rotateKeys, toHex } from '../src/authority/keys.js';
import { DEFAULT_CERTIFICATE_MS, EnrollmentAuthority } from '../src/authority/service.js';
import { createSigningKey } from '../src/cert/sign.js';
import { fromHex } from '../src/secagg/index.js';
import { serverCertificateToJson } from '../src/wire/authority.js';
import { createLogger } from '../src/server/log.js';
import { UsageError, command, flag, log, num, runMain, toggle } from './cli.js';

const CMD = command({
  usage: 'npm run authority -- --federation ID [--key FILE] [--token T | --open] [options]',
  flags: {
    key: flag('FILE', 'the key file (created if missing, mode 0600); default data/authority.json'),
    federation: flag('ID', 'the federation it enrolls participants of (the server prints its id)'),
    token: 'the join token enrollment requires',
    open: true,
    port: 'default 8081; 0 = any free port',
    host: 'default 127.0.0.1',
    'certificate-hours': flag('H', 'certificate lifetime; default 24'),
    show: toggle("print the authority's public key (what servers and clients pin) and exit"),
    rotate: toggle(
      'roll the keys: fresh ones sign from now on; the old key stays accepted for --certificate-hours, then is refused',
    ),
    'certify-server': flag(
      'HEX',
      "certify an aggregation server's signing key (it prints it at start) for --federation; prints the certificate as JSON for `npm run server -- --server-cert FILE` (docs/protocol.md §26)",
    ),
    'rotate-participant': flag(
      'FILE',
      "roll the signing key in a Node client's identity file (npm run client --identity FILE); it enrolls again on its next start",
    ),
  },
});

runMain(
  CMD.help,
  async () => {
    const f = CMD.parse();
    const keyFile = f.key ?? 'data/authority.json';
    const hours = num('certificate-hours', f['certificate-hours'], DEFAULT_CERTIFICATE_MS / 3600_000, { min: 0.01 });
    const certificateMs = Math.round(hours * 3600_000);
    if (f['rotate-participant']) {
      const file = f['rotate-participant'];
      if (!existsSync(file)) throw new UsageError(`no identity file ${file}`);
      let saved: unknown;
      try {
        saved = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        saved = undefined;
      }
      // Only a client identity file: adding a signingKey to another (the authority's key file,
      // say) would leave it unreadable.
      const secretKey = (saved as { secretKey?: unknown } | null)?.secretKey;
      if (Array.isArray(saved) || typeof secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(secretKey))
        throw new UsageError(`${file} does not hold an identity ({"secretKey": "<64 hex>"})`);
      const k = createSigningKey();
      writeFileSync(file, `${JSON.stringify({ ...(saved as object), signingKey: toHex(k.secretKey) }, null, 2)}\n`, {
        mode: 0o600,
      });
      process.stdout.write(`${JSON.stringify({ rotated: 'participant', file, signKey: toHex(k.publicKey) })}\n`);
      return;
    }
    if (f.rotate) {
      if (!existsSync(keyFile)) throw new UsageError(`no key file ${keyFile} to rotate`);
      const keys = rotateKeys(keyFile, Date.now() + certificateMs);
      process.stdout.write(
        `${JSON.stringify({ rotated: 'authority', publicKey: toHex(keys.signPublic), accepted: keys.retired.map((r) => ({ publicKey: toHex(r.publicKey), acceptUntil: new Date(r.acceptUntil).toISOString() })) })}\n`,
      );
      return;
    }
    if (f['certify-server']) {
      const key = f['certify-server'].trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(key)) throw new UsageError(`--certify-server takes 64 hex digits, got '${key}'`);
      if (!f.federation) throw new UsageError('--federation is required with --certify-server');
      if (!existsSync(keyFile)) throw new UsageError(`no key file ${keyFile}`);
      const auth = new EnrollmentAuthority(loadOrCreateKeys(keyFile), { federation: f.federation, open: true });
      process.stdout.write(`${JSON.stringify(serverCertificateToJson(auth.certifyServer(fromHex(key))))}\n`);
      return;
    }
    const pins = (k: AuthorityKeys) => [k.signPublic, ...k.retired.map((r) => r.publicKey)].map((x) => toHex(x));
    if (f.show) {
      const pinned = pins(loadOrCreateKeys(keyFile));
      process.stdout.write(`${JSON.stringify({ publicKey: pinned[0], pin: pinned.join(',') })}\n`);
      return;
    }
    // Usage errors first: a command refused for its flags creates no key file.
    if (!f.federation) throw new UsageError('--federation is required (the id the aggregation server prints)');
    if (!f.open && !f.token) throw new UsageError('--token is required unless --open');
    const port = num('port', f.port, 8081, { int: true, min: 0, max: 65535 });
    const keys = loadOrCreateKeys(keyFile);
    const pinned = pins(keys);
    const auth = new EnrollmentAuthority(keys, {
      federation: f.federation,
      certificateMs,
      ...(f.open ? { open: true } : { token: f.token }),
    });
    const logger = createLogger('info');
    const running = await listenAuthority(auth, f.host ?? '127.0.0.1', port, logger);
    log(
      `SpeakOnce enrollment authority — federation ${f.federation}\n` +
        `  pin (servers: --authority-key, clients: --authority-key / ?authority=): ${pinned.join(',')}\n` +
        `  enroll at: ${running.url}/v1/enroll   key file: ${keyFile}`,
    );
    const stop = () => void running.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  { tfjs: false },
);
