/**
 * A full disk at the checkpoint write and at the state write, and a data directory that cannot
 * be written at all (a small tmpfs, mounted where the tests run as root; skipped with the reason
 * otherwise). Whatever fails, the model the server serves and state.json agree, and no version
 * is lost or overwritten.
 */
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../ml/checkpoint-node.js';
import { resolveConfig } from './config.js';
import { Ledger } from './ledger.js';
import { createLogger } from './log.js';
import { toCheckpoint } from './model.js';
import { TMPFS_SKIP_REASON, type Tmpfs, mountTmpfs } from '../../test/support/tmpfs.js';

const PAGE = 4096;
let mounts: Tmpfs[] = [];
afterEach(() => {
  for (const m of mounts) m.unmount();
  mounts = [];
});

const ledger = (dataDir: string) =>
  new Ledger(resolveConfig({ dataDir, open: true, hidden: [4] }), createLogger('silent'));

/** Fills the file system with one-page files until it is full; returns their paths. */
async function fill(dir: string): Promise<string[]> {
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

/** Pages a checkpoint of `l`'s model takes on disk. */
async function checkpointPages(l: Ledger): Promise<number> {
  const d = await mkdtemp(join(tmpdir(), 'speakonce-size-'));
  try {
    const f = await saveCheckpoint(d, toCheckpoint(l.model, { federation: l.federation, version: 99, round: 99 }));
    const sizes = await Promise.all([f.manifest, f.weights].map(async (p) => (await stat(p)).size));
    return sizes.reduce((a, s) => a + Math.ceil(s / PAGE), 0);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
}

async function diskState(dir: string): Promise<{ version: number; versions: string[] }> {
  const s = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { version: number };
  const versions = (await readdir(join(dir, 'models'))).filter((n) => /^v\d+$/.test(n)).sort();
  return { version: s.version, versions };
}

describe.skipIf(TMPFS_SKIP_REASON !== undefined)('a full disk and a read-only data directory (tmpfs)', () => {
  it('disk full at the checkpoint write: the version does not advance; served model and state agree', async () => {
    const fs = mountTmpfs('1m');
    mounts.push(fs);
    const l = ledger(fs.dir);
    await l.open();
    await l.nextRound();
    const w0 = l.model.weights.slice();
    await fill(fs.dir);
    await expect(l.commitVersion({ ...l.model, weights: w0.map((x) => x + 1) }, {})).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(l.version).toBe(0);
    expect(l.model.weights).toEqual(w0);
    expect(l.modelDir).toBe(join(fs.dir, 'models', 'v0'));
    expect(await diskState(fs.dir)).toEqual({ version: 0, versions: ['v0'] });
    expect((await readdir(join(fs.dir, 'models'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('disk full at the state write: the version does not advance, the written version is set aside, a restart agrees', async () => {
    const fs = mountTmpfs('1m');
    mounts.push(fs);
    const l = ledger(fs.dir);
    await l.open();
    await l.nextRound();
    const w0 = l.model.weights.slice();
    const pages = await checkpointPages(l);
    const filler = await fill(fs.dir);
    // room for the checkpoint exactly: its write succeeds, the state's temporary file does not
    for (const f of filler.slice(0, pages)) await rm(f);
    await expect(l.commitVersion({ ...l.model, weights: w0.map((x) => x + 1) }, { round: 1 })).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(l.version).toBe(0);
    expect(l.model.weights).toEqual(w0);
    expect(l.modelDir).toBe(join(fs.dir, 'models', 'v0'));
    expect(await diskState(fs.dir)).toEqual({ version: 0, versions: ['v0'] });
    expect((await readdir(join(fs.dir, 'models'))).filter((n) => n.startsWith('v1.unused-'))).toHaveLength(1);

    // space again: a restart starts without --recover on version 0, and the next version is 1
    for (const f of filler.slice(pages)) await rm(f);
    const again = ledger(fs.dir);
    await again.open();
    expect(again.version).toBe(0);
    expect(again.model.weights).toEqual(w0);
    await again.nextRound();
    expect(await again.commitVersion({ ...again.model, weights: w0.map((x) => x + 2) }, {})).toBe(1);
    expect(await diskState(fs.dir)).toEqual({ version: 1, versions: ['v0', 'v1'] });
  });

  it('a read-only data directory is refused at start (DATA_DIR_UNWRITABLE naming it)', async () => {
    const fs = mountTmpfs('1m');
    mounts.push(fs);
    await ledger(fs.dir).open();
    fs.remount('ro');
    const e = (await ledger(fs.dir)
      .open()
      .catch((err: unknown) => err)) as { code?: string; message?: string };
    expect(e.code).toBe('DATA_DIR_UNWRITABLE');
    expect(e.message).toContain(`the data directory ${fs.dir} is not writable (EROFS)`);
  });
});
