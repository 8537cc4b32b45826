/**
 * The secure-aggregation section of the bench: trainer, committee member and server costs
 * of one round, upload size, and plaintext baselines measured in the same process.
 *
 * Record names (public, see report.ts): trainer_total, trainer_mask, trainer_shares,
 * trainer_seal, trainer_expand, trainer_total_ring_cached, member, server_accumulate,
 * server_receive_unmask, server_unmask, server_digest, plaintext_sum,
 * plaintext_copy.
 */
import { createHash } from 'node:crypto';
import {
  type CommitteeResponse,
  type CommitteeSettings,
  type Contribution,
  type MemberIdentity,
  type PublicRing,
  type RoundConfig,
  DEFAULT_PROFILE,
  RoundAggregator,
  answerJob,
  contributionDigest,
  buildContribution,
  createIdentity,
  expandPublicRing,
  explicitCommittee,
  maxQuantized,
  sizeCommittee,
} from '../src/secagg/index.js';
import type { BenchRecord, Section, SectionContext, SectionResult, TargetCheck } from './report.js';

/** The server role is measured as the server runs it: contribution digests with Node's native SHA-256. */
const nodeSha256 = () => createHash('sha256');
import { type Measurement, fmtBytes, fmtMs, fmtRatio, measure } from './stats.js';

export interface Reps {
  warmup: number;
  runs: number;
}

export interface SecaggPlan {
  trainer: { lengths: number[]; committees: number[]; reps: (L: number) => Reps };
  member: { counts: number[]; committee: number; length: number; reps: (n: number) => Reps };
  server: {
    counts: number[];
    length: number;
    committees: number[];
    /** Real contributions built per committee; the accumulate runs cycle through them under fresh ids. */
    realTrainers: number;
    accumulateReps: (n: number) => Reps;
    unmaskReps: Reps;
  };
  plaintextReps: Reps;
}

/** The reference run (`npm run bench`): a few minutes on the 2-core reference machine. */
export const FULL_PLAN: SecaggPlan = {
  trainer: {
    lengths: [1e3, 1e4, 1e5, 1e6],
    committees: [10, 128],
    reps: (L) => (L >= 1e6 ? { warmup: 3, runs: 31 } : L >= 1e5 ? { warmup: 3, runs: 31 } : { warmup: 5, runs: 41 }),
  },
  member: {
    counts: [10, 100, 1000],
    committee: 10,
    length: 1000,
    reps: (n) => (n >= 1000 ? { warmup: 2, runs: 21 } : { warmup: 3, runs: 31 }),
  },
  server: {
    counts: [10, 100, 1000],
    length: 1e5,
    committees: [10, 128],
    realTrainers: 20,
    accumulateReps: (n) => (n >= 1000 ? { warmup: 1, runs: 15 } : { warmup: 2, runs: 31 }),
    unmaskReps: { warmup: 3, runs: 21 },
  },
  plaintextReps: { warmup: 5, runs: 31 },
};

/** `--quick`: small sizes, few runs; seconds, for smoke tests. */
export const QUICK_PLAN: SecaggPlan = {
  trainer: { lengths: [1e3, 1e4, 1e5], committees: [10, 128], reps: () => ({ warmup: 1, runs: 3 }) },
  member: { counts: [10, 100], committee: 10, length: 1000, reps: () => ({ warmup: 1, runs: 3 }) },
  server: {
    counts: [10, 100],
    length: 1e4,
    committees: [10, 128],
    realTrainers: 5,
    accumulateReps: () => ({ warmup: 1, runs: 3 }),
    unmaskReps: { warmup: 1, runs: 3 },
  },
  plaintextReps: { warmup: 1, runs: 5 },
};

/** Performance targets of the core (trainer, member, server). */
export const TARGETS = { trainerL: 1e6, trainerMs: 300, serverN: 1000, serverL: 1e5, serverMs: 1000 } as const;

