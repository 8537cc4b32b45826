/**
 * The rounds section of the bench: whole rounds over real WebSockets on 127.0.0.1 —
 * a secure round against a plaintext FedAvg round of the same trainers in the same harness,
 * the server's peak memory at 1,000 trainers, and the bytes a trainer uploads.
 *
 * The server runs in a process of its own (bench/server-process.ts, one per configuration), so
 * its memory and CPU time are its own; every participant is a headless ParticipantEngine with
 * its own `ws` connection, all in this process. Trainers do not train: `SyntheticTrainer`
 * returns a deterministic pseudo-random small delta of the model's length, so the comparison
 * measures the protocol and the transport, not TensorFlow.js.
 *
 * The plaintext rounds use the server's INSECURE benchmark mode (`insecurePlaintext`: trainers
 * send their quantized update in the clear, the server sums it). It exists only for this
 * comparison and must never serve a real federation.
 *
 * Record names (public, see report.ts): secure_round, plaintext_round (n = participants of the
 * secure round; the plaintext round has the same trainers and no committee),
 * round_bytes_per_trainer, server_peak_rss.
 *
 * Set SPEAKONCE_BENCH_CPU_PROF=<dir> to write a V8 CPU profile of every server process there.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type EngineEvent, ParticipantEngine } from '../src/client/engine.js';
import type { LocalTrainer } from '../src/client/trainers/types.js';
import { createIdentity, isSubsetSafe } from '../src/secagg/index.js';
import type { ServerConfig } from '../src/server/config.js';
import { EventLog, authorityFor, nodeSocket, registerAuthority } from '../src/sim/harness.js';
import { PlaintextBenchClient } from '../src/sim/plaintext-client.js';
import { criticalPathRecords, partyTimes } from './critical.js';
import type { BenchRecord, Section, SectionContext, SectionResult, TargetCheck } from './report.js';
import type { MemoryLine, RoundLine, ServerLine } from './server-process.js';
import { fmtBytes, fmtMs, fmtRatio, median } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SERVER_SCRIPT = path.join(HERE, 'server-process.ts');

export interface Scheme {
  m: number;
  tRec: number;
  rho: number;
}

export interface RoundSize {
  /** Participants of the secure round: n − m trainers and an m-member committee. */
  n: number;
  committee: Scheme;
  warmup: number;
  runs: number;
}

export interface RoundsPlan {
  sizes: RoundSize[];
  /** Server peak memory: one secure round (and one plaintext round) with this many trainers. */
  memory?: { trainers: number; committee: Scheme; rounds: number };
  /** Target: secure ≤ ratio × plaintext at n participants. */
  target: { n: number; ratio: number };
  /** Server hidden layers (default: the server's default MLP). */
  hidden?: number[];
}

const SMALL: Scheme = { m: 5, tRec: 3, rho: 1 };
const TEN: Scheme = { m: 10, tRec: 7, rho: 3 };

/** The reference run: about two to three minutes on the 2-core reference machine. */
export const FULL_ROUNDS_PLAN: RoundsPlan = {
  sizes: [
    { n: 10, committee: SMALL, warmup: 2, runs: 15 },
    { n: 100, committee: TEN, warmup: 2, runs: 9 },
    { n: 500, committee: TEN, warmup: 1, runs: 5 },
  ],
  memory: { trainers: 1000, committee: TEN, rounds: 2 },
  target: { n: 100, ratio: 1.3 },
};

/** `--quick`: tiny federations, a few seconds. */
export const QUICK_ROUNDS_PLAN: RoundsPlan = {
  sizes: [
    { n: 8, committee: SMALL, warmup: 1, runs: 3 },
    { n: 20, committee: TEN, warmup: 1, runs: 3 },
  ],
  memory: { trainers: 30, committee: TEN, rounds: 1 },
  target: { n: 100, ratio: 1.3 },
};

// ---- the server process ------------------------------------------------------------------------

