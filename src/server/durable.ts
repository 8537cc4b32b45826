/**
 * Durable writes for the data directory: every byte the federation relies on after a crash is
 * flushed to disk (the file, then its directory entry) before the caller goes on, and every
 * record carries a checksum so that a torn or edited record is told from a good one.
 *
 *   writeDurable     a whole file: written, fsynced, closed
 *   replaceDurable   a file replaced atomically: a temporary beside it, fsynced, renamed, the directory fsynced
 *   appendDurable    one line appended and fsynced
 *   syncDir          a directory's entries flushed (after a rename or a create)
 *   seal / unseal    a JSON record with its checksum field (`sum`: the first 16 hex digits of the
 *                    SHA-256 of the record's JSON without it); records of earlier versions
 *                    have no `sum` at all and are accepted as they are (unsealedLegacy)
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checksum } from '../wire/log-line.js';

/** The record's checksum and its check are pure, shared with the audit (src/wire/log-line.ts). */
export { checksum, unseal } from '../wire/log-line.js';

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` (created or truncated), flushed to disk before it returns. */
export async function writeDurable(path: string, data: string | Uint8Array, flag = 'w'): Promise<void> {
  const fh = await open(path, flag);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` atomically with `data`: a reader sees the old or the new file, never a mix. */
export async function replaceDurable(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeDurable(tmp, data, 'wx');
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

/** Appends one line to `path` (created if missing), flushed to disk before it returns. */
export async function appendDurable(path: string, line: string): Promise<void> {
  const fh = await open(path, 'a');
  try {
    await fh.appendFile(line);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The record with its checksum as its last field. */
export function seal<T extends object>(record: T): T & { sum: string } {
  return { ...record, sum: checksum(record) };
}

/**
 * A record written before records carried checksums (an earlier version of the server): one
 * with no `sum` field at all. Such records are accepted as they are (store.ts); the consistency
 * checks of datadir.ts still apply to them, and state.json is sealed at its next write.
 */
export function unsealedLegacy(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('sum' in value)
    ? (value as Record<string, unknown>)
    : undefined;
}