/**
 * Committee settings per size: m = 128 is sized for n = 1,000 participants at the default
 * fractions (5 % corrupt, 10 % dropout, 2^-40); m = 10 is an operator-set small committee.
 */
export function committeeFor(m: number): CommitteeSettings {
  if (m === 128) return sizeCommittee({ n: 1000, m: 128 });
  if (m === 10) return explicitCommittee({ m: 10, tRec: 7, rho: 3 });
  throw new RangeError(`the bench knows committee settings for m = 10 and m = 128 only, not ${m}`);
}

interface Federation {
  committee: CommitteeSettings;
  members: MemberIdentity[];
}

const federations = new Map<number, Federation>();
function federation(m: number): Federation {
  let f = federations.get(m);
  if (!f) {
    const committee = committeeFor(m);
    f = { committee, members: Array.from({ length: committee.m }, () => createIdentity()) };
    federations.set(m, f);
  }
  return f;
}

const PUBLIC_SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function roundConfig(m: number, L: number): RoundConfig {
  const f = federation(m);
  return {
    ...DEFAULT_PROFILE,
    federation: 'bench',
    round: 1,
    length: L,
    committee: f.committee,
    memberKeys: f.members.map((id) => id.publicKey),
    publicSeed: PUBLIC_SEED,
  };
}

/** A uniformly random quantized update within ±(2^(b−1) − 1). */
function randomUpdate(L: number, bits = DEFAULT_PROFILE.bits): Int32Array {
  const limit = maxQuantized(bits);
  const words = new Uint32Array(L);
  for (let i = 0; i < L; i += 16384) globalThis.crypto.getRandomValues(words.subarray(i, Math.min(L, i + 16384)));
  const out = new Int32Array(L);
  for (let i = 0; i < L; i++) out[i] = ((words[i] as number) % (2 * limit + 1)) - limit;
  return out;
}

function randomFloats(L: number): Float32Array {
  const out = new Float32Array(L);
  for (let i = 0; i < L; i++) out[i] = Math.random() * 2 - 1;
  return out;
}

/** Bytes a trainer uploads: two u32 residue vectors, the ephemeral key and the sealed slices. */
export function uploadBytes(c: Contribution): number {
  return (
    c.masked[0].byteLength +
    c.masked[1].byteLength +
    c.ephemeralPublic.length +
    c.sealed.reduce((a, s) => a + s.length, 0)
  );
}

function stats(m: Measurement<unknown>): Pick<BenchRecord, 'min_ms' | 'max_ms' | 'runs'> {
  return { min_ms: m.min_ms, max_ms: m.max_ms, runs: m.runs };
}

/** Builds `count` real contributions (a few at a time, so WebCrypto work overlaps). */
async function buildMany(
  cfg: RoundConfig,
  count: number,
  prefix: string,
): Promise<{ contributions: Contribution[]; updates: Int32Array[] }> {
  const contributions: Contribution[] = [];
  const updates: Int32Array[] = [];
  const BATCH = 8;
  for (let start = 0; start < count; start += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => start + i);
    const built = await Promise.all(
      ids.map(async (i) => {
        const x = randomUpdate(cfg.length);
        const { contribution } = await buildContribution(cfg, `${prefix}${String(i).padStart(5, '0')}`, x);
        return { contribution, x };
      }),
    );
    for (const b of built) {
      contributions.push(b.contribution);
      updates.push(b.x);
    }
  }
  return { contributions, updates };
}

// ---------------------------------------------------------------------------------------------

