import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIMES, Q, Q1, Q2, batchInvert, centre, crt, invMod, mulMod, powMod } from './field.js';

describe('field arithmetic', () => {
  it('multiplies exactly at the edges, (q−1)·(q−1) = 1', () => {
    for (const q of PRIMES) {
      expect(mulMod(q - 1, q - 1, q)).toBe(1);
      expect(mulMod(q - 1, 1, q)).toBe(q - 1);
      expect(mulMod(q - 2, q - 1, q)).toBe(2);
      expect(mulMod(0, q - 1, q)).toBe(0);
    }
  });

  it('agrees with BigInt on random products', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PRIMES), fc.nat(), fc.nat(), (q, a0, b0) => {
        const a = a0 % q;
        const b = b0 % q;
        expect(mulMod(a, b, q)).toBe(Number((BigInt(a) * BigInt(b)) % BigInt(q)));
      }),
      { numRuns: 2000 },
    );
  });

  it('the primes are prime and 1 mod 4096', () => {
    for (const q of PRIMES) {
      expect((q - 1) % 4096).toBe(0);
      // Fermat test on a few bases plus trial division up to √q.
      for (const b of [2, 3, 5, 7]) expect(powMod(b, q - 1, q)).toBe(1);
      for (let d = 2; d * d <= q; d++) expect(q % d === 0 && d).toBe(false);
    }
    expect(Q).toBeLessThan(2 ** 53);
  });

  it('inverts, in batches too', () => {
    const vals = [1, 2, Q1 - 1, 12345, 67000000];
    const inv = batchInvert(vals, Q1);
    vals.forEach((v, i) => {
      expect(mulMod(v, inv[i] as number, Q1)).toBe(1);
      expect(inv[i]).toBe(invMod(v, Q1));
    });
    expect(() => batchInvert([3, 0], Q1)).toThrow(RangeError);
  });

  it('CRT and centring reproduce signed integers exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(Q - 1) / 2, max: (Q - 1) / 2 }), (x) => {
        const r1 = ((x % Q1) + Q1) % Q1;
        const r2 = ((x % Q2) + Q2) % Q2;
        expect(centre(crt(r1, r2))).toBe(x);
      }),
      { numRuns: 2000 },
    );
    expect(centre(crt(Q1 - 1, Q2 - 1))).toBe(-1);
    expect(centre((Q - 1) / 2)).toBe((Q - 1) / 2);
    expect(centre((Q + 1) / 2)).toBe(-(Q - 1) / 2);
  });
});
