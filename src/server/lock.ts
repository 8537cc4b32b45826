/**
 * One server per data directory. Two servers writing the same state.json, models/ and
 * rounds.jsonl would hand out the same round ids and versions; the second is refused at start.
 *
 * The lock is a file, `DATA_DIR/server.lock`, created exclusively, holding the owner's pid, host,
 * start time and command line. At start:
 *   - no lock file: created, and removed when this process exits (however it exits normally:
 *     Ctrl+C, SIGTERM, the rounds done, an error);
 *   - a lock of a live process on this host (or of any process on another host, which cannot be
 *     checked from here): refused with DATA_DIR_LOCKED naming that process and the fix;
 *   - a lock of a dead process (a server killed with SIGKILL, a power cut): stale, taken over
 *     with a log line. Before removing it the file is read again, so that of two servers starting
 *     at once over the same stale lock only one wins the exclusive create.
 * Taken by the entry points (`npm start`, `npm run server`), before they touch the directory.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataDirError } from './datadir-error.js';
import type { Logger } from './log.js';

export const LOCK_FILE = 'server.lock';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isSafeInteger(o.pid) && typeof o.host === 'string')
      return {
        pid: o.pid as number,
        host: o.host,
        startedAt: String(o.startedAt ?? '?'),
        command: String(o.command ?? '?'),
      };
  } catch {
    // fall through
  }
  return 'unreadable';
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still this process's (idempotent). */
  release(): void;
}

/** Takes the data directory's lock for this process, or throws DATA_DIR_LOCKED. */
export function lockDataDir(dir: string, log?: Logger): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner === 'missing' && attempt < 3) continue; // released meanwhile
    if (owner === 'unreadable' || owner === 'missing')
      throw new DataDirError(
        'DATA_DIR_LOCKED',
        `${path} exists but cannot be read: another server may be starting on ${dir}. ` +
          `If none is running, remove ${path} and start again; or point --data-dir at another directory`,
      );
    const alive = owner.host !== me.host || pidAlive(owner.pid);
    if (alive || attempt >= 3)
      throw new DataDirError(
        'DATA_DIR_LOCKED',
        `${dir} is in use by another server: pid ${owner.pid} on ${owner.host}, started ${owner.startedAt} ` +
          `(${owner.command}). Stop that server first (kill ${owner.pid}), or point --data-dir at another directory` +
          (owner.host !== me.host ? `; if it no longer runs on ${owner.host}, remove ${path}` : ''),
      );
    // stale: its process is gone. Remove it only if it is still the same stale lock.
    const again = readOwner(path);
    if (typeof again === 'object' && again.pid === owner.pid && again.startedAt === owner.startedAt) {
      rmSync(path, { force: true });
      log?.warn('stale_lock_removed', { file: path, pid: owner.pid, startedAt: owner.startedAt });
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const owner = readOwner(path);
    if (typeof owner === 'object' && owner.pid === me.pid && owner.startedAt === me.startedAt)
      rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, release };
}
