import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoundRecord } from '../src/server/store.js';
import { parseRoundLog } from '../src/wire/round-log.js';
import { joinLinkOf } from '../src/ui/dashboard/join-qr.js';
import { demoDataDir } from './demo-dir.js';
import { paceDelayMs, pacedTrainer } from './pace.js';
import { PortInUseError } from './port.js';
import { toLogged } from './round-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("npm start's helpers", () => {
  it('the demo gets a fresh data directory each run, the latest one with --resume', () => {
    const base = mkdtempSync(join(tmpdir(), 'speakonce-demo-'));
    dirs.push(base);
    const first = demoDataDir(base, false, new Date('2026-01-02T03:04:05.678Z'));
    expect(first).toBe(join(base, '2026-01-02T03-04-05-678Z'));
    expect(demoDataDir(base, true, new Date('2026-02-01T00:00:00Z'))).toBe(join(base, '2026-02-01T00-00-00-000Z')); // nothing yet
    mkdirSync(first);
    mkdirSync(join(base, '2025-12-31T00-00-00-000Z'));
    expect(demoDataDir(base, true)).toBe(first);
    expect(demoDataDir(base, false, new Date('2026-03-01T00:00:00Z'))).not.toBe(first);
  });

  it('paces participants one after another within the pace, and not at all without one', async () => {
    expect(paceDelayMs(0, 3, 10)).toBe(0);
    const delays = Array.from({ length: 4 }, (_, i) => paceDelayMs(2, i, 4));
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBe(2000);
    const inner = { train: () => Promise.resolve({ delta: new Float32Array(1), numSamples: 1 }) };
    expect(pacedTrainer(inner, 0)).toBe(inner);
    const t0 = Date.now();
    await pacedTrainer(inner, 30).train({} as never, () => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('says a busy port in one line with the way out', () => {
    const e = new PortInUseError('127.0.0.1', 8080, 'npm start');
    expect(e.message).toBe(
      'port 8080 on 127.0.0.1 is already in use (is SpeakOnce already running?): stop the other server, or pick another port: npm start -- --port 8081',
    );
    expect(e.message).not.toContain('\n');
  });

  it('serves the round log in the form the dashboard checks, failures kept', () => {
    const rec = (round: number, ok: boolean): RoundRecord => ({
      round,
      outcome: ok ? 'ok' : 'failed',
      ...(ok ? {} : { code: 'THRESHOLD_NOT_MET', reason: 'too quiet' }),
      versionBefore: 0,
      versionAfter: ok ? 1 : 0,
      trainers: ['a', 'b', 'c', 'd'],
      survivors: ['a', 'b', 'c'],
      members: ['m1', 'm2', 'm3'],
      membersAnswered: ok ? [1, 2, 3] : [1],
      tRec: 3,
      timings: { total_ms: 1234 },
      bytesIn: 999,
      bytesOut: 10,
      ...(ok ? { metrics: { version: 0, n: 10, frauds: 1, auc_pr: 0.5, recall_at_1pct_fpr: 0.25 } } : {}),
      startedAt: '',
      endedAt: '',
    });
    const json: unknown = JSON.parse(JSON.stringify({ rounds: [rec(1, true), rec(2, false)].map(toLogged) }));
    const log = parseRoundLog(json);
    expect(log?.rounds.map((r) => [r.round, r.ok, r.trainers, r.survivors, r.answered, r.code])).toEqual([
      [1, true, 4, 3, 3, undefined],
      [2, false, 4, 3, 1, 'THRESHOLD_NOT_MET'],
    ]);
    expect(log?.rounds[0]?.metrics?.auc_pr).toBe(0.5);
    expect(parseRoundLog({ rounds: [{ round: -1 }] })).toBeUndefined();
  });

  it('the dashboard reads the join link from its fragment, http(s) only', () => {
    const link = 'http://192.0.2.7:8080/?join=abc&authority=00';
    expect(joinLinkOf(`#join=${encodeURIComponent(link)}`)).toBe(link);
    expect(joinLinkOf('')).toBeUndefined();
    expect(joinLinkOf(`#join=${encodeURIComponent('javascript:alert(1)')}`)).toBeUndefined();
  });
});
