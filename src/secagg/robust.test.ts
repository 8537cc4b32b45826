import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InconsistentSharesError, ThresholdError } from './errors.js';
import { PRIMES } from './field.js';
import { N } from './ntt.js';
import { lcg, randomResidues } from '../../test/support/secagg.js';
import { correctable, locateErrors, robustReconstruct } from './robust.js';
import { type IndexedShare, randomnessLength, share } from './shamir.js';

/** A scheme with room for errors: n answers of m, e ≤ ⌊(n − t)/2⌋ of them wrong. */
const setting = fc
  .record({ m: fc.integer({ min: 3, max: 16 }), seed: fc.integer({ min: 1, max: 2 ** 31 }) })
  .chain(({ m, seed }) =>
    fc.integer({ min: 2, max: m }).chain((tRec) =>
      fc.record({
        m: fc.constant(m),
        tRec: fc.constant(tRec),
        rho: fc.integer({ min: 1, max: tRec - 1 }),
        n: fc.integer({ min: tRec, max: m }),
        seed: fc.constant(seed),
      }),
    ),
  );

function dealt(m: number, tRec: number, rho: number, seed: number) {
  const next = lcg(seed);
  const secret = randomResidues(N, next);
  const slices = share(secret, randomResidues(randomnessLength({ m, tRec, rho }), next), { m, tRec, rho });
  return { secret, slices, next };
}

describe('robust unmasking (Reed–Solomon decoding of the answers)', () => {
  it('corrects up to ⌊(n − t_rec)/2⌋ wrong answers and names exactly those members', () => {
    fc.assert(
      fc.property(setting, fc.integer({ min: 0, max: 100 }), ({ m, tRec, rho, n, seed }, wrongPick) => {
        const { secret, slices, next } = dealt(m, tRec, rho, seed);
        const members = Array.from({ length: m }, (_, j) => j + 1)
          .sort(() => (next() & 1 ? 1 : -1))
          .slice(0, n);
        const e = correctable(n, tRec) === 0 ? 0 : wrongPick % (correctable(n, tRec) + 1);
        const wrong = new Set(members.slice(0, e));
        const shares: IndexedShare[] = members.map((index) => {
          const values = Uint32Array.from(slices[index - 1] as Uint32Array);
          if (wrong.has(index)) {
            // One perturbed residue is enough to corrupt every coordinate of an unchecked sum.
            const pos = next() % values.length;
            const q = PRIMES[pos < values.length / 2 ? 0 : 1];
            values[pos] = ((values[pos] as number) + 1 + (next() % (q - 1))) % q;
          }
          return { index, values };
        });
        const r = robustReconstruct(shares, { m, tRec, rho });
        expect(r.faulty).toEqual([...wrong].sort((a, b) => a - b));
        expect(r.secrets[0]).toEqual(secret[0]);
        expect(r.secrets[1]).toEqual(secret[1]);
        expect(r.used.length).toBe(n - e);
      }),
      { numRuns: 60 },
    );
  });

  it('detects one wrong answer among t_rec + 1 (nothing to correct with)', () => {
    const { slices } = dealt(5, 3, 1, 7);
    const shares = [1, 2, 4, 5].map((index) => ({ index, values: Uint32Array.from(slices[index - 1] as Uint32Array) }));
    (shares[2] as IndexedShare).values[10] = ((shares[2] as IndexedShare).values[10]! + 1) % PRIMES[0];
    expect(correctable(4, 3)).toBe(0);
    expect(() => robustReconstruct(shares, { m: 5, tRec: 3, rho: 1 })).toThrow(InconsistentSharesError);
  });

  it('with exactly t_rec answers nothing is checked, and says so', () => {
    const { secret, slices } = dealt(5, 3, 2, 9);
    const shares = [2, 3, 5].map((index) => ({ index, values: slices[index - 1] as Uint32Array }));
    const r = robustReconstruct(shares, { m: 5, tRec: 3, rho: 2 });
    expect(r.checked).toBe(false);
    expect(r.secrets[0]).toEqual(secret[0]);
    expect(() => robustReconstruct(shares.slice(0, 2), { m: 5, tRec: 3, rho: 2 })).toThrow(ThresholdError);
  });

  it('refuses when more answers are wrong than can be corrected', () => {
    const { slices, next } = dealt(9, 3, 2, 11);
    // n = 9, t = 3: corrects 3; 4 independent wrong answers are too many.
    const shares = Array.from({ length: 9 }, (_, j) => ({
      index: j + 1,
      values: Uint32Array.from(slices[j] as Uint32Array),
    }));
    for (const j of [0, 3, 5, 8])
      for (let i = 0; i < 40; i++) (shares[j] as IndexedShare).values[i] = next() % PRIMES[0];
    expect(() => robustReconstruct(shares, { m: 9, tRec: 3, rho: 2 })).toThrow(InconsistentSharesError);
  });

  it('Berlekamp–Welch finds the error positions of a known polynomial', () => {
    const q = PRIMES[1];
    const f = (x: number) => (7 + 3 * x + 11 * x * x) % q; // degree 2, t = 3
    const xs = [1, 2, 3, 4, 5, 6, 7];
    const ys = xs.map(f);
    ys[1] = (ys[1]! + 5) % q;
    ys[5] = (ys[5]! + 9) % q;
    expect(locateErrors(xs, ys, 3, 2, q)).toEqual([2, 6]);
    expect(locateErrors(xs, ys, 3, 1, q)).toBeUndefined();
  });
});
