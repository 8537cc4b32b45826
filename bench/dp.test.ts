/** Smoke test of the bench's DP section at a tiny size: the records have their public names and fields. */
import { describe, expect, it } from 'vitest';
import { runDpPlan } from './dp.js';

describe('bench: dp section (tiny plan)', () => {
  it('measures the DP steps against buildContribution and states the target only at L = 10^6', async () => {
    const res = await runDpPlan(
      { lengths: [1000], reps: () => ({ warmup: 0, runs: 2 }), samplerRuns: 1 },
      { quick: true, log: () => {} },
    );
    const names = res.records.map((r) => r.name);
    expect(names).toEqual(['dp_table_build', 'dp_sampler', 'dp_total', 'dp_trainer_baseline', 'dp_trainer_padded']);
    const total = res.records.find((r) => r.name === 'dp_total');
    expect(total).toMatchObject({ L: 1000, d: 1024, runs: 2 });
    for (const k of ['clip_ms', 'rotate_ms', 'round_ms', 'sample_ms', 'add_ms', 'vs_trainer', 'online_ratio'])
      expect(total?.[k]).toBeGreaterThanOrEqual(0);
    expect(res.records.find((r) => r.name === 'dp_trainer_padded')?.L).toBe(1024);
    expect(res.targets).toEqual([]);
  });
});
