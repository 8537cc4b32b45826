/**
 * A small tmpfs for the disk-full and read-only tests: mounted only where the tests run as root
 * and `mount` works; otherwise `reason` says why the tests that need it are skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function probe(): string | undefined {
  if (process.platform !== 'linux') return `tmpfs tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'tmpfs tests need root to mount a small tmpfs (not running as root)';
  const dir = mkdtempSync(join(tmpdir(), 'speakonce-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed here (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why the tmpfs tests are skipped, or undefined when a tmpfs can be mounted. */
export const TMPFS_SKIP_REASON = probe();
if (TMPFS_SKIP_REASON) console.warn(`skipping tmpfs tests: ${TMPFS_SKIP_REASON}`);

export interface Tmpfs {
  readonly dir: string;
  remount(options: string): void;
  unmount(): void;
}

/** Mounts a tmpfs of `size` (e.g. '4m') with extra `options` (e.g. 'ro'). */
export function mountTmpfs(size: string, options = ''): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'speakonce-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options ? `,${options}` : ''}`, 'tmpfs', dir]);
  return {
    dir,
    remount: (o) => execFileSync('mount', ['-o', `remount,${o}`, dir]),
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
