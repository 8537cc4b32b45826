/**
 * `npm run report:dp` is a public interface: a table, then one JSON line with rounds, delta and a
 * row per (data, trainers, ε) with the noise multiplier, the clipping norm and the test metrics.
 * Run the real script on a tiny grid (synthetic data only: the real sample may be absent).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

describe('npm run report:dp', () => {
  it('runs the baseline and a DP federation and ends with the JSON line', () => {
    const r = spawnSync(
      TSX,
      [
        'scripts/ml/report-dp.ts',
        '--trainers',
        '0',
        '--synthetic-trainers',
        '4',
        '--synthetic-rows',
        '2000',
        '--epsilons',
        '8',
        '--rounds',
        '2',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {
      rounds: number;
      delta: number;
      rows: {
        data: string;
        trainers: number;
        epsilon: number | null;
        noise_multiplier: number | null;
        clip: number;
        auc_pr: number;
      }[];
    };
    expect(out.rounds).toBe(2);
    expect(out.delta).toBe(1e-5);
    expect(out.rows.map((x) => [x.data, x.trainers, x.epsilon])).toEqual([
      ['synthetic', 4, null],
      ['synthetic', 4, 8],
    ]);
    const dp = out.rows[1]!;
    expect(dp.noise_multiplier).toBeGreaterThan(0);
    expect(dp.clip).toBeGreaterThan(0);
    for (const row of out.rows) expect(row.auc_pr).toBeGreaterThanOrEqual(0);
  }, 300_000);
});
