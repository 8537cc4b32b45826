/**
 * The arithmetic engines side by side (issue 17, docs/protocol.md §6.1): the wasm
 * engine (the default, which every other row of the secagg section runs on) and the TypeScript
 * reference, measured in the same run, run by run in turn (`measureInterleaved`), on
 *
 *   engine_trainer_total  buildContribution + the certified trainer's signature, L = 10^6, m = 128
 *   engine_server_unmask  server_accumulate (n contributions) + server_receive_unmask, L = 10^5, m = 128
 *   engine_member         answerJob (open and sum n slices, answer), n = 1,000, m = 10
 *
 * Each row has `engine` ('wasm' or 'ts') and, for wasm, `vs_ts` = wasm median / ts median and
 * `paired_ratio` (the median of run-by-run ratios). Every row checks its result against the other
 * engine's (the same bytes, or the same exact sum).
 */
import { createHash } from 'node:crypto';
import { createSigningKey, sign } from '../src/cert/sign.js';
import {
  type CommitteeResponse,
  type Contribution,
  type EngineName,
  type MemberIdentity,
  type RoundConfig,
  DEFAULT_MEMBER_POLICY,
  DEFAULT_PROFILE,
  RoundAggregator,
  answerJob,
  buildContribution,
  createIdentity,
  engineStatus,
  expandPublicRing,
  explicitCommittee,
  maxQuantized,
  sizeCommittee,
  useEngine,
} from '../src/secagg/index.js';
import { contributionStatement } from './certified.js';
import type { BenchRecord, TargetCheck } from './report.js';
import { type Measurement, fmtMs, fmtRatio, measureInterleaved, pairedRatio } from './stats.js';

export interface EnginePlan {
  trainer: { L: number; m: number; runs: number };
  server: { n: number; L: number; m: number; real: number; runs: number };
  member: { n: number; L: number; m: number; runs: number };
}

export const ENGINE_FULL: EnginePlan = {
  trainer: { L: 1e6, m: 128, runs: 21 },
  server: { n: 1000, L: 1e5, m: 128, real: 20, runs: 11 },
  member: { n: 1000, L: 1000, m: 10, runs: 15 },
};

export const ENGINE_QUICK: EnginePlan = {
  trainer: { L: 1e5, m: 128, runs: 3 },
  server: { n: 100, L: 1e4, m: 128, real: 5, runs: 3 },
  member: { n: 100, L: 1000, m: 10, runs: 3 },
};

/** Issue 17's targets for the default engine (medians on the 2-core reference machine). */
export const ENGINE_TARGETS = { trainerMs: 60, serverMs: 250, memberMs: 100 } as const;

const ENGINES = ['wasm', 'ts'] as const satisfies readonly EngineName[];
const SEED = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

function config(m: number, L: number): { cfg: RoundConfig; members: MemberIdentity[] } {
  const committee = m === 10 ? explicitCommittee({ m: 10, tRec: 7, rho: 3 }) : sizeCommittee({ n: 1000, m });
  const members = Array.from({ length: committee.m }, () => createIdentity());
  const cfg: RoundConfig = {
    ...DEFAULT_PROFILE,
    federation: 'bench-engines',
    round: 1,
    length: L,
    committee,
    memberKeys: members.map((id) => id.publicKey),
    publicSeed: SEED,
  };
  return { cfg, members };
}

function update(L: number, seed: number): Int32Array {
  const limit = maxQuantized(DEFAULT_PROFILE.bits);
  let x = seed >>> 0;
  return Int32Array.from({ length: L }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x % (2 * limit + 1)) - limit;
  });
}

async function buildMany(cfg: RoundConfig, count: number): Promise<Contribution[]> {
  const out: Contribution[] = [];
  for (let i = 0; i < count; i++)
    out.push((await buildContribution(cfg, `t-${String(i).padStart(5, '0')}`, update(cfg.length, i + 1))).contribution);
  return out;
}

/** Runs `prepare`'s timed code under each engine in turn. */
function underEach<R>(runs: number, prepare: () => () => Promise<R>): Promise<Record<EngineName, Measurement<R>>> {
  const variant = (e: EngineName) => async () => {
    await useEngine(e);
    return prepare();
  };
  return measureInterleaved<EngineName, R>({
    warmup: 2,
    runs,
    variants: { wasm: variant('wasm'), ts: variant('ts') },
  }).finally(() => useEngine(undefined));
}

function rows(
  name: string,
  common: Omit<BenchRecord, 'name' | 'median_ms'>,
  r: Record<EngineName, Measurement<unknown>>,
) {
  return ENGINES.map((e): BenchRecord => ({
    name,
    ...common,
    engine: e,
    median_ms: r[e].median_ms,
    min_ms: r[e].min_ms,
    max_ms: r[e].max_ms,
    runs: r[e].runs,
    ...(e === 'wasm' ? { vs_ts: r.wasm.median_ms / r.ts.median_ms, paired_ratio: pairedRatio(r.wasm, r.ts) } : {}),
  }));
}

