import { describe, expect, it } from 'vitest';
import {
  explicitCommittee,
  hypergeometricTails,
  isSubsetSafe,
  requireSubsetSafe,
  sizeCommittee,
  subsetSafeAlternative,
  tailBound,
} from './committee.js';
import { ParameterError, SubsetSafetyError } from './errors.js';

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

  it('sizes against the volunteer pool, every corrupt participant assumed to volunteer', () => {
    // 100 volunteers of 1000 participants: K_c = ⌈0.05·1000⌉ = 50 corrupt, all among the 100.
    const fromPool = sizeCommittee({ n: 1000, pool: 100, m: 100 });
    // m = V: the committee is every volunteer, so c_max is exactly the 50 corrupt ones and
    // d_max the ⌈0.1·100⌉ = 10 dropping ones.
    expect(fromPool).toEqual({ m: 100, tRec: 90, rho: 40, cMax: 50, dMax: 10, subsetSafe: true });
    // The old sizing (population n, 50 corrupt of 1000) under-counts the corrupt members.
    const fromN = sizeCommittee({ n: 1000, m: 100 });
    expect(fromN).toEqual({ m: 100, tRec: 66, rho: 42, cMax: 24, dMax: 34, subsetSafe: true });

    // A proper sample: 128 of 500 volunteers, 50 of them corrupt and ⌈0.1·500⌉ = 50 dropping.
    const s = sizeCommittee({ n: 1000, pool: 500, m: 128 });
    expect(s).toEqual({ m: 128, tRec: 93, rho: 58, cMax: 35, dMax: 35, subsetSafe: true });
    const t = hypergeometricTails(500, 50, 128);
    expect(t[35]).toBeLessThanOrEqual(2 ** -40);
    expect(t[34]).toBeGreaterThan(2 ** -40);
    expect(sizeCommittee({ n: 1000, m: 128 }).cMax).toBe(26); // from n: fewer corrupt members assumed

    // Where the two differ in subset safety: 20 volunteers of 100 participants.
    expect(sizeCommittee({ n: 100, m: 20 })).toMatchObject({ cMax: 5, dMax: 10, tRec: 10, subsetSafe: false });
    expect(sizeCommittee({ n: 100, pool: 20, m: 20 })).toMatchObject({ cMax: 5, dMax: 2, tRec: 18, subsetSafe: true });
    // More corrupt participants than volunteers: all of them may be corrupt, no committee.
    expect(() => sizeCommittee({ n: 10_000, pool: 400, m: 128 })).toThrow(/400 volunteers of 10000 participants/);
    // Without a pool the sizing is the old one (the known-answer vectors are unchanged).
    expect(sizeCommittee({ n: 10_000, m: 128 })).toEqual(sizeCommittee({ n: 10_000, pool: 10_000, m: 128 }));
    expect(() => sizeCommittee({ n: 100, pool: 101 })).toThrow(ParameterError);
    expect(() => sizeCommittee({ n: 100, pool: 1 })).toThrow(ParameterError);
    expect(() => sizeCommittee({ n: 100, pool: 20, m: 21 })).toThrow(ParameterError);
  });

  it('reproduces the examples of docs/protocol.md §15', () => {
    const rows: [number, number, string][] = [
      [100, 100, '100,90,85 c5 d10 safe'],
      [100, 20, '20,18,13 c5 d2 safe'],
      [1000, 1000, '128,89,63 c26 d39 safe'],
      [1000, 500, '128,93,58 c35 d35 safe'],
      [1000, 100, '100,90,40 c50 d10 safe'],
      [10_000, 10_000, '128,86,57 c29 d42 safe'],
      [10_000, 2000, '128,88,20 c68 d40 unsafe'],
      [11, 4, '4,3,2 c1 d1 safe'],
      [6, 3, '3,2,1 c1 d1 unsafe'],
    ];
    for (const [n, pool, want] of rows) {
      const s = sizeCommittee({ n, pool });
      expect(
        `${s.m},${s.tRec},${s.rho} c${s.cMax} d${s.dMax} ${s.subsetSafe ? 'safe' : 'unsafe'}`,
        `n=${n} V=${pool}`,
      ).toBe(want);
    }
    expect(() => sizeCommittee({ n: 10_000, pool: 1000 })).toThrow(/c_max=100, d_max=39, t_rec=89/);
  });

  it('subset safety: the inequality, a safe scheme with the same tolerance, and the refusal with numbers', () => {
    expect(isSubsetSafe({ m: 3, tRec: 2, rho: 1 })).toBe(false); // 4 > 4 fails
    expect(isSubsetSafe({ m: 5, tRec: 3, rho: 1 })).toBe(false); // 6 > 7 fails
    expect(isSubsetSafe({ m: 4, tRec: 3, rho: 2 })).toBe(true); // 6 > 5
    expect(isSubsetSafe({ m: 5, tRec: 4, rho: 2 })).toBe(true); // 8 > 7
    expect(isSubsetSafe({ m: 3, tRec: 3, rho: 1 })).toBe(true); // 6 > 5
    const unsafe = explicitCommittee({ m: 3, tRec: 2, rho: 1 });
    expect(subsetSafeAlternative(unsafe)).toEqual({ m: 4, tRec: 3, rho: 2 });
    expect(subsetSafeAlternative(explicitCommittee({ m: 5, tRec: 3, rho: 1 }))).toEqual({ m: 7, tRec: 5, rho: 3 });
    for (let m = 2; m <= 12; m++)
      for (let tRec = 2; tRec <= m; tRec++)
        for (let rho = 1; rho < tRec; rho++) {
          const s = explicitCommittee({ m, tRec, rho });
          const alt = explicitCommittee(subsetSafeAlternative(s));
          expect(alt).toMatchObject({ cMax: s.cMax, dMax: s.dMax, subsetSafe: true });
          if (s.subsetSafe) expect(() => requireSubsetSafe(s)).not.toThrow();
          else expect(alt.m).toBeGreaterThan(m); // no safe scheme has the same tolerance with m members
        }
    let err: unknown;
    try {
      requireSubsetSafe(unsafe);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SubsetSafetyError);
    expect((err as SubsetSafetyError).code).toBe('NOT_SUBSET_SAFE');
    expect((err as SubsetSafetyError).message).toBe(
      'committee 3,2,1 is not subset-safe: 2·t_rec = 4 must exceed m + c_max = 4; the same tolerance (d_max = 1 silent, c_max = 1 corrupt members) needs e.g. 4,3,2',
    );
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
