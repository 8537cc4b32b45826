/**
 * The server of the soak (bench/soak.ts), in a process of its own so that its memory is its own:
 *
 *   node --import tsx bench/soak-server.ts
 *
 * A certified federation with the product's defaults, except a committee of 3 (t_rec 3, ρ 2),
 * deadlines of a minute, no pause between rounds, and the per-address caps raised (every
 * participant and every attacker of the soak connects from 127.0.0.1; the caps themselves are
 * tested in src/sim/limits.test.ts and src/server/subscribers.test.ts). It writes JSON lines on
 * stdout: `{type:'ready', port, token, pid, authority}`, then every 2 s `{type:'counts', …}` —
 * how often each limit acted (log events by name) and the rounds done and failed, and every 500 ms
 * `{type:'mem', …}` (process.memoryUsage: rss, heapUsed, heapTotal, external, arrayBuffers). Closing stdin
 * stops it.
 */
import { rm } from 'node:fs/promises';
import process from 'node:process';
import { createInterface } from 'node:readline';
import type { Logger } from '../src/server/log.js';
import { startLocalServer } from '../src/sim/harness.js';

const COUNTED = new Set([
  'observer_dropped',
  'observer_refused',
  'error_budget_spent',
  'refusals_summary',
  'join_timeout',
  'idle_closed',
  'connection_refused',
  'round_start_failed',
]);
const counts: Record<string, number> = {};
const count = (event: string): void => {
  if (COUNTED.has(event)) counts[event] = (counts[event] ?? 0) + 1;
};
const log: Logger = {
  debug: count,
  info: count,
  warn: count,
  error: (event, fields) => {
    count(event);
    process.stderr.write(`soak-server: ${event} ${JSON.stringify(fields ?? {})}\n`);
  },
};

const s = await startLocalServer(
  {
    committee: { m: 3, tRec: 3, rho: 2 },
    minTrainers: 3,
    firstRoundParticipants: 6,
    submitMs: 60_000,
    committeeMs: 60_000,
    pauseMs: 0,
    maxConnectionsPerAddress: 8192,
    maxObserversPerAddress: 256,
  },
  log,
);
let done = 0;
let failed = 0;
s.fed.onEvent((e) => {
  if (e.type === 'round_done') done++;
  if (e.type === 'round_failed') failed++;
});
const authority = s.authority && {
  url: s.authority.url,
  keys: s.authority.keys.map((k) => Buffer.from(k).toString('hex')),
};
const line = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
line({ type: 'ready', port: s.server.port, token: s.token, pid: process.pid, authority });
setInterval(() => line({ type: 'counts', done, failed, ...counts }), 2_000).unref();
// Where the memory is, every 500 ms: V8's heap (used and reserved), memory outside it (external,
// of which arrayBuffers: Buffers, socket chunks), to tell retained objects from a heap or an
// allocator that has not given pages back to the system.
setInterval(() => {
  const m = process.memoryUsage();
  line({
    type: 'mem',
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  });
}, 500).unref();
// The soak always runs this process with --expose-gc (which changes nothing by itself): after each
// abuse phase it asks, with a 'gc' line on stdin, for a full collection and the memory after it,
// to tell memory still held from garbage V8 has not collected yet (`{type:'memgc', …}`). With
// SPEAKONCE_SOAK_GC=1, also every 10 s: the live heap after a full collection.
const gc = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() !== 'gc' || !gc) return;
  gc();
  gc();
  const m = process.memoryUsage();
  line({
    type: 'memgc',
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  });
});
if (gc && process.env.SPEAKONCE_SOAK_GC)
  setInterval(() => {
    gc();
    line({ type: 'heap', done, heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss });
  }, 10_000).unref();

const stop = async (): Promise<void> => {
  await s.stop();
  await rm(s.config.dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.on('SIGTERM', () => void stop());
