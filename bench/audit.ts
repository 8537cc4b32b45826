/**
 * The audit section of the bench (issue 19, docs/transcript.md): a certified federation in this
 * process over real WebSockets (the harness's server and headless engines with the synthetic
 * trainer of rounds.ts), a few rounds, then `npm run audit`'s own function over its data
 * directory. Per configuration (n trainers, L coordinates):
 *
 *   transcript_bytes   the round's transcript plus its kept masked vectors and slices, on disk
 *   audit_round        the audit's wall time per round (chain, signatures, Σy recomputed, unmask, FedAvg)
 *   server_unmask      the server's own unmasking of that round (round timings: total − answers)
 *
 * The issue's target: auditing a round of 1,000 × 10^5 takes ≤ 3× the server's unmask time. L
 * follows the model: the default (hidden 32,16) and hidden 1024,64 for ≈ 10^5.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { audit } from '../src/audit/audit.js';
import { dirSource } from '../src/audit/source.js';
import { type SimParticipant, startLocalServer, startParticipant } from '../src/sim/harness.js';
import type { FederationEvent } from '../src/wire/events.js';
import { decodeTranscript } from '../src/wire/transcript.js';
import type { BenchRecord, Section, SectionContext, SectionResult, TargetCheck } from './report.js';
import { SyntheticTrainer } from './rounds.js';
import { median } from './stats.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

export interface AuditConfig {
  trainers: number;
  hidden: number[];
  rounds: number;
}

const FULL: AuditConfig[] = [
  { trainers: 100, hidden: [32, 16], rounds: 2 },
  { trainers: 100, hidden: [1024, 64], rounds: 2 },
  { trainers: 1000, hidden: [32, 16], rounds: 2 },
];
const QUICK: AuditConfig[] = [{ trainers: 20, hidden: [32, 16], rounds: 2 }];
const MEMBERS = 5;

export async function auditBenchOne(cfg: AuditConfig, ctx: SectionContext): Promise<BenchRecord[]> {
  const total = cfg.trainers + MEMBERS;
  const local = await startLocalServer({
    committee: { m: 5, tRec: 4, rho: 2 },
    hidden: cfg.hidden,
    minTrainers: cfg.trainers,
    firstRoundParticipants: total,
    rounds: cfg.rounds,
    submitMs: 600_000,
    committeeMs: 120_000,
    // Everything shares this process's event loop: masking 1,000 × 10^5 holds it for minutes,
    // during which no ping is answered.
    idleTimeoutMs: 3_600_000,
    joinTimeoutMs: 600_000,
    transcriptKeep: cfg.rounds,
  });
  const done: Done[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    local.fed.onEvent((e) => {
      if (e.type === 'round_done') done.push(e);
      if (e.type === 'round_failed') reject(new Error(`round ${e.round} failed: ${e.code} ${e.reason}`));
      if (e.type === 'finished') resolve();
    });
  });
  const parts: SimParticipant[] = [];
  try {
    for (let i = 0; i < total; i++) {
      const train = i < cfg.trainers;
      parts.push(
        startParticipant({
          url: local.wsUrl,
          token: local.token,
          train,
          committee: !train,
          label: train ? `t${i}` : `m${i}`,
          ...(train ? { trainer: new SyntheticTrainer(i) } : {}),
        }),
      );
    }
    await finished;
  } finally {
    for (const p of parts) p.engine.stop();
    await local.stop();
  }
  const dir = local.config.dataDir;
  const tdir = join(dir, 'transcripts');
  const sizes: number[] = [];
  for (const r of done) {
    let bytes = 0;
    for (const n of await readdir(tdir))
      if (n === `${r.round}.transcript` || n === `${r.round}.masked`) bytes += (await stat(join(tdir, n))).size;
    sizes.push(bytes);
  }
  const keys = [...(local.authority?.keys ?? [])];
  // The participants' sockets close in this process: let that finish before the audit is timed.
  await new Promise((r) => setTimeout(r, 2_000));
  let auditMs = Infinity;
  let report = await audit(dirSource(dir), keys);
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    report = await audit(dirSource(dir), keys);
    auditMs = Math.min(auditMs, (performance.now() - t0) / Math.max(1, report.lines.length));
  }
  if (report.summary.first_bad !== null)
    throw new Error(`the bench federation does not audit: ${report.summary.reason}`);
  const unmask = median(done.map((d) => (d.timings.total_ms ?? 0) - (d.timings.answers_ms ?? 0)));
  const first = await dirSource(dir).transcript(done[0]?.round ?? 1);
  const length = first ? decodeTranscript(first).descriptor.config.length : 0;
  ctx.log(`audit: n=${cfg.trainers} L=${length}: ${auditMs.toFixed(0)} ms per round, server unmask ${unmask} ms`);
  const base = { L: length, n: cfg.trainers, m: MEMBERS };
  return [
    { name: 'transcript_bytes', ...base, median_ms: 0, bytes: median(sizes), masked_kept: true },
    { name: 'audit_round', ...base, median_ms: auditMs, vs_server_unmask: unmask > 0 ? auditMs / unmask : 0 },
    { name: 'server_unmask', ...base, median_ms: unmask },
  ];
}

export const auditSection: Section = {
  id: 'audit',
  title: 'Transcripts and npm run audit (issue 19)',
  run: async (ctx): Promise<SectionResult> => {
    const records: BenchRecord[] = [];
    const targets: TargetCheck[] = [];
    for (const cfg of ctx.quick ? QUICK : FULL) {
      const rs = await auditBenchOne(cfg, ctx);
      records.push(...rs);
      const a = rs.find((r) => r.name === 'audit_round');
      const u = rs.find((r) => r.name === 'server_unmask');
      if (a && u && cfg.trainers === 1000 && (a.L ?? 0) >= 90_000)
        targets.push({
          label: `audit of one round, n=1000, L=${a.L} (≤ 3× unmask)`,
          measured_ms: a.median_ms,
          limit_ms: 3 * u.median_ms,
        });
    }
    return {
      records,
      targets,
      notes:
        'In one process on this machine: the server, its headless participants and then the audit of its data directory ' +
        '(the server stopped first). `transcript_bytes` counts the transcript and the kept masked vectors and slices of one round; ' +
        'rounds older than `--transcript-keep` keep only the transcript. `vs_server_unmask` is the audit time over the server unmask time of the round.',
    };
  },
};