async function benchTrainer(plan: SecaggPlan, log: (s: string) => void): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const L of plan.trainer.lengths) {
    const reps = plan.trainer.reps(L);
    const x = randomUpdate(L);
    const xf = randomFloats(L);
    // Plaintext baseline: what a plaintext client does with its update before sending it.
    const inner = Math.max(1, Math.round(1e6 / L));
    const copy = await measure({
      ...reps,
      run: () => {
        let keep = 0;
        for (let i = 0; i < inner; i++) keep += xf.slice().length;
        return keep;
      },
    });
    const copyMs = copy.median_ms / inner;
    out.push({
      name: 'plaintext_copy',
      L,
      median_ms: copyMs,
      bytes: 4 * L,
      min_ms: copy.min_ms / inner,
      max_ms: copy.max_ms / inner,
      runs: copy.runs,
      inner,
    });

    const ctx = { federation: 'bench', round: 1 };
    const expand = await measure({ ...reps, run: () => expandPublicRing(PUBLIC_SEED, ctx, L) });
    out.push({ name: 'trainer_expand', L, median_ms: expand.median_ms, ...stats(expand), warmup: reps.warmup });
    log(`  trainer_expand L=${L}: ${fmtMs(expand.median_ms)} ms`);
    const ring: PublicRing = await expandPublicRing(PUBLIC_SEED, ctx, L);

    for (const m of plan.trainer.committees) {
      const cfg = roundConfig(m, L);
      let bytes = 0;
      const total = await measure({
        ...reps,
        run: async () => {
          const r = await buildContribution(cfg, 'trainer-0001', x);
          bytes = uploadBytes(r.contribution);
          return r.timings;
        },
      });
      const part = (k: 'mask_ms' | 'shares_ms' | 'seal_ms'): Measurement<unknown> => {
        const samples = total.results.map((t) => t[k]);
        const sorted = [...samples].sort((a, b) => a - b);
        const mid = sorted.length >> 1;
        const med =
          sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
        return {
          median_ms: med,
          min_ms: sorted[0] as number,
          max_ms: sorted[sorted.length - 1] as number,
          runs: samples.length,
          samples,
          results: [],
        };
      };
      const mask = part('mask_ms');
      const shares = part('shares_ms');
      const seal = part('seal_ms');
      const cached = await measure({ ...reps, run: () => buildContribution(cfg, 'trainer-0001', x, { ring }) });
      out.push({
        name: 'trainer_total',
        L,
        m,
        median_ms: total.median_ms,
        bytes,
        ...stats(total),
        warmup: reps.warmup,
        plaintext_bytes: 4 * L,
        upload_ratio: bytes / (4 * L),
        vs_plaintext_copy: total.median_ms / copyMs,
      });
      out.push({
        name: 'trainer_mask',
        L,
        m,
        median_ms: mask.median_ms,
        ...stats(mask),
        expand_share: expand.median_ms / mask.median_ms,
      });
      out.push({ name: 'trainer_shares', L, m, median_ms: shares.median_ms, ...stats(shares) });
      out.push({ name: 'trainer_seal', L, m, median_ms: seal.median_ms, ...stats(seal) });
      out.push({
        name: 'trainer_total_ring_cached',
        L,
        m,
        median_ms: cached.median_ms,
        bytes,
        ...stats(cached),
        warmup: reps.warmup,
        vs_plaintext_copy: cached.median_ms / copyMs,
      });
      log(
        `  trainer L=${L} m=${m}: total ${fmtMs(total.median_ms)} ms (mask ${fmtMs(mask.median_ms)}, shares ${fmtMs(shares.median_ms)}, seal ${fmtMs(seal.median_ms)}), ring cached ${fmtMs(cached.median_ms)} ms, upload ${fmtBytes(bytes)}`,
      );
    }
  }
  return out;
}

