import { describe, expect, it } from 'vitest';
import { COL_AMOUNT, COL_TIME, countFrauds, NUM_RAW, type Dataset } from './dataset';
import { MlInputError } from './errors';
import { AMOUNT, TIME_MAX, V_FRAUD_MEAN, V_FRAUD_STD, V_STD } from './published-stats';
import { generateSynthetic } from './synthetic';

function column(d: Dataset, col: number, cls: 0 | 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < d.size; i++) if (d.labels[i] === cls) out.push(d.features[i * NUM_RAW + col] as number);
  return out;
}
const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a: number[]): number => {
  const m = mean(a);
  return Math.sqrt(mean(a.map((x) => (x - m) ** 2)));
};
const min = (a: number[]): number => a.reduce((s, x) => Math.min(s, x), Infinity);
const max = (a: number[]): number => a.reduce((s, x) => Math.max(s, x), -Infinity);
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] as number;

describe('generateSynthetic', () => {
  const big = generateSynthetic({ rows: 200_000, fraudRate: 0.05, seed: 11 });

  it('has the published default fraud rate exactly', () => {
    const d = generateSynthetic({ rows: 100_000, seed: 3 });
    expect(countFrauds(d)).toBe(172);
  });

  it('matches the published class-conditional PCA statistics', () => {
    for (const k of [4, 10, 11, 12, 14, 17]) {
      const f = column(big, k, 1);
      const l = column(big, k, 0);
      expect(mean(f)).toBeCloseTo(V_FRAUD_MEAN[k - 1] as number, 0);
      expect(std(f) / (V_FRAUD_STD[k - 1] as number)).toBeGreaterThan(0.9);
      expect(std(f) / (V_FRAUD_STD[k - 1] as number)).toBeLessThan(1.1);
      expect(Math.abs(mean(l))).toBeLessThan(0.02);
      expect(std(l) / (V_STD[k - 1] as number)).toBeCloseTo(1, 1);
    }
  });

  it('matches the published Amount shape per class', () => {
    const legit = column(big, COL_AMOUNT, 0);
    const fraud = column(big, COL_AMOUNT, 1);
    expect(Math.abs(median(legit) / AMOUNT.all.median - 1)).toBeLessThan(0.05);
    expect(Math.abs(mean(legit) / AMOUNT.all.mean - 1)).toBeLessThan(0.1);
    expect(Math.abs(median(fraud) / AMOUNT.fraud.median - 1)).toBeLessThan(0.15);
    expect(Math.abs(mean(fraud) / AMOUNT.fraud.mean - 1)).toBeLessThan(0.15);
    expect(max(fraud)).toBeLessThanOrEqual(AMOUNT.fraud.max + 0.01);
    expect(min([...legit, ...fraud])).toBeGreaterThanOrEqual(0);
  });

  it('has a day/night cycle for legitimate traffic within the two-day window', () => {
    const t = column(big, COL_TIME, 0);
    expect(min(t)).toBeGreaterThanOrEqual(0);
    expect(max(t)).toBeLessThanOrEqual(TIME_MAX);
    const hour = (x: number): number => Math.floor((x % 86400) / 3600);
    const night = t.filter((x) => hour(x) >= 2 && hour(x) < 5).length;
    const day = t.filter((x) => hour(x) >= 13 && hour(x) < 16).length;
    expect(day / night).toBeGreaterThan(5);
  });

  it('is deterministic in the seed', () => {
    const a = generateSynthetic({ rows: 2000, fraudRate: 0.1, seed: 5 });
    const b = generateSynthetic({ rows: 2000, fraudRate: 0.1, seed: 5 });
    const c = generateSynthetic({ rows: 2000, fraudRate: 0.1, seed: 6 });
    expect(a.features).toEqual(b.features);
    expect(a.labels).toEqual(b.labels);
    expect(a.features).not.toEqual(c.features);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => generateSynthetic({ rows: 0 })).toThrow(MlInputError);
    expect(() => generateSynthetic({ fraudRate: 1.5 })).toThrow(/fraudRate/);
    expect(() => generateSynthetic({ seed: 0.5 })).toThrow(MlInputError);
  });
});
