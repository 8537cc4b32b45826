import { describe, expect, it } from 'vitest';
import { pairedBootstrapAucPr } from './bootstrap';
import { computeMetrics } from './metrics';
import { Rng } from './rng';

function noisyScores(labels: Uint8Array, signal: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from(labels, (y) => (y * signal + rng.next()) / (1 + signal)); // in [0, 1)
}

describe('paired bootstrap of an AUC-PR difference', () => {
  const rng = new Rng(7);
  const labels = Uint8Array.from({ length: 800 }, () => (rng.next() < 0.08 ? 1 : 0));

  it('identical models: a zero difference, exactly', () => {
    const s = noisyScores(labels, 0.6, 1);
    const ci = pairedBootstrapAucPr(labels, s, s, { resamples: 200 });
    expect(ci).toMatchObject({ delta: 0, low: 0, high: 0, resamples: 200, level: 0.95 });
  });

  it('a clearly better model: the interval excludes zero and contains the measured difference', () => {
    const weak = noisyScores(labels, 0.3, 2);
    const strong = noisyScores(labels, 1.2, 3);
    const ci = pairedBootstrapAucPr(labels, weak, strong, { resamples: 300 });
    expect(ci.delta).toBeCloseTo(computeMetrics(strong, labels).auc_pr - computeMetrics(weak, labels).auc_pr, 12);
    expect(ci.low).toBeGreaterThan(0);
    expect(ci.low).toBeLessThanOrEqual(ci.delta);
    expect(ci.high).toBeGreaterThanOrEqual(ci.delta);
  });

  it('two equally good models: the interval straddles zero; deterministic under its seed', () => {
    const x = noisyScores(labels, 0.8, 4);
    const y = noisyScores(labels, 0.8, 5);
    const ci = pairedBootstrapAucPr(labels, x, y, { resamples: 300, seed: 9 });
    expect(ci.low).toBeLessThan(0);
    expect(ci.high).toBeGreaterThan(0);
    expect(pairedBootstrapAucPr(labels, x, y, { resamples: 300, seed: 9 })).toEqual(ci);
  });

  it('refuses mismatched lengths and bad options', () => {
    const s = noisyScores(labels, 0.5, 6);
    expect(() => pairedBootstrapAucPr(labels, s, s.subarray(1))).toThrow(/one entry per label/);
    expect(() => pairedBootstrapAucPr(labels, s, s, { resamples: 3 })).toThrow(/resamples/);
    expect(() => pairedBootstrapAucPr(labels, s, s, { level: 1 })).toThrow(/level/);
    expect(() => pairedBootstrapAucPr(new Uint8Array(0), [], [])).toThrow(/no rows/);
  });
});