async function benchMember(plan: SecaggPlan, log: (s: string) => void): Promise<BenchRecord[]> {
  const { committee: m, length: L, counts } = plan.member;
  const cfg = roundConfig(m, L);
  const me = federation(m).members[0] as MemberIdentity;
  const maxN = Math.max(...counts);
  log(`  building ${maxN} real contributions (L=${L}, m=${m}) for the member jobs…`);
  const { contributions } = await buildMany(cfg, maxN, 'member-');
  const out: BenchRecord[] = [];
  for (const n of counts) {
    const agg = new RoundAggregator(cfg);
    for (const c of contributions.slice(0, n)) await agg.add(c);
    const job = agg.closeContributions().jobs[0];
    if (!job) throw new Error('no job for member 1');
    const reps = plan.member.reps(n);
    const r = await measure({ ...reps, run: () => answerJob(cfg, job, me) });
    const answer = await answerJob(cfg, job, me);
    const jobBytes = job.slots.reduce((a, s) => a + s.sealed.length + s.ephemeralPublic.length, 0);
    out.push({
      name: 'member',
      L,
      n,
      m,
      median_ms: r.median_ms,
      bytes: jobBytes,
      ...stats(r),
      warmup: reps.warmup,
      answer_bytes: answer.sum.byteLength + answer.survivorHash.length,
    });
    log(`  member n=${n}: ${fmtMs(r.median_ms)} ms`);
  }
  return out;
}

function plaintextSum(n: number, pool: readonly Float32Array[], L: number): Float32Array {
  const acc = new Float32Array(L);
  for (let i = 0; i < n; i++) {
    const v = pool[i % pool.length] as Float32Array;
    for (let j = 0; j < L; j++) acc[j] = (acc[j] as number) + (v[j] as number);
  }
  return acc;
}

function exactSum(updates: readonly Int32Array[], L: number): Float64Array {
  const s = new Float64Array(L);
  for (const x of updates) for (let i = 0; i < L; i++) s[i] = (s[i] as number) + (x[i] as number);
  return s;
}

