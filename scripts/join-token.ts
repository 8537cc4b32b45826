/**
 * The join token of `npm start` / `npm run demo` / `npm run server`, kept in the data directory
 * (`DATA_DIR/join-token`, readable by its owner only) so a restarted server accepts the tabs
 * that joined before. `--token T` sets it (and keeps it), `--new-token` rolls it (tabs holding
 * the old one are refused and offer to paste the new link), `--open` needs none.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './cli.js';

export const TOKEN_FILE = 'join-token';
const TOKEN_RE = /^[A-Za-z0-9._~-]{1,200}$/;

export interface TokenChoice {
  token: string;
  /** Where it came from, for the start-up message. */
  source: 'given' | 'kept' | 'new';
}

export function joinToken(dataDir: string, o: { given?: string | undefined; rotate?: boolean }): TokenChoice {
  const file = join(dataDir, TOKEN_FILE);
  if (o.given !== undefined && o.rotate) throw new UsageError('--token and --new-token do not go together');
  const keep = (token: string, source: TokenChoice['source']): TokenChoice => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { token, source };
  };
  if (o.given !== undefined) {
    if (!TOKEN_RE.test(o.given)) throw new UsageError('--token takes 1 to 200 letters, digits and . _ ~ -');
    return keep(o.given, 'given');
  }
  if (!o.rotate && existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (TOKEN_RE.test(stored)) return { token: stored, source: 'kept' };
  }
  return keep(randomBytes(9).toString('base64url'), 'new');
}
