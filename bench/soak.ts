/**
 * `npm run soak [-- --minutes 10] [--quick] [--no-write]`: the server under a long round soak and
 * under the abuses of issue 14, measured from outside (its RSS from /proc/<pid>/status, /healthz
 * latency from a client polling every 50 ms). Writes bench/soak-results.md, which `npm run bench`
 * includes in bench/RESULTS.md.
 *
 *   1. round soak: 3 trainers (synthetic updates) and 3 members for `--minutes`; the RSS slope
 *      per 100 rounds (least squares over samples every 2 s) and failed rounds;
 *   then, each while rounds go on, for `PHASE_S` seconds followed by `RECOVER_S` of quiet:
 *   2. 200 observers of /events that never read (the replay then holds the whole soak);
 *   3. a flood of 20,000 one-byte frames (reconnecting whenever the error budget closes it);
 *   4. 2,000 WebSocket connections that never join (closed by the join deadline).
 * `--only observers,flood,idle` runs those phases alone (after the round soak).
 * For each: baseline RSS (before), peak RSS, RSS after the quiet, /healthz p50/p99/max, and the
 * server's own process.memoryUsage() at those moments (heap used and reserved, external, arrayBuffers).
 * Targets (issue 14): growth ≤ 100 MiB, back to baseline within 30 s, /healthz p99 ≤ 100 ms.
 * After each phase's quiet the server is asked for a full collection (it runs with --expose-gc,
 * bench only) and its memory after it is reported too: what it still holds, against garbage V8
 * had not collected yet. With SPEAKONCE_SOAK_GC=1 it also prints its live heap after a full
 * collection every 10 s (stderr).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { type Socket, connect } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createIdentity } from '../src/secagg/index.js';
import { registerAuthority, startParticipant } from '../src/sim/harness.js';
import { SyntheticTrainer } from './rounds.js';
import { type Mem, NO_MEM, type PhaseResult, soakReport } from './soak-report.js';
import { quantile } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MiB = 2 ** 20;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const minutesArg = args.indexOf('--minutes');
const MINUTES = minutesArg >= 0 ? Number(args[minutesArg + 1]) : quick ? 1 : 10;
const PHASE_S = quick ? 15 : 30;
const onlyArg = args.indexOf('--only');
/** `--only observers,flood,idle`: those abuse phases alone (after the round soak, which builds the history). */
const ONLY = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',')) : undefined;
const runs = (p: string): boolean => ONLY === undefined || ONLY.has(p);
const RECOVER_S = 30;
const say = (s: string): boolean => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counts {
  done: number;
  failed: number;
  [event: string]: number;
}

async function startServer(): Promise<{
  child: ChildProcessWithoutNullStreams;
  port: number;
  token: string;
  pid: number;
  counts: () => Counts;
  mem: () => Mem;
  /** A full collection in the server, and its memory after it. */
  collect: () => Promise<Mem>;
}> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(HERE, 'soak-server.ts')], {
    stdio: 'pipe',
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  let latest: Counts = { done: 0, failed: 0 };
  let mem = NO_MEM;
  let collected: ((m: Mem) => void) | undefined;
  const ready = await new Promise<{
    port: number;
    token: string;
    pid: number;
    authority?: { url: string; keys: string[] };
  }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      const m = JSON.parse(l) as { type: string } & Record<string, unknown>;
      if (m.type === 'ready') resolve(m as never);
      else if (m.type === 'counts') latest = m as unknown as Counts;
      else if (m.type === 'mem') mem = m as unknown as Mem;
      else if (m.type === 'memgc') collected?.(m as unknown as Mem);
      else if (m.type === 'heap') say(`   heap after gc: ${JSON.stringify(m)}`);
    });
    child.once('exit', (code) => reject(new Error(`soak server exited with ${code}`)));
  });
  const url = `ws://127.0.0.1:${ready.port}/ws`;
  if (ready.authority)
    registerAuthority(url, {
      url: ready.authority.url,
      keys: ready.authority.keys.map((k) => new Uint8Array(Buffer.from(k, 'hex'))),
    });
  const collect = () =>
    new Promise<Mem>((resolve) => {
      collected = resolve;
      child.stdin.write('gc\n');
    });
  return { child, ...ready, counts: () => latest, mem: () => mem, collect };
}