function sameBytes(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export async function benchEngines(
  plan: EnginePlan,
  log: (s: string) => void,
): Promise<{ records: BenchRecord[]; targets: TargetCheck[] }> {
  const status = engineStatus();
  if (status.engine !== 'wasm') {
    log(`  engines: the wasm engine is not running (${status.fallback?.code}): no comparison`);
    return { records: [], targets: [] };
  }
  const records: BenchRecord[] = [];
  const targets: TargetCheck[] = [];

  // ---- trainer
  {
    const { L, m, runs } = plan.trainer;
    const { cfg } = config(m, L);
    const x = update(L, 7);
    const key = createSigningKey();
    const descriptor = new Uint8Array(32).fill(9);
    const r = await underEach(runs, () => async () => {
      const b = await buildContribution(cfg, 'trainer-1', x);
      sign(key.secretKey, contributionStatement(b.contribution, b.digests, descriptor));
      return b.contribution.masked;
    });
    // (secrets are fresh per run, so the bytes differ run to run; engine.test.ts and the KATs
    // check that both engines mask into the same residues for the same inputs)
    records.push(...rows('engine_trainer_total', { L, m }, r));
    log(
      `  engine trainer L=${L} m=${m}: wasm ${fmtMs(r.wasm.median_ms)} ms, ts ${fmtMs(r.ts.median_ms)} ms (${fmtRatio(r.wasm.median_ms / r.ts.median_ms)})`,
    );
    if (L === 1e6 && m === 128)
      targets.push({
        label: `issue 17: trainer_total on the wasm engine, L = 10^6, m = 128 (ts: ${fmtMs(r.ts.median_ms)} ms, same run)`,
        measured_ms: r.wasm.median_ms,
        limit_ms: ENGINE_TARGETS.trainerMs,
      });
  }

  // ---- server: accumulate n (real contributions under fresh ids) + receive t_rec answers and unmask
  {
    const { n, L, m, real, runs } = plan.server;
    const { cfg, members } = config(m, L);
    const ring = await expandPublicRing(cfg.publicSeed, cfg, L);
    log(`  building ${real} contributions (L=${L}, m=${m}) for the server…`);
    const contributions = await buildMany(cfg, real);
    const relabelled = Array.from({ length: n }, (_, i): Contribution => ({
      ...(contributions[i % real] as Contribution),
      clientId: `c-${String(i).padStart(5, '0')}`,
    }));
    const hasher = () => createHash('sha256');
    const first = new RoundAggregator(cfg, ring, hasher);
    for (const c of contributions) await first.add(c);
    const cut = first.closeContributions();
    const answers: CommitteeResponse[] = [];
    for (let j = 0; j < cfg.committee.tRec; j++)
      answers.push(await answerJob(cfg, cut.jobs[j] as (typeof cut.jobs)[number], members[j] as MemberIdentity));
    const acc = await underEach(runs, () => async () => {
      const agg = new RoundAggregator(cfg, ring, hasher);
      for (const c of relabelled) await agg.add(c);
      return agg.closeContributions().jobs.length;
    });
    let prepared: RoundAggregator | undefined;
    const unmask = await underEach(runs, () => {
      // untimed: a round of the real contributions, closed
      const setup = (async () => {
        const agg = new RoundAggregator(cfg, ring, hasher);
        for (const c of contributions) await agg.add(c);
        agg.closeContributions();
        prepared = agg;
      })();
      return async () => {
        await setup;
        const agg = prepared as RoundAggregator;
        for (const a of answers) agg.receive(a);
        return (await agg.unmask()).sum;
      };
    });
    const [w, t] = [unmask.wasm.results[0], unmask.ts.results[0]];
    if (!w || !t || !w.every((v, i) => v === t[i])) throw new Error('the engines unmasked different sums');
    const composed = (e: EngineName) => acc[e].median_ms + unmask[e].median_ms;
    for (const e of ENGINES)
      records.push({
        name: 'engine_server_unmask',
        L,
        n,
        m,
        engine: e,
        median_ms: composed(e),
        accumulate_ms: acc[e].median_ms,
        receive_unmask_ms: unmask[e].median_ms,
        composed: 'accumulate (n) + receive_unmask',
        ...(e === 'wasm'
          ? {
              vs_ts: composed('wasm') / composed('ts'),
              accumulate_vs_ts: acc.wasm.median_ms / acc.ts.median_ms,
              unmask_vs_ts: unmask.wasm.median_ms / unmask.ts.median_ms,
            }
          : {}),
      });
    log(
      `  engine server n=${n} L=${L} m=${m}: wasm ${fmtMs(acc.wasm.median_ms)} + ${fmtMs(unmask.wasm.median_ms)} ms, ` +
        `ts ${fmtMs(acc.ts.median_ms)} + ${fmtMs(unmask.ts.median_ms)} ms (${fmtRatio(composed('wasm') / composed('ts'))}), sums equal`,
    );
    if (n === 1000 && L === 1e5)
      targets.push({
        label: `issue 17: server_unmask on the wasm engine, n = 1,000, L = 10^5, m = ${m} (ts: ${fmtMs(composed('ts'))} ms, same run)`,
        measured_ms: composed('wasm'),
        limit_ms: ENGINE_TARGETS.serverMs,
      });
  }

  // ---- member: open and sum n slices, answer (X25519, AES-GCM; the engine only adds the slices)
  {
    const { n, L, m, runs } = plan.member;
    const { cfg, members } = config(m, L);
    log(`  building ${n} contributions (L=${L}, m=${m}) for the member…`);
    const agg = new RoundAggregator(cfg);
    for (const c of await buildMany(cfg, n)) await agg.add(c);
    const job = agg.closeContributions().jobs[0] as ReturnType<RoundAggregator['closeContributions']>['jobs'][number];
    const me = members[0] as MemberIdentity;
    const r = await underEach(runs, () => () => answerJob(cfg, job, me, DEFAULT_MEMBER_POLICY).then((a) => a.sum));
    if (!sameBytes(r.wasm.results[0] as Uint32Array, r.ts.results[0] as Uint32Array))
      throw new Error('the engines answered differently');
    records.push(...rows('engine_member', { L, n, m }, r));
    log(
      `  engine member n=${n}: wasm ${fmtMs(r.wasm.median_ms)} ms, ts ${fmtMs(r.ts.median_ms)} ms (${fmtRatio(r.wasm.median_ms / r.ts.median_ms)})`,
    );
  }
  return { records, targets };
}
