/**
 * A small tmpfs for the disk-full and read-only tests: mounted only where the tests run as root
 * and `mount` works; otherwise `reason` says why the tests that need it are skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint } from '../../src/ml/checkpoint-node.js';
import { type GlobalModel, toCheckpoint } from '../../src/server/model.js';

/** The page size the tmpfs allocates files in. */
export const PAGE = 4096;

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

/** Fills the file system at `dir` with one-page files until it is full; returns their paths. */
export async function fill(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; ; i++) {
    const f = join(dir, `filler-${i}`);
    try {
      await writeFile(f, new Uint8Array(PAGE));
      files.push(f);
    } catch {
      await rm(f, { force: true });
      return files;
    }
  }
}

/** Pages a checkpoint of `model` takes on disk (written once to a scratch directory to count). */
export async function checkpointPages(model: GlobalModel, meta: Record<string, unknown>): Promise<number> {
  const d = await mkdtemp(join(tmpdir(), 'speakonce-size-'));
  try {
    const f = await saveCheckpoint(d, toCheckpoint(model, meta));
    const sizes = await Promise.all([f.manifest, f.weights].map(async (p) => (await stat(p)).size));
    return sizes.reduce((a, s) => a + Math.ceil(s / PAGE), 0);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
}