const rssOf = (pid: number): number => {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
};

/** Polls /healthz every 50 ms; returns the latencies so far and a stop. */
function healthProbe(port: number): { take(): number[]; stop(): void; statuses: Map<number, number> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let lat: number[] = [];
  const statuses = new Map<number, number>();
  let running = true;
  void (async () => {
    while (running) {
      const t = performance.now();
      const status = await new Promise<number>((resolve) => {
        get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', () => resolve(0));
      });
      lat.push(performance.now() - t);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      await sleep(50);
    }
  })();
  return {
    take: () => {
      const out = lat;
      lat = [];
      return out;
    },
    stop: () => {
      running = false;
      agent.destroy();
    },
    statuses,
  };
}

async function phase(
  name: string,
  srv: { pid: number; counts: () => Counts; mem: () => Mem; collect: () => Promise<Mem> },
  probe: ReturnType<typeof healthProbe>,
  abuse: () => Promise<{ end(): void | Promise<void>; note(): string }>,
): Promise<PhaseResult> {
  say(`== ${name}`);
  const before: number[] = [];
  for (let i = 0; i < 6; i++) {
    before.push(rssOf(srv.pid));
    await sleep(500);
  }
  const baseline = quantile(before, 0.5);
  const memBefore = srv.mem();
  probe.take();
  const rounds0 = srv.counts().done;
  let peak = baseline;
  let memPeak = memBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(srv.pid));
    if (srv.mem().rss > memPeak.rss) memPeak = srv.mem();
  }, 100);
  const a = await abuse();
  await sleep(PHASE_S * 1000);
  await a.end();
  const endedAt = performance.now();
  let backAfterS: number | undefined;
  while (performance.now() - endedAt < RECOVER_S * 1000) {
    if (backAfterS === undefined && rssOf(srv.pid) <= baseline + 10 * MiB)
      backAfterS = (performance.now() - endedAt) / 1000;
    await sleep(250);
  }
  clearInterval(sampler);
  const lat = probe.take();
  const r: PhaseResult = {
    name,
    baseline,
    peak,
    after: rssOf(srv.pid),
    backAfterS,
    memBefore,
    memPeak,
    memAfter: srv.mem(),
    memCollected: await srv.collect(),
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    max: Math.max(...lat),
    rounds: srv.counts().done - rounds0,
    note: a.note(),
  };
  say(`   ${JSON.stringify(r)}`);
  return r;
}

function silentObservers(port: number, n: number): Socket[] {
  return Array.from({ length: n }, () => {
    const s = connect(port, '127.0.0.1');
    s.pause();
    s.on('error', () => undefined);
    s.write('GET /events HTTP/1.1\r\nHost: soak\r\n\r\n');
    return s;
  });
}

async function flood(url: string, frames: number): Promise<{ connections: number; closes: Map<number, number> }> {
  let sent = 0;
  let connections = 0;
  const closes = new Map<number, number>();
  while (sent < frames) {
    const ws = new WebSocket(url);
    connections++;
    const closed = new Promise<void>((r) =>
      ws.on('close', (code) => {
        closes.set(code, (closes.get(code) ?? 0) + 1);
        r();
      }),
    );
    ws.on('error', () => undefined);
    await new Promise<void>((r) => {
      ws.once('open', () => r());
      ws.once('close', () => r());
    });
    while (ws.readyState === WebSocket.OPEN && sent < frames) {
      for (let i = 0; i < 100 && sent < frames; i++, sent++) ws.send(Uint8Array.of(0xc1));
      await sleep(1);
    }
    if (ws.readyState === WebSocket.OPEN) ws.close();
    await closed;
  }
  return { connections, closes };
}

