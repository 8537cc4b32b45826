/**
 * `npm run dp` is a public interface: an accounting table, then one JSON line with epsilon,
 * delta, rounds, noise_multiplier, mechanism and accountant. Run the real script.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyticGaussianEpsilon } from '../src/dp/gaussian.js';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, ['scripts/dp.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function summary(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

describe('npm run dp', () => {
  it('ddg: a table of ε by round, then the JSON line', () => {
    const r = run([
      '--noise-multiplier',
      '1.5',
      '--rounds',
      '40',
      '--delta',
      '1e-6',
      '--honest',
      '50',
      '--every',
      '10',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^# ddg: d = 1048576, .*K = 50/);
    expect(lines[1]).toMatch(/^round\s+epsilon \(δ = 0\.000001\)$/);
    const rows = lines.slice(2, -1).map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows.map((r) => r[0])).toEqual([10, 20, 30, 40]);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.[1]).toBeGreaterThan(rows[i - 1]?.[1] as number);
    const s = summary(r.stdout);
    expect(Object.keys(s).sort()).toEqual([
      'accountant',
      'delta',
      'epsilon',
      'mechanism',
      'noise_multiplier',
      'rounds',
    ]);
    expect(s).toMatchObject({ delta: 1e-6, rounds: 40, noise_multiplier: 1.5, mechanism: 'ddg', accountant: 'rdp' });
    const exact = analyticGaussianEpsilon(1e-6, 1.5 / Math.sqrt(40));
    expect(s.epsilon as number).toBeGreaterThan(exact);
    expect(s.epsilon as number).toBeLessThan(1.2 * exact);
    expect((s.epsilon as number).toFixed(4)).toBe((rows.at(-1) as number[])[1]?.toFixed(4));
  });

  it('gaussian: the exact ε of the composed Gaussian', () => {
    const r = run(['--noise-multiplier', '2', '--rounds', '5', '--mechanism', 'gaussian']);
    expect(r.status, r.stderr).toBe(0);
    const s = summary(r.stdout);
    expect(s).toMatchObject({ delta: 1e-5, rounds: 5, mechanism: 'gaussian', accountant: 'analytic-gaussian' });
    expect(s.epsilon as number).toBeCloseTo(analyticGaussianEpsilon(1e-5, 2 / Math.sqrt(5)), 10);
  });

  it.each([
    [['--rounds', '3'], /--noise-multiplier is required/],
    [['--noise-multiplier', '1'], /--rounds is required/],
    [['--noise-multiplier', 'x', '--rounds', '3'], /--noise-multiplier must be a number, got 'x'/],
    [['--noise-multiplier', '0', '--rounds', '3'], /--noise-multiplier must be a positive number/],
    [['--noise-multiplier', '1', '--rounds', '2.5'], /--rounds must be an integer/],
    [['--noise-multiplier', '1', '--rounds', '3', '--delta', '1'], /--delta must be in \(0, 1\)/],
    [
      ['--noise-multiplier', '1', '--rounds', '3', '--mechanism', 'skellam'],
      /--mechanism must be one of ddg, gaussian/,
    ],
    [['--noise-multiplier', '1', '--rounds', '3', '--mechanism', 'gaussian', '--honest', '3'], /--honest only applies/],
    [['--noise-multiplier', '1', '--rounds', '3', '--frobnicate'], /Unknown option '--frobnicate'/],
  ])('usage error %j exits with 2', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('parameters the DDG bound refuses (σ_i < 1/2) exit with 1 and say why', () => {
    const r = run(['--noise-multiplier', '1', '--rounds', '3', '--granularity', '100']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the DDG bound needs σ ≥ 1\/2/);
  });
});
