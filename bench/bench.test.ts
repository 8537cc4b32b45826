/**
 * Smoke test of the bench's secure-aggregation section at tiny sizes: the records have the
 * public names and fields and finite positive times. No timing thresholds.
 */
import { describe, expect, it } from 'vitest';
import { type BenchRecord, markdownReport, markdownTable, textTable } from './report.js';
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
  plaintextReps: { warmup: 0, runs: 2 },
};

const EXPECTED: Record<string, readonly ('L' | 'n' | 'm' | 'bytes')[]> = {
  trainer_total: ['L', 'm', 'bytes'],
  trainer_mask: ['L', 'm'],
  trainer_shares: ['L', 'm'],
  trainer_seal: ['L', 'm'],
  trainer_expand: ['L'],
  trainer_total_ring_cached: ['L', 'm', 'bytes'],
  plaintext_copy: ['L', 'bytes'],
  member: ['L', 'n', 'm', 'bytes'],
  server_accumulate: ['L', 'n', 'm'],
  server_receive_unmask: ['L', 'n', 'm'],
  server_unmask: ['L', 'n', 'm'],
  server_digest: ['L', 'n', 'm'],
  plaintext_sum: ['L', 'n', 'bytes'],
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
    // 8·L residue bytes + 32-byte key + 10 sealed slices of (2·⌈2048/3⌉·4 + 16) bytes.
    expect(total.bytes).toBe(8 * 1000 + 32 + 10 * (2 * Math.ceil(2048 / 3) * 4 + 16));
    const unmask = (byName.get('server_unmask') ?? [])[0] as BenchRecord;
    expect(unmask).toMatchObject({ L: 1000, n: 3, m: 10 });
    expect(unmask.median_ms).toBeCloseTo((unmask.accumulate_ms as number) + (unmask.receive_unmask_ms as number), 9);

    expect(res.targets ?? []).toEqual([]); // no L = 10^6 or n = 1,000 in this plan
    expect(textTable(res.records).split('\n')).toHaveLength(res.records.length + 2);
    expect(markdownTable(res.records).split('\n')).toHaveLength(res.records.length + 2);
    const md = markdownReport({
      machine: { cpu: 'test', cores: 1, node: process.version, platform: 'test', memoryGiB: 1, date: 'now', backends: { aes: 'noble', x25519: 'noble' }, uvThreadpool: '4' },
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
