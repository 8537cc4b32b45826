/**
 * A server started on a port that is taken says so in one line, with the way out (`--port`),
 * and exits 1 — no stack trace. Runs the real `npm run server` script (`npm start` shares the
 * same helper, scripts/port.ts, but needs the built app).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

it('npm run server on a busy port: one line saying so and how to pick another', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'speakonce-busy-'));
  try {
    const r = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/server.ts', '--port', String(port), '--data-dir', join(dir, 'fed'), '--log-level', 'silent'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: port ${port} on 127.0.0.1 is already in use (is SpeakOnce already running?): stop the other server, or pick another port: npm run server -- --port ${port + 1}`,
    ]);
  } finally {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 70_000);
