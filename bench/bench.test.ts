/**
 * Smoke tests of the bench's sections at tiny sizes: the records have the public names and
 * fields and finite positive times. No timing thresholds.
 */
import { describe, expect, it } from 'vitest';
import { type BenchRecord, markdownReport, markdownTable, textTable } from './report.js';
import { type RoundsPlan, SyntheticTrainer, runRoundsBench } from './rounds.js';
import { type SecaggPlan, runSecaggBench } from './secagg.js';
import { median, measure } from './stats.js';

const TINY: SecaggPlan = {
  trainer: { lengths: [1000], committees: [10], reps: () => ({ warmup: 0, runs: 2 }) },
  member: { counts: [3], committee: 10, length: 1000, reps: () => ({ warmup: 0, runs: 2 }) },
  server: {
    counts: [3],
    length: 1000,
    committees: [10],
    realTrainers: 3,
    accumulateReps: () => ({ warmup: 0, runs: 2 }),
    unmaskReps: { warmup: 0, runs: 2 },
  },
  serverVerify: { lengths: [1000], committees: [10], reps: () => ({ warmup: 0, runs: 2 }) },
  plaintextReps: { warmup: 0, runs: 2 },
  engines: {
    trainer: { L: 1000, m: 10, runs: 1 },
    server: { n: 3, L: 1000, m: 10, real: 3, runs: 1 },
    member: { n: 3, L: 1000, m: 10, runs: 1 },
  },
};

const EXPECTED: Record<string, readonly ('L' | 'n' | 'm' | 'bytes')[]> = {
  trainer_total: ['L', 'm', 'bytes'],
  trainer_mask: ['L', 'm'],
  trainer_shares: ['L', 'm'],
  trainer_seal: ['L', 'm'],
  trainer_sign: ['L', 'm'],
  trainer_baseline: ['L', 'm', 'bytes'],
  trainer_expand: ['L'],
  trainer_total_ring_cached: ['L', 'm', 'bytes'],
  descriptor_digest: ['L', 'bytes'],
  plaintext_copy: ['L', 'bytes'],
  member: ['L', 'n', 'm', 'bytes'],
  member_cold: ['L', 'n', 'm', 'bytes'],
  member_baseline: ['L', 'n', 'm', 'bytes'],
  server_verify: ['L', 'm', 'bytes'],
  server_verify_answer: ['m', 'bytes'],
  robust_decode: ['L', 'n', 'm'],
  server_accumulate: ['L', 'n', 'm'],
  server_receive_unmask: ['L', 'n', 'm'],
  server_unmask: ['L', 'n', 'm'],
  server_digest: ['L', 'n', 'm'],
  plaintext_sum: ['L', 'n', 'bytes'],
  engine_trainer_total: ['L', 'm'],
  engine_server_unmask: ['L', 'n', 'm'],
  engine_member: ['L', 'n', 'm'],
};

