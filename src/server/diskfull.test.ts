/**
 * A full disk at the checkpoint write and at the state write, and a data directory that cannot
 * be written at all (a small tmpfs, mounted where the tests run as root; skipped with the reason
 * otherwise). Whatever fails, the model the server serves and state.json agree, and no version
 * is lost or overwritten.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { Ledger } from './ledger.js';
import { createLogger } from './log.js';
import { TMPFS_SKIP_REASON, type Tmpfs, checkpointPages, fill, mountTmpfs } from '../../test/support/tmpfs.js';

let mounts: Tmpfs[] = [];
afterEach(() => {
  for (const m of mounts) m.unmount();
  mounts = [];
});

const ledger = (dataDir: string) =>
  new Ledger(resolveConfig({ dataDir, open: true, hidden: [4] }), createLogger('silent'));

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
    const pages = await checkpointPages(l.model, { federation: l.federation, version: 99, round: 99 });
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
