/**
 * One server per data directory (lock.ts): a second lock on a directory whose owner lives is
 * refused with DATA_DIR_LOCKED naming the owner and the fix; a lock left by a dead process is
 * taken over; release removes only this process's own lock. The two-servers case over the real
 * `npm run server` script is in scripts/server.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, pidAlive } from './lock.js';
import type { Logger } from './log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'speakonce-lock-'));
  dirs.push(d);
  return d;
};
/** The pid of a process that has exited (and been reaped). */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  expect(pidAlive(pid)).toBe(false);
  return pid;
};
const owner = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;

describe('the data directory lock', () => {
  it('is taken with this pid, refused to a second server while held, and released', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    expect(owner(dir)).toMatchObject({ pid: process.pid, host: hostname() });
    let err: { code?: string; message?: string } | undefined;
    try {
      lockDataDir(dir);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('DATA_DIR_LOCKED');
    expect(err?.message).toContain(`${dir} is in use by another server: pid ${process.pid} on ${hostname()}`);
    expect(err?.message).toContain(
      `Stop that server first (kill ${process.pid}), or point --data-dir at another directory`,
    );
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir).release(); // free again
  });

  it('takes over a stale lock (its process is dead), saying so in the log', () => {
    const dir = tempDir();
    const pid = deadPid();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'x' }),
    );
    const warned: [string, Record<string, unknown> | undefined][] = [];
    const log: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (event, fields) => void warned.push([event, fields]),
      error: () => undefined,
    };
    const lock = lockDataDir(dir, log);
    expect(owner(dir).pid).toBe(process.pid);
    expect(warned).toEqual([['stale_lock_removed', expect.objectContaining({ pid }) as unknown]]);
    lock.release();
  });

  it('refuses a lock of another host (its process cannot be checked from here), naming the file to remove', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), host: 'other-host', startedAt: 's', command: 'c' }),
    );
    expect(() => lockDataDir(dir)).toThrow(`if it no longer runs on other-host, remove ${join(dir, LOCK_FILE)}`);
  });

  it('refuses an unreadable lock file without removing it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), '{"pid":');
    expect(() => lockDataDir(dir)).toThrow('cannot be read: another server may be starting');
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('{"pid":');
  });

  it("release leaves a lock that is no longer this process's alone", () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    const other = JSON.stringify({ pid: 1, host: hostname(), startedAt: 'later', command: 'other' });
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });
});