describe('bench: secagg section (tiny plan)', () => {
  it('returns every record with its parameters and positive finite times', async () => {
    const res = await runSecaggBench(TINY);
    const byName = new Map<string, BenchRecord[]>();
    for (const r of res.records) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    expect([...byName.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());

    for (const r of res.records) {
      expect(typeof r.median_ms).toBe('number');
      expect(Number.isFinite(r.median_ms)).toBe(true);
      expect(r.median_ms).toBeGreaterThan(0);
      for (const field of EXPECTED[r.name] ?? []) {
        const v = r[field];
        expect(typeof v, `${r.name}.${field}`).toBe('number');
        expect(Number.isSafeInteger(v) && (v as number) > 0, `${r.name}.${field} = ${String(v)}`).toBe(true);
      }
      // A JSON line round-trips.
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }

    const total = (byName.get('trainer_total') ?? [])[0] as BenchRecord;
    expect(total).toMatchObject({ L: 1000, m: 10 });
    // 2·⌈26·L/8⌉ packed residue bytes + 32-byte key + 10 sealed slices of (2·⌈2048/3⌉·4 + 16) bytes.
    expect(total.bytes).toBe(2 * 3250 + 32 + 10 * (2 * Math.ceil(2048 / 3) * 4 + 16));
    // Certified federations (issue 13): the new costs and their same-run baselines.
    const positive = (r: BenchRecord, fields: readonly string[]): void => {
      for (const f of fields) {
        const v = r[f];
        expect(typeof v === 'number' && Number.isFinite(v) && v > 0, `${r.name}.${f} = ${String(v)}`).toBe(true);
      }
    };
    positive(total, ['build_ms', 'sign_ms', 'baseline_ms', 'vs_trainer_baseline', 'paired_ratio']);
    const base = (byName.get('trainer_baseline') ?? [])[0] as BenchRecord;
    expect(total.baseline_ms).toBe(base.median_ms);
    expect(base.bytes).toBe(total.bytes);
    positive((byName.get('trainer_sign') ?? [])[0] as BenchRecord, ['statement_bytes']);
    const member = (byName.get('member') ?? [])[0] as BenchRecord;
    const cold = (byName.get('member_cold') ?? [])[0] as BenchRecord;
    const memberBase = (byName.get('member_baseline') ?? [])[0] as BenchRecord;
    for (const r of [member, cold]) {
      expect(r).toMatchObject({ L: 1000, n: 3, m: 10, baseline_ms: memberBase.median_ms });
      positive(r, ['verify_ms', 'answer_ms', 'sign_ms', 'vs_member_baseline', 'paired_ratio']);
    }
    expect(member.cache).toBe('warm');
    expect(cold.cache).toBe('cold');
    expect(member.job_wire_bytes as number).toBeGreaterThan(member.unsigned_job_wire_bytes as number);
    const sv = (byName.get('server_verify') ?? [])[0] as BenchRecord;
    expect(sv).toMatchObject({ L: 1000, m: 10, bytes: total.bytes });
    positive(sv, ['masked_digest_ms']);
    // 2·⌈2048/3⌉ residues of 4 bytes
    expect((byName.get('server_verify_answer') ?? [])[0]).toMatchObject({ m: 10, bytes: 2 * 683 * 4 });
    const robust = (byName.get('robust_decode') ?? [])[0] as BenchRecord;
    // m = 10, t_rec = 7: one wrong answer among t_rec + 2 = 9
    expect(robust).toMatchObject({ L: 1000, n: 3, m: 10, answers: 9, wrong: 1 });
    positive(robust, ['plain_ms', 'checked_ms', 'robust_ratio', 'checked_ratio']);

    const unmask = (byName.get('server_unmask') ?? [])[0] as BenchRecord;
    expect(unmask).toMatchObject({ L: 1000, n: 3, m: 10 });
    expect(unmask.median_ms).toBeCloseTo((unmask.accumulate_ms as number) + (unmask.receive_unmask_ms as number), 9);

    // issue 17: each engine row once per engine, the wasm row with its same-run ratio to the reference
    for (const name of ['engine_trainer_total', 'engine_server_unmask', 'engine_member']) {
      const rs = byName.get(name) ?? [];
      expect(rs.map((r) => r.engine).sort(), name).toEqual(['ts', 'wasm']);
      const w = rs.find((r) => r.engine === 'wasm') as BenchRecord;
      const t = rs.find((r) => r.engine === 'ts') as BenchRecord;
      expect(w.vs_ts as number).toBeCloseTo(w.median_ms / t.median_ms, 9);
    }

    expect(res.targets ?? []).toEqual([]); // no L = 10^6 or n = 1,000 in this plan
    expect(textTable(res.records).split('\n')).toHaveLength(res.records.length + 2);
    expect(markdownTable(res.records).split('\n')).toHaveLength(res.records.length + 2);
    const md = markdownReport({
      machine: {
        cpu: 'test',
        cores: 1,
        node: process.version,
        platform: 'test',
        memoryGiB: 1,
        date: 'now',
        backends: { aes: 'noble', x25519: 'noble' },
        uvThreadpool: '4',
      },
      sections: [{ id: 'secagg', title: 'Secure aggregation', wall_s: 1, ...res }],
      quick: true,
      wall_s: 1,
      command: 'test',
      mlResults: '# ML\n\n## Sub\n\n```\n# not a heading\n```\n',
    });
    expect(md).toContain('## Model quality (from `npm run report:ml`)');
    expect(md).toContain('### ML');
    expect(md).toContain('#### Sub');
    expect(md).toContain('\n# not a heading\n');
  });

  it('stats: median and measure', async () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    let calls = 0;
    const m = await measure({ warmup: 2, runs: 3, run: () => ++calls });
    expect(calls).toBe(5);
    expect(m.results).toEqual([3, 4, 5]);
    expect(m.samples).toHaveLength(3);
    expect(m.runs).toBe(3);
  });
});

