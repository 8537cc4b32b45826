import { describe, expect, it } from 'vitest';
import { BudgetError, MalformedInputError, ParameterError } from './errors.js';
import { DEFAULT_PROFILE, checkBudget } from './params.js';
import { dequantizeMean, quantize } from './quantize.js';

function words(n: number, seed = 1): Uint32Array {
  let s = seed;
  return Uint32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0));
}

describe('quantization', () => {
  const o = { bits: 16, clip: 1 };

  it('clips per coordinate and by L2 norm', () => {
    const q = quantize(Float32Array.of(5, -5, 0.5), 1, o, words(4));
    expect(q[0]).toBe(32767);
    expect(q[1]).toBe(-32767);
    expect(Math.abs((q[2] as number) - 16383.5)).toBeLessThanOrEqual(0.5);
    expect(q[3]).toBe(32767); // weight coordinate, w = 1
    const l2 = quantize(Float32Array.of(3, 4), 1, { bits: 16, clip: 10, l2Clip: 1 }, words(3));
    // (3,4) scaled to norm 1 → (0.6, 0.8); S = 32767/10.
    expect(Math.abs((l2[0] as number) - 0.6 * 3276.7)).toBeLessThanOrEqual(1);
    expect(Math.abs((l2[1] as number) - 0.8 * 3276.7)).toBeLessThanOrEqual(1);
  });

  it('stochastic rounding is unbiased', () => {
    const L = 20000;
    const u = new Float32Array(L).fill(0.3 / 32767); // v = 0.3 exactly between 0 and 1
    const q = quantize(u, 1, o, words(L + 1, 99));
    const mean = q.subarray(0, L).reduce((a, b) => a + b, 0) / L;
    expect(mean).toBeGreaterThan(0.28);
    expect(mean).toBeLessThan(0.32);
    expect(q.subarray(0, L).every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('weighted mean round-trips through integer sums', () => {
    const a = Float32Array.of(0.5, -0.25, 0.125);
    const b = Float32Array.of(-0.5, 0.75, 0.375);
    const qa = quantize(a, 1, o, words(4, 1));
    const qb = quantize(b, 0.5, o, words(4, 2));
    const sum = Array.from(qa, (v, i) => v + (qb[i] as number));
    const { mean, weightSum } = dequantizeMean(sum, o);
    expect(weightSum).toBeCloseTo(1.5, 3);
    [0, 1, 2].forEach((i) => expect(mean[i]).toBeCloseTo(((a[i] as number) + 0.5 * (b[i] as number)) / 1.5, 3));
  });

  it('refuses bad input', () => {
    expect(() => quantize(Float32Array.of(NaN), 1, o, words(2))).toThrow(MalformedInputError);
    expect(() => quantize(Float32Array.of(1), 2, o, words(2))).toThrow(MalformedInputError);
    expect(() => quantize(Float32Array.of(1), 1, o, words(1))).toThrow(MalformedInputError);
    expect(() => quantize(Float32Array.of(1), 1, { bits: 1, clip: 1 }, words(2))).toThrow(ParameterError);
    expect(() => quantize(Float32Array.of(1), 1, { bits: 16, clip: 0 }, words(2))).toThrow(ParameterError);
    expect(() => dequantizeMean([1, 0], o)).toThrow(MalformedInputError);
  });

  it('checks the budget of the profile', () => {
    expect(() => checkBudget(DEFAULT_PROFILE)).not.toThrow();
    expect(() => checkBudget({ ...DEFAULT_PROFILE, bits: 20 })).toThrow(BudgetError);
    expect(() => checkBudget({ ...DEFAULT_PROFILE, nMax: 20_000 })).toThrow(BudgetError); // 2·n·η > Δ
    expect(() => checkBudget({ ...DEFAULT_PROFILE, delta: 3 })).toThrow(ParameterError);
  });
});
