/**
 * `npm run server` refuses a committee that is not subset-safe (docs/protocol.md §15) unless
 * started with --insecure-demo, which it then announces. Runs the real script.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const args = (...extra: string[]) => [
  'scripts/server.ts',
  '--port',
  '0',
  '--open',
  '--data-dir',
  mkdtempSync(join(tmpdir(), 'speakonce-server-')),
  '--log-level',
  'silent',
  ...extra,
];

describe('npm run server', () => {
  it('refuses a committee that is not subset-safe (INVALID_CONFIG naming the inequality); --insecure-demo starts and says so', async () => {
    const r = spawnSync(TSX, args('--committee', '5,3,1'), { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'error: invalid configuration: committee 5,3,1 is not subset-safe: 2·t_rec = 6 must exceed m + c_max = 7; ' +
        'the same tolerance (d_max = 2 silent, c_max = 2 corrupt members) needs e.g. 7,5,3; or start with --insecure-demo',
    );

    const child = spawn(TSX, args('--committee', '5,3,1', '--insecure-demo'), { cwd: ROOT });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`no start line in 60 s:\n${text}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('status:')) {
            clearTimeout(timer);
            resolve(text);
          }
        });
        child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${text}`)));
      });
      expect(out).toContain('!!! INSECURE DEMO: committees need not be subset-safe');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
