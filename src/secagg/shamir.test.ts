import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InconsistentSharesError, MalformedInputError, ParameterError, ThresholdError } from './errors.js';
import { PRIMES } from './field.js';
import { N } from './ntt.js';
import { lcg, randomResidues } from '../../test/support/secagg.js';
import { type SharingScheme, lagrangeMatrix, randomnessLength, reconstruct, share, validateScheme } from './shamir.js';

const scheme = fc
  .integer({ min: 3, max: 20 })
  .chain((m) =>
    fc
      .integer({ min: 2, max: m })
      .chain((tRec) =>
        fc.record({ m: fc.constant(m), tRec: fc.constant(tRec), rho: fc.integer({ min: 1, max: tRec - 1 }) }),
      ),
  );

describe('packed Shamir', () => {
  it('validates settings', () => {
    expect(() => validateScheme({ m: 5, tRec: 6, rho: 1 })).toThrow(ParameterError);
    expect(() => validateScheme({ m: 5, tRec: 3, rho: 3 })).toThrow(ParameterError);
    expect(() => validateScheme({ m: 5, tRec: 3, rho: 0 })).toThrow(ParameterError);
    expect(() => validateScheme({ m: 5, tRec: 3.5, rho: 1 })).toThrow(ParameterError);
    expect(() => validateScheme({ m: 5, tRec: 3, rho: 2 })).not.toThrow();
  });

  it('Lagrange basis interpolates a known polynomial', () => {
    const q = PRIMES[0];
    // f(x) = 3 + 5x + 7x² at nodes 1, 2, 3 → f(−1) = 5, f(0) = 3.
    const f = (x: number) => (((3 + 5 * x + 7 * x * x) % q) + q) % q;
    const M = lagrangeMatrix([1, 2, 3], [-1, 0], q);
    const at = (row: number) =>
      [1, 2, 3].reduce(
        (acc, x, j) => (acc + Number((BigInt(M[row * 3 + j] as number) * BigInt(f(x))) % BigInt(q))) % q,
        0,
      );
    expect(at(0)).toBe(f(-1));
    expect(at(1)).toBe(3);
    expect(() => lagrangeMatrix([1, 2], [2], q)).toThrow(MalformedInputError);
  });

  it('any t_rec of the shares reconstruct the secrets; fewer throw', () => {
    fc.assert(
      fc.property(scheme, fc.integer({ min: 1 }), fc.integer({ min: 0 }), (s: SharingScheme, seed, pick) => {
        const next = lcg(seed);
        const secret = randomResidues(N, next);
        const slices = share(secret, randomResidues(randomnessLength(s), next), s);
        expect(slices).toHaveLength(s.m);
        // a random t_rec-subset of the members, in random order
        const order = Array.from({ length: s.m }, (_, j) => j + 1).sort(
          (a, b) => ((a * 2654435761 + pick) % 97) - ((b * 2654435761 + pick) % 97),
        );
        const chosen = order.slice(0, s.tRec).map((index) => ({ index, values: slices[index - 1] as Uint32Array }));
        const out = reconstruct(chosen, s);
        expect(out[0]).toEqual(secret[0]);
        expect(out[1]).toEqual(secret[1]);
        expect(() => reconstruct(chosen.slice(1), s)).toThrow(ThresholdError);
      }),
      { numRuns: 30 },
    );
  });

  it('shares are linear: sums of shares reconstruct the sum of secrets', () => {
    const s = { m: 7, tRec: 5, rho: 2 };
    const next = lcg(42);
    const a = randomResidues(N, next);
    const b = randomResidues(N, next);
    const sa = share(a, randomResidues(randomnessLength(s), next), s);
    const sb = share(b, randomResidues(randomnessLength(s), next), s);
    const summed = [2, 3, 5, 6, 7].map((index) => {
      const v = (sa[index - 1] as Uint32Array).slice();
      const w = sb[index - 1] as Uint32Array;
      const P = v.length / 2;
      for (let i = 0; i < v.length; i++)
        v[i] = ((v[i] as number) + (w[i] as number)) % (PRIMES[i < P ? 0 : 1] as number);
      return { index, values: v };
    });
    const out = reconstruct(summed, s);
    for (const k of [0, 1] as const)
      for (let i = 0; i < N; i++) expect(out[k][i]).toBe(((a[k][i] as number) + (b[k][i] as number)) % PRIMES[k]);
  });

  it('detects a garbage answer among more than t_rec', () => {
    const s = { m: 6, tRec: 4, rho: 3 };
    const next = lcg(7);
    const slices = share(randomResidues(N, next), randomResidues(randomnessLength(s), next), s);
    const shares = slices.map((values, j) => ({ index: j + 1, values: values.slice() }));
    const v = (shares[5] as { values: Uint32Array }).values;
    v[3] = (v[3] as number) ^ 1;
    expect(() => reconstruct(shares, s)).toThrow(InconsistentSharesError);
    expect(() => reconstruct(shares.slice(0, 5), s)).not.toThrow();
  });

  it('refuses malformed shares', () => {
    const s = { m: 4, tRec: 3, rho: 1 };
    const next = lcg(9);
    const slices = share(randomResidues(N, next), randomResidues(randomnessLength(s), next), s);
    const ok = slices.slice(0, 3).map((values, j) => ({ index: j + 1, values }));
    expect(() => reconstruct([...ok.slice(0, 2), { index: 1, values: slices[2] as Uint32Array }], s)).toThrow(
      MalformedInputError,
    );
    expect(() => reconstruct([...ok.slice(0, 2), { index: 9, values: slices[2] as Uint32Array }], s)).toThrow(
      MalformedInputError,
    );
    expect(() => reconstruct([...ok.slice(0, 2), { index: 3, values: new Uint32Array(5) }], s)).toThrow(
      MalformedInputError,
    );
    expect(() =>
      reconstruct(
        [...ok.slice(0, 2), { index: 3, values: new Uint32Array((slices[2] as Uint32Array).length).fill(PRIMES[0]) }],
        s,
      ),
    ).toThrow(MalformedInputError);
  });
});