describe('bench: rounds section (tiny plan, real server process and sockets)', () => {
  it('returns secure_round, plaintext_round, round_bytes_per_trainer and server_peak_rss with their fields', async () => {
    const plan: RoundsPlan = {
      sizes: [{ n: 6, committee: { m: 3, tRec: 3, rho: 2 }, warmup: 1, runs: 2 }],
      memory: { trainers: 4, committee: { m: 3, tRec: 3, rho: 2 }, rounds: 1 },
      target: { n: 6, ratio: 1.3 },
    };
    const res = await runRoundsBench(plan);
    expect(res.records.map((r) => r.name)).toEqual([
      'plaintext_round',
      'secure_round',
      'round_bytes_per_trainer',
      'round_critical_path',
      'round_critical_path',
      'server_peak_rss',
    ]);
    const [plain, secure, bytes, critical, criticalPlain, rss] = res.records as [
      BenchRecord,
      BenchRecord,
      BenchRecord,
      BenchRecord,
      BenchRecord,
      BenchRecord,
    ];
    // the critical path: each party's own work, added along the round (bench/critical.ts)
    expect(critical).toMatchObject({ mode: 'secure', n: 6, trainers: 3, L: secure.L });
    expect(criticalPlain).toMatchObject({ mode: 'plaintext', n: 6, trainers: 3, insecure: true });
    const parts = ['trainer_ms', 'server_collect_ms', 'member_ms', 'server_unmask_ms'].map(
      (k) => critical[k] as number,
    );
    for (const p of parts) expect(Number.isFinite(p) && p >= 0).toBe(true);
    expect(critical.median_ms).toBeCloseTo(
      parts.reduce((a, b) => a + b, 0),
      6,
    );
    expect(criticalPlain.median_ms).toBeCloseTo(
      (criticalPlain.trainer_ms as number) + (criticalPlain.server_ms as number),
      6,
    );
    expect(critical.vs_plaintext).toBeCloseTo(critical.median_ms / criticalPlain.median_ms, 9);
    for (const r of [plain, secure, bytes, rss]) {
      expect(Number.isFinite(r.median_ms) && r.median_ms > 0, `${r.name}.median_ms = ${r.median_ms}`).toBe(true);
      expect(Number.isSafeInteger(r.bytes) && (r.bytes as number) > 0, `${r.name}.bytes = ${String(r.bytes)}`).toBe(
        true,
      );
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
    expect(plain).toMatchObject({ n: 6, trainers: 3, runs: 2, insecure: true });
    expect(secure).toMatchObject({ n: 6, m: 3, trainers: 3, runs: 2, tRec: 3, rho: 2 });
    expect(secure.L).toBe(plain.L);
    const L = plain.L as number;
    // a plaintext upload is the int32 vector plus a small msgpack envelope
    expect(plain.bytes).toBeGreaterThan(4 * L);
    expect(plain.bytes).toBeLessThan(4 * L + 100);
    // a secure upload: two packed residue vectors (26 bits each, §4.1), the ephemeral key and 3
    // sealed slices (ρ = 2)
    expect(secure.bytes).toBeGreaterThan(2 * Math.ceil((26 * L) / 8) + 32 + 3 * (2 * 1024 * 4 + 16));
    expect(secure.vs_plaintext_round).toBeCloseTo(secure.median_ms / plain.median_ms, 9);
    expect(bytes).toMatchObject({ n: 6, m: 3, bytes: secure.bytes, plaintext_bytes: plain.bytes });
    expect(rss).toMatchObject({ name: 'server_peak_rss', n: 4, m: 3, runs: 1 });
    expect(rss.bytes).toBeGreaterThanOrEqual(rss.sampled_peak_bytes as number);
    expect(res.targets).toHaveLength(1);
    expect(res.targets?.[0]?.limit_ms).toBeCloseTo(1.3 * plain.median_ms, 9);
    expect(res.notes).toContain('INSECURE');
    expect(textTable(res.records).split('\n')).toHaveLength(res.records.length + 2);
  });

  it('the synthetic trainer is deterministic and small', async () => {
    const input = { round: 3, weights: new Float32Array(50) };
    const a = await new SyntheticTrainer(7).train(input);
    const b = await new SyntheticTrainer(7).train(input);
    const c = await new SyntheticTrainer(8).train(input);
    expect(a.delta).toEqual(b.delta);
    expect(a.delta).not.toEqual(c.delta);
    expect(Math.max(...Array.from(a.delta, Math.abs))).toBeLessThanOrEqual(0.01);
    expect(a.numSamples).toBe(100);
  });
});
