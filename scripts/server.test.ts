/**
 * `npm run server` refuses a committee that is not subset-safe (docs/protocol.md §15) unless
 * started with --insecure-demo, which it then announces. Runs the real script.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/server/config.js';
import { Ledger } from '../src/server/ledger.js';
import { createLogger } from '../src/server/log.js';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const argsIn = (dataDir: string, ...extra: string[]) => [
  'scripts/server.ts',
  '--port',
  '0',
  '--open',
  '--data-dir',
  dataDir,
  '--log-level',
  'silent',
  ...extra,
];
const args = (...extra: string[]) => argsIn(mkdtempSync(join(tmpdir(), 'speakonce-server-')), ...extra);

/** Starts the script and resolves with its stdout once it printed its status line. */
function started(extra: string[], dataDir?: string, whileRunning?: () => void): Promise<string> {
  const child = spawn(TSX, dataDir ? argsIn(dataDir, ...extra) : args(...extra), { cwd: ROOT });
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no start line in 60 s:\n${text}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('status:')) {
        clearTimeout(timer);
        try {
          whileRunning?.();
          resolve(text);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${text}`)));
  }).finally(async () => {
    child.kill('SIGTERM');
    await exited;
  });
}

describe('npm run server', () => {
  it('refuses a committee that is not subset-safe (INVALID_CONFIG naming the inequality); --insecure-demo starts and says so', async () => {
    const r = spawnSync(TSX, args('--committee', '5,3,1'), { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'error: invalid configuration: committee 5,3,1 is not subset-safe: 2·t_rec = 6 must exceed m + c_max = 7; ' +
        'the same tolerance (d_max = 2 silent, c_max = 2 corrupt members) needs e.g. 7,5,3; or start with --insecure-demo',
    );

    const out = await started(['--committee', '5,3,1', '--insecure-demo']);
    expect(out).toContain('!!! INSECURE DEMO: committees need not be subset-safe');
  });

  it('refuses a data directory whose state.json is missing (STATE_MISSING, naming the file and --recover); --recover resumes its version', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'speakonce-server-'));
    try {
      const l = new Ledger(resolveConfig({ dataDir, open: true }), createLogger('silent'));
      await l.open();
      await l.nextRound();
      await l.commitVersion({ ...l.model, weights: l.model.weights.map((x) => x + 1) }, {});
      rmSync(join(dataDir, 'state.json'));
      const r = spawnSync(TSX, argsIn(dataDir), { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`error: ${join(dataDir, 'state.json')} is missing but models/ holds v0…v1`);
      expect(r.stderr).toContain('start the server once with --recover');
      const out = await started(['--recover'], dataDir);
      expect(out).toContain(`federation ${l.federation}, model version 1`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a second server on the same data directory (DATA_DIR_LOCKED naming the first one); the lock goes with the first', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'speakonce-server-'));
    try {
      await started([], dataDir, () => {
        const owner = JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
        const r = spawnSync(TSX, argsIn(dataDir), { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`error: ${dataDir} is in use by another server: pid ${owner.pid} on `);
        expect(r.stderr).toContain(
          `Stop that server first (kill ${owner.pid}), or point --data-dir at another directory`,
        );
      });
      expect(existsSync(join(dataDir, 'server.lock'))).toBe(false); // removed when the first stopped
      const again = await started([], dataDir);
      expect(again).toContain('model version 0');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