class ServerProcess {
  readonly lines = new EventLog<ServerLine>();
  /** This (the participants') process's CPU time when each round's line arrived, by round. */
  readonly cpuAtRound = new Map<number, NodeJS.CpuUsage>();
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const line = JSON.parse(l) as ServerLine;
        if (line.type === 'round') this.cpuAtRound.set(line.round, process.cpuUsage());
        this.lines.push(line);
      } catch {
        this.stderr += `(stdout) ${l}\n`;
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(overrides: Partial<ServerConfig>): ServerProcess {
    const prof = process.env.SPEAKONCE_BENCH_CPU_PROF;
    const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SERVER_SCRIPT, JSON.stringify(overrides)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new ServerProcess(child);
  }

  /** Waits for a line, failing early if the process dies. */
  async wait<T extends ServerLine>(pred: (l: ServerLine) => l is T, timeoutMs: number, what: string): Promise<T> {
    const died = this.exited.then((code) => {
      throw new Error(`server process exited (code ${String(code)}) while waiting for ${what}\n${this.stderr}`);
    });
    return Promise.race([this.lines.waitFor(pred, timeoutMs, what), died]);
  }

  /** Closes its stdin (it stops and exits); kills it if it does not exit in time. */
  async stop(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---- headless participants ---------------------------------------------------------------------

/**
 * A LocalTrainer that does not train: a deterministic pseudo-random delta in ±0.01 (xorshift32
 * of the participant and the round), 100 samples.
 */
export class SyntheticTrainer implements LocalTrainer {
  constructor(private readonly seed: number) {}

  async train(input: { round: number; weights: Float32Array }): Promise<{ delta: Float32Array; numSamples: number }> {
    await Promise.resolve();
    const delta = new Float32Array(input.weights.length);
    let x = (Math.imul(this.seed + 1, 0x9e3779b1) ^ Math.imul(input.round, 0x85ebca6b)) >>> 0 || 1;
    for (let i = 0; i < delta.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      delta[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 0.02;
    }
    return { delta, numSamples: 100 };
  }
}

interface Crowd {
  /** Upload sizes of the trainers' `sent` events, by round. */
  sent: Map<number, number[]>;
  errors: string[];
  stop(): void;
}

/** The surface the crowd needs of a participant: the production engine or the plaintext bench client. */
interface CrowdMember {
  start(): void;
  stop(): void;
  /** Subscribes; `joined` is called once the server welcomed it, `sent`/`error` as they happen. */
  watch(joined: () => void): void;
}

/**
 * Starts `trainers` trainers and `members` committee-only volunteers; resolves once all are welcomed.
 * Secure mode runs the production engine; plaintext mode runs the separate INSECURE benchmark client
 * (src/sim/plaintext-client.ts), since the engine refuses to send an update in the clear.
 */
async function startCrowd(
  url: string,
  token: string,
  trainers: number,
  members: number,
  mode: 'secure' | 'plaintext',
): Promise<Crowd> {
  const all: CrowdMember[] = [];
  const crowd: Crowd = {
    sent: new Map(),
    errors: [],
    stop: () => {
      for (const e of all) e.stop();
    },
  };
  const record = (
    name: string,
    e: { type: string; round?: number; bytes?: number; code?: string; message?: string },
  ) => {
    if (e.type === 'sent' && e.round !== undefined)
      crowd.sent.set(e.round, [...(crowd.sent.get(e.round) ?? []), e.bytes ?? 0]);
    else if (e.type === 'error') crowd.errors.push(`${name}: ${e.code} ${e.message}`);
  };
  const member = (i: number): CrowdMember => {
    const train = i < trainers;
    const label = train ? `t${i}` : `m${i - trainers}`;
    if (mode === 'plaintext') {
      const c = new PlaintextBenchClient({ url, token, label, trainer: new SyntheticTrainer(i) });
      return {
        start: () => c.start(),
        stop: () => c.stop(),
        watch: (joined) => c.on((e) => (e.type === 'welcome' ? joined() : record(c.clientId ?? `#${i}`, e))),
      };
    }
    const engine = new ParticipantEngine({
      url,
      token,
      identity: createIdentity(),
      ...(authorityFor(url) ? { authority: authorityFor(url)!, presenceMs: 500 } : { insecureUncertified: true }),
      acceptUnsafeCommittee: true, // the bench measures its recorded committees, safe or not
      train,
      committee: !train,
      label,
      socketFactory: nodeSocket,
      ...(train ? { trainer: new SyntheticTrainer(i) } : {}),
    });
    return {
      start: () => engine.start(),
      stop: () => engine.stop(),
      watch: (joined) =>
        engine.on((e: EngineEvent) => {
          if (e.type === 'state' && e.state.clientId) joined();
          else record(engine.state.clientId ?? `#${i}`, e);
        }),
    };
  };
  const BATCH = 100; // connect in batches so the listen backlog never overflows
  const total = trainers + members;
  for (let start = 0; start < total; start += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const p = member(i);
      batch.push(new Promise<void>((resolve) => p.watch(resolve)));
      all.push(p);
      p.start();
    }
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`participants ${start}–${start + batch.length - 1} not welcomed within 60 s`)),
        60_000,
      ).unref(),
    );
    await Promise.race([Promise.all(batch), timeout]);
  }
  return crowd;
}