async function main(): Promise<void> {
  const srv = await startServer();
  const url = `ws://127.0.0.1:${srv.port}/ws`;
  const parts = [
    ...[0, 1, 2].map((i) =>
      startParticipant({
        url,
        token: srv.token,
        train: true,
        committee: false,
        trainer: new SyntheticTrainer(i),
        identity: createIdentity(),
      }),
    ),
    ...[0, 1, 2].map(() => startParticipant({ url, token: srv.token, train: false, committee: true })),
  ];
  const probe = healthProbe(srv.port);

  // 1. the round soak
  say(`== round soak, ${MINUTES} min`);
  const samples: { rounds: number; rss: number }[] = [];
  const t0 = performance.now();
  probe.take();
  while (performance.now() - t0 < MINUTES * 60_000) {
    await sleep(2_000);
    samples.push({ rounds: srv.counts().done, rss: rssOf(srv.pid) });
  }
  const soakLat = probe.take();
  const late = samples.filter((s) => s.rounds >= (samples[samples.length - 1]?.rounds ?? 0) * 0.2); // after warm-up
  const mx = late.reduce((a, s) => a + s.rounds, 0) / late.length;
  const my = late.reduce((a, s) => a + s.rss, 0) / late.length;
  const slope =
    late.reduce((a, s) => a + (s.rounds - mx) * (s.rss - my), 0) / late.reduce((a, s) => a + (s.rounds - mx) ** 2, 0);
  const soak = {
    minutes: MINUTES,
    rounds: srv.counts().done,
    failed: srv.counts().failed,
    rssStart: samples[0]?.rss ?? 0,
    rssEnd: samples[samples.length - 1]?.rss ?? 0,
    slopePer100: slope * 100,
    p50: quantile(soakLat, 0.5),
    p99: quantile(soakLat, 0.99),
    max: Math.max(...soakLat),
  };
  say(`   ${JSON.stringify(soak)}`);

  const results: PhaseResult[] = [];
  if (runs('observers'))
    results.push(
      await phase('200 observers that never read', srv, probe, async () => {
        const c0 = srv.counts();
        const socks = silentObservers(srv.port, 200);
        return {
          end: () => socks.forEach((s) => s.destroy()),
          note: () =>
            `${(srv.counts().observer_dropped ?? 0) - (c0.observer_dropped ?? 0)} of 200 dropped by the server`,
        };
      }),
    );
  if (runs('flood'))
    results.push(
      await phase('20,000 one-byte frames', srv, probe, async () => {
        const c0 = srv.counts();
        const f = flood(url, 20_000);
        let done: Awaited<typeof f> | undefined;
        void f.then((r) => (done = r));
        return {
          end: async () => void (await f),
          note: () =>
            `${done?.connections ?? '?'} connections, ${(srv.counts().error_budget_spent ?? 0) - (c0.error_budget_spent ?? 0)} closed by the error budget, ` +
            `${(srv.counts().refusals_summary ?? 0) - (c0.refusals_summary ?? 0)} summary lines`,
        };
      }),
    );
  if (runs('idle'))
    results.push(
      await phase('2,000 connections that never join', srv, probe, async () => {
        const c0 = srv.counts();
        const socks: WebSocket[] = [];
        for (let i = 0; i < 2000; i++) {
          const ws = new WebSocket(url);
          ws.on('error', () => undefined);
          socks.push(ws);
          if (i % 100 === 99) await sleep(20);
        }
        return {
          end: () => socks.forEach((w) => w.terminate()),
          note: () =>
            `${(srv.counts().join_timeout ?? 0) - (c0.join_timeout ?? 0)} of 2,000 closed by the join deadline (10 s)`,
        };
      }),
    );

  probe.stop();
  for (const p of parts) p.engine.stop();
  const final = srv.counts();
  srv.child.stdin.end();
  await new Promise((r) => srv.child.once('exit', r));

  const md = soakReport({
    command: `npm run soak${quick ? ' -- --quick' : ''}`,
    soak,
    results,
    recoverS: RECOVER_S,
    final,
    statuses: probe.statuses,
  });
  process.stdout.write(`${md}\n`);
  if (!args.includes('--no-write')) {
    writeFileSync(path.join(HERE, 'soak-results.md'), md);
    say('wrote bench/soak-results.md');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
