/**
 * `npm run simulate` is a public interface: its last output line is one JSON object with
 * rounds_completed, rounds_failed, exact and the model checkpoint path. Run the real script.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, ['scripts/simulate.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run simulate', () => {
  it('runs rounds with dropouts and ends with the JSON summary line', () => {
    const r = run([
      '--trainers',
      '6',
      '--committee',
      '4',
      '--rounds',
      '2',
      '--drop-trainers',
      '0.34',
      '--drop-members',
      '1',
      '--rows',
      '3000',
      '--epochs',
      '1',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^round\s+status/);
    const summary = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    expect(summary.rounds_completed).toBe(2);
    expect(summary.rounds_failed).toBe(0);
    expect(summary.exact).toBe(true);
    expect(existsSync(join(summary.model as string, 'model.json'))).toBe(true);
    const table = summary.table as { survivors: number; trainers: number; answered: number }[];
    // 2 of 6 trainers crash each round (one may crash after sending and still count)
    for (const row of table) {
      expect(row.trainers).toBe(6);
      expect(row.survivors).toBeGreaterThanOrEqual(4);
      expect(row.survivors).toBeLessThanOrEqual(6);
      expect(row.answered).toBe(3);
    }
  });

  it('more silent members than the committee tolerates: rounds fail loudly', () => {
    const r = run([
      '--trainers',
      '4',
      '--committee',
      '4',
      '--threshold',
      '3',
      '--rho',
      '2',
      '--rounds',
      '1',
      '--drop-members',
      '2',
      '--rows',
      '2000',
      '--epochs',
      '1',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FAILED.*THRESHOLD_NOT_MET/);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    expect(summary.rounds_completed).toBe(0);
    expect(summary.rounds_failed).toBe(1);
    expect(summary.exact).toBe(null);
  });

  it('refuses bad flags with a usage error', () => {
    const r = run(['--trainers', 'many']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--trainers must be an integer/);
  });

  it('refuses a committee that is not subset-safe unless --insecure-demo, naming the inequality', () => {
    const r = run(['--committee', '5,3,1', '--rounds', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'committee 5,3,1 is not subset-safe: 2·t_rec = 6 must exceed m + c_max = 7; the same tolerance (d_max = 2 silent, c_max = 2 corrupt members) needs e.g. 7,5,3; or run with --insecure-demo',
    );
  });
});