// ---- one configuration -------------------------------------------------------------------------

export interface RunResult {
  mode: 'secure' | 'plaintext';
  trainers: number;
  members: number;
  /** Every finished round, in order (warm-up rounds included). */
  rounds: Extract<RoundLine, { ok: true }>[];
  memory: MemoryLine;
  /** Median upload of a trainer (bytes of its one message), over the rounds after warm-up. */
  uploadBytes: number;
  /**
   * CPU time of the participants' process (all the trainers and members) per round after
   * warm-up: between the server's lines of the previous round and this one (rounds follow each
   * other with no pause). Empty when there is no warm-up round.
   */
  participantsCpuMs: number[];
}

/**
 * Runs `rounds` rounds of one federation: a fresh server process, `trainers` trainers and (secure
 * mode) an explicit committee of volunteers, all connected before round 1 starts.
 */
export async function runFederation(opts: {
  mode: 'secure' | 'plaintext';
  trainers: number;
  committee: Scheme;
  rounds: number;
  warmup: number;
  hidden?: number[] | undefined;
}): Promise<RunResult> {
  const secure = opts.mode === 'secure';
  const members = secure ? opts.committee.m : 0;
  const total = opts.trainers + members;
  const server = ServerProcess.start({
    // The bench measures cost: the small committee of the recorded reference runs (5,3,1) is not
    // subset-safe, so its server runs as an insecure demo (docs/protocol.md §15).
    ...(secure
      ? { committee: opts.committee, insecureDemo: !isSubsetSafe(opts.committee) }
      : { insecurePlaintext: true }),
    ...(opts.hidden ? { hidden: opts.hidden } : {}),
    rounds: opts.rounds,
    firstRoundParticipants: total,
    minTrainers: opts.trainers,
    // nobody should ever hit a deadline: rounds close when everyone has sent / answered
    submitMs: 600_000,
    committeeMs: 600_000,
    pauseMs: 0,
  });
  let crowd: Crowd | undefined;
  try {
    const ready = await server.wait(
      (l): l is Extract<ServerLine, { type: 'ready' }> => l.type === 'ready',
      60_000,
      'the server to listen',
    );
    const wsUrl = `ws://127.0.0.1:${ready.port}/ws`;
    if (ready.authority)
      registerAuthority(wsUrl, {
        url: ready.authority.url,
        keys: ready.authority.keys.map((k) => new Uint8Array(Buffer.from(k, 'hex'))),
      });
    crowd = await startCrowd(wsUrl, ready.token, opts.trainers, members, opts.mode);
    const budget = 60_000 + opts.rounds * total * 100;
    const fin = await server.wait(
      (l): l is Extract<ServerLine, { type: 'finished' }> => l.type === 'finished' || (l.type === 'round' && !l.ok),
      budget,
      `${opts.rounds} ${opts.mode} round(s) with ${opts.trainers} trainers`,
    );
    const lines = server.lines.events.filter((l): l is RoundLine => l.type === 'round');
    const failed = lines.find((l) => !l.ok);
    if (failed && !failed.ok)
      throw new Error(
        `${opts.mode} round ${failed.round} with ${opts.trainers} trainers failed: ${failed.code} ${failed.reason}`,
      );
    if (fin.type !== 'finished') throw new Error('unreachable');
    const rounds = lines.filter((l): l is Extract<RoundLine, { ok: true }> => l.ok);
    for (const r of rounds) {
      if (r.survivors !== opts.trainers)
        throw new Error(
          `${opts.mode} round ${r.round}: ${r.survivors} of ${opts.trainers} trainers survived (a deadline or a refusal?)`,
        );
      if (secure && r.answered !== members)
        throw new Error(`secure round ${r.round}: ${r.answered} of ${members} members answered`);
    }
    if (crowd.errors.length)
      throw new Error(`participants reported errors:\n  ${crowd.errors.slice(0, 5).join('\n  ')}`);
    const timed = rounds.slice(opts.warmup).map((r) => r.round);
    const uploads = timed.flatMap((r) => crowd?.sent.get(r) ?? []);
    const participantsCpuMs: number[] = [];
    for (const r of timed) {
      const a = server.cpuAtRound.get(r - 1);
      const b = server.cpuAtRound.get(r);
      if (a && b) participantsCpuMs.push((b.user - a.user + b.system - a.system) / 1000);
    }
    return {
      mode: opts.mode,
      trainers: opts.trainers,
      members,
      rounds,
      memory: fin.memory,
      uploadBytes: uploads.length ? median(uploads) : Number.NaN,
      participantsCpuMs,
    };
  } finally {
    crowd?.stop();
    await server.stop();
  }
}

