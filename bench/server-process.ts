/**
 * A SpeakOnce server in a process of its own, for the rounds bench (bench/rounds.ts): its
 * memory and CPU time are then its own, not the headless participants'.
 *
 *   node --import tsx bench/server-process.ts '<JSON: Partial<ServerConfig>>'
 *
 * It starts a Federation and listen() on 127.0.0.1, port 0 (a temporary data directory, removed
 * at exit), and writes one JSON object per line on stdout:
 *
 *   { type: 'ready', port, token, rss }                      listening; rss before anyone joined
 *   { type: 'round', round, ok: true, wall_ms, cpu_ms, … }   per finished round (see RoundLine)
 *   { type: 'round', round, ok: false, code, reason, … }     per failed round
 *   { type: 'finished', rounds, memory: MemoryLine }         after the configured rounds
 *
 * A round's `wall_ms` runs from the server's decision to start it (its `round_started` log
 * line, written right after the round object is created: before the public ring is expanded
 * and the descriptors are encoded) to its `round_done`/`round_failed` event (after the new
 * model is saved); `cpu_ms` is the process's CPU time (user + system, every thread, so WebCrypto
 * work on the libuv pool counts) over the same span. RSS is sampled every 10 ms and at every
 * event, and the kernel's high-water mark (VmHWM) is read at the end. Closing stdin stops the server
 * and ends the process (so `--cpu-prof` profiles are written).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import process from 'node:process';
import type { ServerConfig } from '../src/server/config.js';
import type { FederationEvent } from '../src/wire/events.js';
import type { Logger } from '../src/server/log.js';
import { startLocalServer } from '../src/sim/harness.js';

export interface MemoryLine {
  /** RSS when listening, before any participant joined. */
  baseline_rss: number;
  /** RSS when the first round started (every participant connected). */
  connected_rss: number;
  /** Highest sampled RSS (every 10 ms and at every event). */
  peak_rss: number;
  /**
   * The kernel's RSS high-water mark of this process (VmHWM in /proc/self/status, Linux), in
   * bytes; the sampled peak elsewhere. Not getrusage's maxRSS: on Linux that survives exec, so a
   * spawned process reports the parent's RSS at fork time if it was higher.
   */
  max_rss: number;
  /** Highest sampled V8 heap in use. */
  peak_heap_used: number;
  /** Highest sampled ArrayBuffer memory (outside the V8 heap: vectors, socket buffers). */
  peak_array_buffers: number;
}

export type RoundLine =
  | {
      type: 'round';
      round: number;
      ok: true;
      wall_ms: number;
      cpu_ms: number;
      /** The server's own phase marks (ms since the round object was created). */
      timings: Record<string, number>;
      trainers: number;
      members: number;
      survivors: number;
      answered: number;
      length: number;
      bytesIn: number;
      bytesOut: number;
      peak_rss: number;
    }
  | { type: 'round'; round: number; ok: false; code: string; reason: string; wall_ms: number };

export type ServerLine =
  | { type: 'ready'; port: number; token: string; rss: number; authority?: { url: string; keys: string[] } }
  | RoundLine
  | { type: 'finished'; rounds: number; memory: MemoryLine };

/** VmHWM of /proc/self/status in bytes, or undefined where there is no such file. */
function highWaterMark(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function out(line: ServerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const overrides = JSON.parse(process.argv[2] ?? '{}') as Partial<ServerConfig>;
  const mem: MemoryLine = {
    baseline_rss: 0,
    connected_rss: 0,
    peak_rss: 0,
    max_rss: 0,
    peak_heap_used: 0,
    peak_array_buffers: 0,
  };
  let roundPeak = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    mem.peak_rss = Math.max(mem.peak_rss, m.rss);
    mem.peak_heap_used = Math.max(mem.peak_heap_used, m.heapUsed);
    mem.peak_array_buffers = Math.max(mem.peak_array_buffers, m.arrayBuffers);
    roundPeak = Math.max(roundPeak, m.rss);
  };
  const sampler = setInterval(sample, 10);

  // The federation logs `round_started` right after it creates the round (before the ring
  // expansion and the descriptors): that is where a round's wall time starts.
  let started:
    { round: number; t: number; cpu: NodeJS.CpuUsage; trainers: number; members: number; length: number } | undefined;
  const log: Logger = {
    debug: () => {},
    info: (event, fields) => {
      if (event !== 'round_started') return;
      sample();
      if (!mem.connected_rss) mem.connected_rss = process.memoryUsage().rss;
      roundPeak = 0;
      const f = fields ?? {};
      started = {
        round: Number(f.round),
        t: performance.now(),
        cpu: process.cpuUsage(),
        trainers: Number(f.trainers),
        members: Number(f.m ?? 0),
        length: Number(f.length),
      };
    },
    warn: () => {},
    error: (event, fields) => process.stderr.write(`server-process: ${event} ${JSON.stringify(fields ?? {})}\n`),
  };

  const s = await startLocalServer({ logLevel: 'silent', ...overrides, testMode: false }, log);
  mem.baseline_rss = process.memoryUsage().rss;
  sample();

  const span = (round: number): { wall_ms: number; cpu_ms: number } => {
    if (!started || started.round !== round) return { wall_ms: Number.NaN, cpu_ms: Number.NaN };
    const cpu = process.cpuUsage(started.cpu);
    return { wall_ms: performance.now() - started.t, cpu_ms: (cpu.user + cpu.system) / 1000 };
  };
  s.fed.onEvent((e: FederationEvent) => {
    sample();
    if (e.type === 'round_done') {
      const sp = span(e.round);
      out({
        type: 'round',
        round: e.round,
        ok: true,
        ...sp,
        timings: e.timings,
        trainers: started?.trainers ?? 0,
        members: started?.members ?? 0,
        survivors: e.survivors.length,
        answered: e.membersAnswered.length,
        length: started?.length ?? 0,
        bytesIn: e.bytesIn,
        bytesOut: e.bytesOut,
        peak_rss: roundPeak,
      });
    } else if (e.type === 'round_failed') {
      out({ type: 'round', round: e.round, ok: false, code: e.code, reason: e.reason, wall_ms: span(e.round).wall_ms });
    } else if (e.type === 'finished') {
      sample();
      mem.max_rss = Math.max(mem.peak_rss, highWaterMark() ?? 0);
      out({ type: 'finished', rounds: e.rounds, memory: { ...mem } });
    }
  });
  const authority = s.authority && {
    url: s.authority.url,
    keys: s.authority.keys.map((k) => Buffer.from(k).toString('hex')),
  };
  out({
    type: 'ready',
    port: s.server.port,
    token: s.token,
    rss: mem.baseline_rss,
    ...(authority ? { authority } : {}),
  });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(sampler);
    await s.stop();
    await rm(s.config.dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.resume();
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  process.stderr.write(`server-process: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