async function benchServer(
  plan: SecaggPlan,
  log: (s: string) => void,
): Promise<{ records: BenchRecord[]; targets: TargetCheck[] }> {
  const { length: L, counts, committees, realTrainers } = plan.server;
  const records: BenchRecord[] = [];
  const targets: TargetCheck[] = [];

  // Plaintext baseline: n float32 vectors summed into one, cycling through as many distinct
  // vectors as the server measurement has distinct masked vectors.
  const poolSize = Math.min(realTrainers, Math.max(...counts));
  const pool = Array.from({ length: poolSize }, () => randomFloats(L));
  const plain = new Map<number, number>();
  for (const n of counts) {
    const r = await measure({ ...plan.plaintextReps, run: () => plaintextSum(n, pool, L) });
    plain.set(n, r.median_ms);
    records.push({
      name: 'plaintext_sum',
      L,
      n,
      median_ms: r.median_ms,
      bytes: 4 * L * n,
      ...stats(r),
      warmup: plan.plaintextReps.warmup,
    });
    log(`  plaintext_sum n=${n} L=${L}: ${fmtMs(r.median_ms)} ms`);
  }

  for (const m of committees) {
    const cfg = roundConfig(m, L);
    const ctx = { federation: cfg.federation, round: cfg.round };
    // The server expands the public ring when the round opens, long before it unmasks.
    const ring = await expandPublicRing(cfg.publicSeed, ctx, L);
    log(`  building ${realTrainers} real contributions (L=${L}, m=${m}) for the server…`);
    const { contributions, updates } = await buildMany(cfg, realTrainers, 'real-');

    // Unmask part: a real round of `realTrainers` trainers; t_rec real answers, computed once
    // (they depend only on S, so every fresh aggregator with the same S accepts them).
    const first = new RoundAggregator(cfg, ring, nodeSha256);
    for (const c of contributions) await first.add(c);
    const cut = first.closeContributions();
    const members = federation(m).members;
    const answers: CommitteeResponse[] = [];
    for (let j = 0; j < cfg.committee.tRec; j++)
      answers.push(await answerJob(cfg, cut.jobs[j] as (typeof cut.jobs)[number], members[j] as MemberIdentity));
    const expected = exactSum(updates, L);
    const unmask = await measure({
      ...plan.server.unmaskReps,
      setup: async () => {
        const agg = new RoundAggregator(cfg, ring, nodeSha256);
        for (const c of contributions) await agg.add(c);
        agg.closeContributions();
        return agg;
      },
      run: async (agg) => {
        for (const a of answers) agg.receive(a);
        return agg.unmask();
      },
    });
    for (const res of unmask.results) {
      const bad = res.sum.findIndex((v, i) => v !== expected[i]);
      if (bad >= 0)
        throw new Error(`unmasked sum differs from the plaintext sum at coordinate ${bad} (m=${m}, L=${L})`);
    }
    log(
      `  server receive+unmask (t_rec=${cfg.committee.tRec}, L=${L}, m=${m}): ${fmtMs(unmask.median_ms)} ms, sum exact`,
    );

    for (const n of counts) {
      // Accumulate part: n contributions; beyond the real ones, real contributions re-labelled
      // with fresh client ids (add does not open slices, so the server's work is the same).
      const relabelled = Array.from({ length: n }, (_, i): Contribution => ({
        ...(contributions[i % contributions.length] as Contribution),
        clientId: `client-${String(i).padStart(5, '0')}`,
      }));
      const reps = plan.server.accumulateReps(n);
      const acc = await measure({
        ...reps,
        setup: () => new RoundAggregator(cfg, ring, nodeSha256),
        run: async (agg) => {
          for (const c of relabelled) await agg.add(c);
          return agg.closeContributions().jobs.length;
        },
      });
      const totalMs = acc.median_ms + unmask.median_ms;
      const plainMs = plain.get(n) as number;
      records.push({
        name: 'server_accumulate',
        L,
        n,
        m,
        median_ms: acc.median_ms,
        ...stats(acc),
        warmup: reps.warmup,
        distinct: Math.min(n, contributions.length),
      });
      records.push({
        name: 'server_receive_unmask',
        L,
        n,
        m,
        median_ms: unmask.median_ms,
        ...stats(unmask),
        warmup: plan.server.unmaskReps.warmup,
        real_trainers: contributions.length,
      });
      records.push({
        name: 'server_unmask',
        L,
        n,
        m,
        median_ms: totalMs,
        accumulate_ms: acc.median_ms,
        receive_unmask_ms: unmask.median_ms,
        vs_plaintext_sum: totalMs / plainMs,
        composed: 'server_accumulate + server_receive_unmask',
      });
      log(
        `  server n=${n} L=${L} m=${m}: accumulate ${fmtMs(acc.median_ms)} ms + unmask ${fmtMs(unmask.median_ms)} ms = ${fmtMs(totalMs)} ms (${fmtRatio(totalMs / plainMs)} plaintext_sum)`,
      );
      if (n === Math.max(...counts)) {
        // Breakdown of `add` at the largest n: the contribution digests alone.
        const few = { warmup: 1, runs: Math.max(3, Math.min(7, reps.runs)) };
        const dig = await measure({
          ...few,
          run: async () => {
            for (const c of relabelled) await contributionDigest(c.ephemeralPublic, c.sealed, nodeSha256);
          },
        });
        records.push({
          name: 'server_digest',
          L,
          n,
          m,
          median_ms: dig.median_ms,
          ...stats(dig),
          warmup: few.warmup,
          accumulate_share: dig.median_ms / acc.median_ms,
        });
        log(`    of which contributionDigest ${fmtMs(dig.median_ms)} ms`);
      }
      if (n === TARGETS.serverN && L === TARGETS.serverL) {
        targets.push({
          label: `server accumulate + unmask, n = 1,000, L = 10^5, m = ${m}`,
          measured_ms: totalMs,
          limit_ms: TARGETS.serverMs,
        });
      }
    }
  }
  return { records, targets };
}