// ---- the section -------------------------------------------------------------------------------

interface Pair {
  size: RoundSize;
  secure: RunResult;
  plain: RunResult;
}

function timed(r: RunResult, warmup: number): Extract<RoundLine, { ok: true }>[] {
  return r.rounds.slice(warmup);
}

function med(xs: readonly number[]): number {
  return xs.length ? median(xs) : Number.NaN;
}

function roundRecords(p: Pair): BenchRecord[] {
  const { size, secure, plain } = p;
  const s = timed(secure, size.warmup);
  const q = timed(plain, size.warmup);
  const sWall = s.map((r) => r.wall_ms);
  const qWall = q.map((r) => r.wall_ms);
  const sMed = med(sWall);
  const qMed = med(qWall);
  const sCpu = med(s.map((r) => r.cpu_ms));
  const qCpu = med(q.map((r) => r.cpu_ms));
  const phase = (rs: typeof s, a: string, b: string): number =>
    med(rs.map((r) => (r.timings[b] ?? Number.NaN) - (a ? (r.timings[a] ?? Number.NaN) : 0)));
  return [
    {
      name: 'plaintext_round',
      n: size.n,
      median_ms: qMed,
      min_ms: Math.min(...qWall),
      max_ms: Math.max(...qWall),
      runs: q.length,
      bytes: plain.uploadBytes,
      warmup: size.warmup,
      trainers: plain.trainers,
      L: q[0]?.length,
      server_cpu_ms: qCpu,
      participants_cpu_ms: med(plain.participantsCpuMs),
      collect_ms: phase(q, '', 'cutoff_ms'),
      insecure: true,
    },
    {
      name: 'secure_round',
      n: size.n,
      m: size.committee.m,
      median_ms: sMed,
      min_ms: Math.min(...sWall),
      max_ms: Math.max(...sWall),
      runs: s.length,
      bytes: secure.uploadBytes,
      warmup: size.warmup,
      trainers: secure.trainers,
      L: s[0]?.length,
      tRec: size.committee.tRec,
      rho: size.committee.rho,
      vs_plaintext_round: sMed / qMed,
      server_cpu_ms: sCpu,
      server_cpu_ratio: sCpu / qCpu,
      participants_cpu_ms: med(secure.participantsCpuMs),
      collect_ms: phase(s, '', 'cutoff_ms'),
      committee_ms: phase(s, 'cutoff_ms', 'answers_ms'),
      unmask_ms: phase(s, 'answers_ms', 'total_ms'),
    },
    {
      name: 'round_bytes_per_trainer',
      n: size.n,
      m: size.committee.m,
      median_ms: sMed,
      bytes: secure.uploadBytes,
      plaintext_bytes: plain.uploadBytes,
      upload_ratio: secure.uploadBytes / plain.uploadBytes,
      L: s[0]?.length,
      server_in_bytes: med(s.map((r) => r.bytesIn)),
      server_out_bytes: med(s.map((r) => r.bytesOut)),
      plaintext_server_out_bytes: med(q.map((r) => r.bytesOut)),
    },
  ];
}

