import { describe, expect, it } from 'vitest';
import { explicitCommittee, hypergeometricTails, sizeCommittee, tailBound } from './committee.js';
import { ParameterError } from './errors.js';

describe('committee sizing', () => {
  it('hypergeometric tails are a proper distribution', () => {
    const t = hypergeometricTails(50, 10, 12);
    expect(t[12]).toBe(0);
    // P(X > −1) = 1 is P(X ≥ 0): tails[0] + P(X = 0).
    const p0 = Math.exp(lnC(40, 12) - lnC(50, 12));
    expect((t[0] as number) + p0).toBeCloseTo(1, 12);
    for (let c = 1; c <= 12; c++) expect(t[c] as number).toBeLessThanOrEqual(t[c - 1] as number);
  });

  it('with the whole population in the committee the bound is the marked count', () => {
    expect(tailBound(20, 3, 20, 40)).toBe(3);
  });

  it('sizes the default committee of 128 at 2^-40', () => {
    const s = sizeCommittee({ n: 10_000, m: 128 });
    expect(s.m).toBe(128);
    expect(s.tRec).toBe(128 - s.dMax);
    expect(s.rho).toBe(s.tRec - s.cMax);
    expect(s.rho).toBeGreaterThanOrEqual(1);
    // Expected counts 6.4 corrupt and 12.8 dropping: the 2^-40 bounds sit well above.
    expect(s.cMax).toBeGreaterThan(12);
    expect(s.dMax).toBeGreaterThan(s.cMax);
    expect(s.subsetSafe).toBe(true);
    // The tails really are below 2^-40 and one less is not.
    const t = hypergeometricTails(10_000, 500, 128);
    expect(t[s.cMax]).toBeLessThanOrEqual(2 ** -40);
    expect(t[s.cMax - 1]).toBeGreaterThan(2 ** -40);
  });

  it('refuses a committee too small for the assumed fractions', () => {
    expect(() => sizeCommittee({ n: 1000, m: 8 })).toThrow(ParameterError);
    expect(() => sizeCommittee({ n: 10, m: 11 })).toThrow(ParameterError);
    expect(() => sizeCommittee({ n: 1000, corruptFraction: 1.5 })).toThrow(ParameterError);
  });

  it('validates explicit small settings and reports subset safety', () => {
    const s = explicitCommittee({ m: 5, tRec: 3, rho: 1 });
    expect(s).toEqual({ m: 5, tRec: 3, rho: 1, cMax: 2, dMax: 2, subsetSafe: false });
    expect(explicitCommittee({ m: 5, tRec: 4, rho: 2 }).subsetSafe).toBe(true);
    expect(() => explicitCommittee({ m: 5, tRec: 6, rho: 1 })).toThrow(ParameterError);
    expect(() => explicitCommittee({ m: 5, tRec: 3, rho: 3 })).toThrow(ParameterError);
  });
});

function lnC(n: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(n - i) - Math.log(i + 1);
  return s;
}