function notes(plan: SecaggPlan, records: readonly BenchRecord[]): string {
  const get = (name: string, L?: number, m?: number, n?: number): BenchRecord | undefined =>
    records.find(
      (r) =>
        r.name === name &&
        (L === undefined || r.L === L) &&
        (m === undefined || r.m === m) &&
        (n === undefined || r.n === n),
    );
  const lines: string[] = [];
  const c10 = committeeFor(10);
  const c128 = committeeFor(128);
  lines.push('### Settings');
  lines.push('');
  lines.push(
    `- Profile: Δ = 2^${Math.log2(DEFAULT_PROFILE.delta)}, b = ${DEFAULT_PROFILE.bits} bits, n_max = ${DEFAULT_PROFILE.nMax}; ring N = 2048, two 26-bit primes.`,
  );
  lines.push(
    `- m = 128: \`sizeCommittee({ n: 1000, m: 128 })\` (5 % corrupt, 10 % dropout, 2^-40) → t_rec = ${c128.tRec}, ρ = ${c128.rho}, c_max = ${c128.cMax}, d_max = ${c128.dMax}; a slice is ${2 * Math.ceil(2048 / c128.rho)} residues.`,
  );
  lines.push(
    `- m = 10: explicit operator settings \`explicitCommittee({ m: 10, tRec: 7, rho: 3 })\` → tolerates ${c10.dMax} silent members and ${c10.cMax} colluding members; ` +
      `a small committee cannot reach the 2^-40 tails of the sizing rule, so a demo-sized federation sets it by hand (docs/protocol.md §15). A slice is ${2 * Math.ceil(2048 / c10.rho)} residues, so sealing and member work per slice are larger than at m = 128.`,
  );
  lines.push('');
  lines.push('### Method');
  lines.push('');
  lines.push(
    '- **Trainer**: `buildContribution` on a random 16-bit update, fresh secret randomness each run. `trainer_mask`/`trainer_shares`/`trainer_seal` are the medians of the `timings` it returns ' +
      '(each part has its own median, so the parts need not add up to the median total). `trainer_mask` includes the public-ring expansion, which runs concurrently with the secret and noise sampling; ' +
      '`trainer_expand` times `expandPublicRing` alone (`expand_share` = its share of the mask median). `trainer_total_ring_cached` passes the ring in precomputed (`opts.ring`): the ring is the same for every party and can be expanded while the model trains. ' +
      'The arithmetic (NTT, masking, sharing) runs on the main thread; the AES-CTR keystreams (ring, noise, secrets), AES-GCM and X25519 are WebCrypto jobs on the libuv thread pool, so on this 2-core machine they can overlap with the main thread — the trainer numbers are not strictly single-core.',
  );
  lines.push(
    '- **Upload** (`bytes` of trainer records) = 8·L (two u32 residue vectors) + 32 (ephemeral key) + Σ sealed slice lengths; `upload_ratio` divides it by the 4·L bytes of a float32 update.',
  );
  lines.push(
    `- **Member**: \`answerJob\` for a job built by a real \`RoundAggregator\` from n real contributions (L = ${plan.member.length}, m = ${plan.member.committee}; member work does not depend on L). \`bytes\` = sealed slices + ephemeral keys in the job.`,
  );
  lines.push(
    `- **Server**: \`server_accumulate\` = \`add\` of n contributions (sequentially awaited, as they would arrive) + \`closeContributions\`. Only ${plan.server.realTrainers} real contributions are built per committee; ` +
      'the others are those same contributions re-labelled with fresh client ids. `add` validates, digests and sums but does not open slices, so its work is the same, but the sum of such a round is meaningless, so it is not unmasked. ' +
      `\`server_receive_unmask\` = \`receive\` of t_rec real member answers + \`unmask\` in a real round of ${plan.server.realTrainers} trainers; its cost does not depend on n, and its output is checked against the exact plaintext sum in every run. ` +
      '`server_unmask` = `server_accumulate` (n) + `server_receive_unmask`, the sum of the two medians. At the largest n, `server_digest` (only `contributionDigest` of the n contributions) shows how much of `add` is hashing (`accumulate_share`); the rest is the range-checked float accumulation of the masked vectors. ' +
      'The public ring is given to the aggregator precomputed (it expands it when the round opens; see `trainer_expand` for its cost).',
  );
  lines.push(
    `- **Baselines**: \`plaintext_sum\` sums n float32 vectors of length L into one Float32Array (cycling through ${Math.min(plan.server.realTrainers, Math.max(...plan.server.counts))} distinct vectors, as the server measurement does); ` +
      '`plaintext_copy` copies the float32 update (`Float32Array.prototype.slice`), what a plaintext client does before sending. Ratios: `vs_plaintext_sum` = server_unmask / plaintext_sum, `vs_plaintext_copy` = trainer time / plaintext_copy at the same L.',
  );
  lines.push('');

  const ups = records.filter((r) => r.name === 'trainer_total');
  if (ups.length) {
    lines.push('### Upload per trainer');
    lines.push('');
    lines.push('| L | m | upload | float32 plaintext | ratio |');
    lines.push('|--:|--:|--:|--:|--:|');
    for (const r of ups)
      lines.push(
        `| ${r.L} | ${r.m} | ${r.bytes} B (${fmtBytes(r.bytes as number)}) | ${4 * (r.L as number)} B | ${fmtRatio(r.upload_ratio as number)} |`,
      );
    lines.push('');
    lines.push(
      'The residue vectors alone are 2× the float32 size; the sealed slices (≈ 2·4·2048·m/ρ bytes + 16 per member) dominate at small L.',
    );
    lines.push('');
  }

  const Lt = TARGETS.trainerL;
  const exp = get('trainer_expand', Lt);
  if (exp) {
    lines.push(`### Where the trainer time goes at L = 10^6`);
    lines.push('');
    for (const m of plan.trainer.committees) {
      const t = get('trainer_total', Lt, m);
      const mk = get('trainer_mask', Lt, m);
      const sh = get('trainer_shares', Lt, m);
      const se = get('trainer_seal', Lt, m);
      const rc = get('trainer_total_ring_cached', Lt, m);
      if (!t || !mk || !sh || !se || !rc) continue;
      lines.push(
        `- m = ${m}: total ${fmtMs(t.median_ms)} ms = mask ${fmtMs(mk.median_ms)} (of which ring expansion alone ${fmtMs(exp.median_ms)}) + shares ${fmtMs(sh.median_ms)} + seal ${fmtMs(se.median_ms)}; ` +
          `with the ring precomputed ${fmtMs(rc.median_ms)} ms.`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Runs the secure-aggregation measurements of `plan`. */
export async function runSecaggBench(plan: SecaggPlan, log: (s: string) => void = () => {}): Promise<SectionResult> {
  log('secagg: trainer');
  const trainer = await benchTrainer(plan, log);
  log('secagg: committee member');
  const member = await benchMember(plan, log);
  log('secagg: server');
  const server = await benchServer(plan, log);
  const records = [...trainer, ...member, ...server.records];
  const targets: TargetCheck[] = [];
  for (const m of plan.trainer.committees) {
    const t = records.find((r) => r.name === 'trainer_total' && r.L === TARGETS.trainerL && r.m === m);
    const c = records.find((r) => r.name === 'trainer_total_ring_cached' && r.L === TARGETS.trainerL && r.m === m);
    if (t)
      targets.push({
        label: `trainer_total, L = 10^6, m = ${m}`,
        measured_ms: t.median_ms,
        limit_ms: TARGETS.trainerMs,
      });
    if (c)
      targets.push({
        label: `trainer_total_ring_cached, L = 10^6, m = ${m}`,
        measured_ms: c.median_ms,
        limit_ms: TARGETS.trainerMs,
      });
  }
  targets.push(...server.targets);
  return { records, targets, notes: notes(plan, records) };
}

export const secaggSection: Section = {
  id: 'secagg',
  title: 'Secure aggregation (src/secagg)',
  run: (ctx: SectionContext) => runSecaggBench(ctx.quick ? QUICK_PLAN : FULL_PLAN, ctx.log),
};