function memoryRecord(plan: NonNullable<RoundsPlan['memory']>, secure: RunResult, plain: RunResult): BenchRecord {
  const wall = secure.rounds.map((r) => r.wall_ms);
  return {
    name: 'server_peak_rss',
    n: plan.trainers,
    m: plan.committee.m,
    median_ms: med(wall),
    bytes: secure.memory.max_rss,
    runs: wall.length,
    sampled_peak_bytes: secure.memory.peak_rss,
    baseline_rss_bytes: secure.memory.baseline_rss,
    connected_rss_bytes: secure.memory.connected_rss,
    peak_heap_bytes: secure.memory.peak_heap_used,
    peak_array_bytes: secure.memory.peak_array_buffers,
    plaintext_peak_rss_bytes: plain.memory.max_rss,
    plaintext_median_ms: med(plain.rounds.map((r) => r.wall_ms)),
    server_cpu_ms: med(secure.rounds.map((r) => r.cpu_ms)),
  };
}

const num = (r: BenchRecord | undefined, k: string): number => {
  const v = r?.[k];
  return typeof v === 'number' ? v : Number.NaN;
};

function notes(plan: RoundsPlan, records: readonly BenchRecord[]): string {
  const lines: string[] = [];
  const find = (name: string, n: number): BenchRecord | undefined => records.find((r) => r.name === name && r.n === n);
  lines.push(
    '- **Setup**: a server (`Federation` + `listen()`, port 0) in a process of its own (`bench/server-process.ts`, a fresh one per configuration) and every participant a headless `ParticipantEngine` with its own `ws` connection to 127.0.0.1, all in the bench process. ' +
      "Trainers do **not** train: their `LocalTrainer` returns a deterministic pseudo-random delta in ±0.01 of the model's length, so the rounds measure the protocol and the transport, not TensorFlow.js. " +
      `Model: the server's ${plan.hidden ? `MLP with hidden layers [${plan.hidden.join(', ')}]` : 'default MLP'} (vector length \`L\`, incl. the FedAvg weight coordinate). Deadlines are 10 min and \`pauseMs\` 0, so every round closes as soon as everyone has sent / answered; round 1 waits for all participants.`,
  );
  lines.push(
    '- **Secure round** (`secure_round`): n participants = n − m trainers + an explicitly set committee of m volunteers (' +
      plan.sizes
        .map((s) => `n = ${s.n}: m = ${s.committee.m}, t_rec = ${s.committee.tRec}, ρ = ${s.committee.rho}`)
        .join('; ') +
      '). **Plaintext round** (`plaintext_round`, same `n` label): the same n − m trainers and no committee, on a server in the **INSECURE** `insecurePlaintext` benchmark mode — trainers send their quantized update in the clear and the server sums it. That mode exists only for this comparison.',
  );
  lines.push(
    "- **Wall time** (`median_ms`) = from the server's decision to start the round (before the public ring is expanded and the descriptors are sent) to its `round_done` event (after the decoded sum is applied and the new model version saved), measured in the server process; median over the rounds after `warmup` rounds. " +
      "`server_cpu_ms` = the server process's CPU time (all threads) over the same span. `collect_ms`, `committee_ms`, `unmask_ms` = the server's own phase marks (descriptors → cut-off, cut-off → last answer, last answer → decoded sum; whole ms).",
  );
  lines.push(
    '- **Caveat**: all trainers and members share one Node process (one main thread + the libuv pool) on a 2-core machine shared with the server process, so their work — which in a deployment runs in parallel on their own devices — is serialized here. ' +
      "In the secure round each trainer masks, secret-shares and seals to m members (~5 ms at L ≈ 10^3, see the secagg section) and each member opens one slice per survivor; that serialized client work, not the server, dominates `secure_round` at n ≥ 100. `server_cpu_ratio` (server CPU secure ÷ plaintext) isolates the server's share; `participants_cpu_ms` = CPU time of the participants' process per round (between the server's reports of consecutive rounds), of which one trainer's share (÷ trainers) is what a device would spend.",
  );
  lines.push(
    "- **Bytes** (`bytes` of the round records and `round_bytes_per_trainer`) = size of the one message a trainer uploads per round (its `sent` event: the encoded WebSocket frame), median; `plaintext_bytes` = the plaintext mode's. `server_in_bytes`/`server_out_bytes` = everything the server received / sent in a secure round (contributions + member answers / descriptors + committee jobs). " +
      "`round_bytes_per_trainer`.`median_ms` repeats the secure round's median wall time.",
  );
  if (plan.memory) {
    lines.push(
      `- **Server memory** (\`server_peak_rss\`): ${plan.memory.rounds} secure round(s) with ${plan.memory.trainers} trainers + a committee of m = ${plan.memory.committee.m} (t_rec = ${plan.memory.committee.tRec}, ρ = ${plan.memory.committee.rho}); ` +
        "`bytes` = the server process's RSS high-water mark (`VmHWM` of /proc/self/status: its peak over its whole life, start-up included; not getrusage's `maxRSS`, which on Linux carries the parent's peak across fork + exec); `sampled_peak_bytes` = highest `process.memoryUsage().rss` sampled every 10 ms; `baseline_rss_bytes` = before anyone joined (the Node runtime, the tsx loader and every module the server imports — today including @tensorflow/tfjs, through src/ml/model.ts), `connected_rss_bytes` = all connected, before round 1; " +
        '`plaintext_peak_rss_bytes` = the same with the plaintext mode. `median_ms` = the wall time of those rounds.',
    );
  }
  lines.push('');

  lines.push('### Secure ÷ plaintext');
  lines.push('');
  lines.push(
    "| n | trainers | m | plaintext round | secure round | secure ÷ plaintext | server CPU plaintext | server CPU secure | server CPU ratio | participants' CPU plaintext / secure | upload / trainer (secure vs plaintext) |",
  );
  lines.push('|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of plan.sizes) {
    const sec = find('secure_round', s.n);
    const pl = find('plaintext_round', s.n);
    if (!sec || !pl) continue;
    lines.push(
      `| ${s.n} | ${num(sec, 'trainers')} | ${s.committee.m} | ${fmtMs(pl.median_ms)} ms | ${fmtMs(sec.median_ms)} ms | **${fmtRatio(sec.median_ms / pl.median_ms)}** | ${fmtMs(num(pl, 'server_cpu_ms'))} ms | ${fmtMs(num(sec, 'server_cpu_ms'))} ms | ${fmtRatio(num(sec, 'server_cpu_ms') / num(pl, 'server_cpu_ms'))} | ${fmtMs(num(pl, 'participants_cpu_ms'))} / ${fmtMs(num(sec, 'participants_cpu_ms'))} ms | ${fmtBytes(sec.bytes ?? Number.NaN)} vs ${fmtBytes(pl.bytes ?? Number.NaN)} (${fmtRatio((sec.bytes ?? Number.NaN) / (pl.bytes ?? Number.NaN))}) |`,
    );
  }
  lines.push('');
  lines.push('### Critical path: what a deployment sees (`round_critical_path`)');
  lines.push('');
  lines.push(
    "`secure_round` above is the whole crowd serialized in one process. `round_critical_path` (bench/critical.ts) instead measures each party's own work on its own — a trainer (quantize, mask, share, seal, sign, encode), a member (check the job, open and sum every slice, sign, encode) — and adds them along the round as if every participant had its own device: slowest trainer + the server's CPU before unmasking + slowest member + the server's unmasking; the plaintext round: trainer (quantize, encode) + the server's CPU. Training and the loopback network are left out of both.",
  );
  lines.push('');
  lines.push('| n | trainer | server before unmask | member | unmask | secure | plaintext | secure ÷ plaintext |');
  lines.push('|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of plan.sizes) {
    const cs = records.find((r) => r.name === 'round_critical_path' && r.n === s.n && r.mode === 'secure');
    const cp = records.find((r) => r.name === 'round_critical_path' && r.n === s.n && r.mode === 'plaintext');
    if (!cs || !cp) continue;
    lines.push(
      `| ${s.n} | ${fmtMs(num(cs, 'trainer_ms'))} ms | ${fmtMs(num(cs, 'server_collect_ms'))} ms | ${fmtMs(num(cs, 'member_ms'))} ms | ${fmtMs(num(cs, 'server_unmask_ms'))} ms | ${fmtMs(cs.median_ms)} ms | ${fmtMs(cp.median_ms)} ms | **${fmtRatio(cs.median_ms / cp.median_ms)}** |`,
    );
  }
  lines.push('');
  const t = plan.target;
  const sec = find('secure_round', t.n);
  const pl = find('plaintext_round', t.n);
  if (sec && pl) {
    const ratio = sec.median_ms / pl.median_ms;
    lines.push(
      `Target: secure round ≤ ${t.ratio}× the plaintext round at ${t.n} participants — measured **${fmtRatio(ratio)}**: **${ratio <= t.ratio ? 'met' : 'missed'}**. ` +
        `Server CPU alone: ${fmtRatio(num(sec, 'server_cpu_ms') / num(pl, 'server_cpu_ms'))}. See the caveat above: the participants' serialized work in this single-process harness is counted in the secure round's wall time.`,
    );
  } else {
    lines.push(
      `Target: secure round ≤ ${t.ratio}× the plaintext round at ${t.n} participants — not measured in this run.`,
    );
  }
  lines.push('');
  const mem = records.find((r) => r.name === 'server_peak_rss');
  if (mem) {
    lines.push(
      `Server peak memory with ${mem.n} trainers + m = ${mem.m}: **${fmtBytes(mem.bytes ?? Number.NaN)}** peak RSS (sampled peak ${fmtBytes(num(mem, 'sampled_peak_bytes'))}; ${fmtBytes(num(mem, 'baseline_rss_bytes'))} before anyone joined, ${fmtBytes(num(mem, 'connected_rss_bytes'))} with everyone connected); plaintext mode ${fmtBytes(num(mem, 'plaintext_peak_rss_bytes'))}.`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

/** Runs the rounds measurements of `plan`. */
export async function runRoundsBench(plan: RoundsPlan, log: (s: string) => void = () => {}): Promise<SectionResult> {
  const records: BenchRecord[] = [];
  const targets: TargetCheck[] = [];
  for (const size of plan.sizes) {
    const trainers = size.n - size.committee.m;
    const rounds = size.warmup + size.runs;
    const t0 = performance.now();
    const plain = await runFederation({
      mode: 'plaintext',
      trainers,
      committee: size.committee,
      rounds,
      warmup: size.warmup,
      hidden: plan.hidden,
    });
    const t1 = performance.now();
    const secure = await runFederation({
      mode: 'secure',
      trainers,
      committee: size.committee,
      rounds,
      warmup: size.warmup,
      hidden: plan.hidden,
    });
    const t2 = performance.now();
    const recs = roundRecords({ size, secure, plain });
    records.push(...recs);
    const [pl, sec] = recs as [BenchRecord, BenchRecord, BenchRecord];
    // What a deployment sees: each party's own work on its own device (bench/critical.ts).
    const parties = await partyTimes(trainers, size.committee, num(sec, 'L'));
    const critical = criticalPathRecords(size.n, parties, {
      secureCpuMs: num(sec, 'server_cpu_ms'),
      unmaskMs: num(sec, 'unmask_ms'),
      plaintextCpuMs: num(pl, 'server_cpu_ms'),
      L: num(sec, 'L'),
      trainers,
    });
    records.push(...critical);
    const [cs, cp] = critical as [BenchRecord, BenchRecord];
    log(
      `  n=${size.n} critical path: secure ${fmtMs(cs.median_ms)} ms (trainer ${fmtMs(parties.trainer_ms)} + server ${fmtMs(num(cs, 'server_collect_ms'))} + member ${fmtMs(parties.member_ms)} + unmask ${fmtMs(num(cs, 'server_unmask_ms'))}) vs plaintext ${fmtMs(cp.median_ms)} ms → ${fmtRatio(cs.median_ms / cp.median_ms)}`,
    );
    log(
      `  n=${size.n} (${trainers} trainers, m=${size.committee.m}): plaintext ${fmtMs(pl.median_ms)} ms, secure ${fmtMs(sec.median_ms)} ms → ${fmtRatio(sec.median_ms / pl.median_ms)}; ` +
        `server CPU ${fmtRatio(num(sec, 'server_cpu_ratio'))}; upload ${fmtBytes(sec.bytes ?? 0)} vs ${fmtBytes(pl.bytes ?? 0)} (${((t1 - t0) / 1000).toFixed(1)} s + ${((t2 - t1) / 1000).toFixed(1)} s)`,
    );
    if (size.n === plan.target.n) {
      targets.push({
        label: `secure round at n = ${size.n} (limit = ${plan.target.ratio} × plaintext round ${fmtMs(pl.median_ms)} ms)`,
        measured_ms: sec.median_ms,
        limit_ms: plan.target.ratio * pl.median_ms,
      });
    }
  }
  if (plan.memory) {
    const { trainers, committee, rounds } = plan.memory;
    const t0 = performance.now();
    const secure = await runFederation({ mode: 'secure', trainers, committee, rounds, warmup: 0, hidden: plan.hidden });
    const plain = await runFederation({
      mode: 'plaintext',
      trainers,
      committee,
      rounds,
      warmup: 0,
      hidden: plan.hidden,
    });
    const rec = memoryRecord(plan.memory, secure, plain);
    records.push(rec);
    log(
      `  server peak RSS, ${trainers} trainers + m=${committee.m}: ${fmtBytes(rec.bytes ?? 0)} (plaintext ${fmtBytes(num(rec, 'plaintext_peak_rss_bytes'))}), round ${fmtMs(rec.median_ms)} ms (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  return { records, targets, notes: notes(plan, records) };
}

export const roundsSection: Section = {
  id: 'rounds',
  title: 'Rounds over WebSocket: secure vs plaintext (src/server, src/client)',
  run: (ctx: SectionContext) => runRoundsBench(ctx.quick ? QUICK_ROUNDS_PLAN : FULL_ROUNDS_PLAN, ctx.log),
};
