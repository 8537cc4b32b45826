/**
 * The aggregation server's Ed25519 signing key (docs/protocol.md §26), kept in its data
 * directory as `server-key.json` (mode 0600, readable by its owner only):
 *
 *   { "version": 1, "secretKey": hex, "publicKey": hex }
 *
 * Created with the data directory's first start and kept across restarts, so every transcript
 * of one federation is signed by one key (the authority certifies it; a new certificate does
 * not need a new key). A file that does not parse, or whose public key is not its secret's,
 * refuses the start (SERVER_KEY_UNREADABLE): a silently replaced key would break the audit.
 */
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesEqual } from '../base/bytes.js';
import { type RawSigningKeyPair, createSigningKey } from '../cert/sign.js';
import { fromHex, toHex } from '../secagg/index.js';
import { DataDirError } from './datadir-error.js';
import { syncDir, writeDurable } from './durable.js';

export const SERVER_KEY_FILE = 'server-key.json';

export async function loadOrCreateServerKey(dir: string): Promise<RawSigningKeyPair> {
  const path = join(dir, SERVER_KEY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    const k = createSigningKey();
    const body = `${JSON.stringify({ version: 1, secretKey: toHex(k.secretKey), publicKey: toHex(k.publicKey) })}\n`;
    await writeDurable(path, body, 'wx');
    await chmod(path, 0o600);
    await syncDir(dir);
    return k;
  }
  try {
    const raw = JSON.parse(text) as { version?: unknown; secretKey?: unknown; publicKey?: unknown };
    if (raw.version !== 1 || typeof raw.secretKey !== 'string' || typeof raw.publicKey !== 'string')
      throw new Error('it lacks version 1, secretKey or publicKey');
    const k = createSigningKey(fromHex(raw.secretKey));
    if (!bytesEqual(k.publicKey, fromHex(raw.publicKey)))
      throw new Error('its public key is not the one of its secret key');
    return k;
  } catch (e) {
    throw new DataDirError(
      'SERVER_KEY_UNREADABLE',
      `${path} cannot be used: ${e instanceof Error ? e.message : String(e)}; restore it from a backup (a new key would not match the transcripts it signed)`,
    );
  }
}
