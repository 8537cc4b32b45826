import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { N, PLANS, negacyclicSchoolbook } from './ntt.js';
import { mulMod, powMod } from './field.js';

function product(plan: (typeof PLANS)[number], a: Int32Array, b: Int32Array): Int32Array {
  const A = a.slice();
  const B = b.slice();
  plan.forward(A);
  plan.forward(B);
  const C = new Int32Array(N);
  plan.pointwise(A, B, C);
  plan.inverse(C);
  return C;
}

describe('negacyclic NTT', () => {
  it('ψ is a primitive 2N-th root of unity', () => {
    for (const p of PLANS) {
      expect(powMod(p.psi, N, p.q)).toBe(p.q - 1);
      expect(mulMod(N, p.nInv, p.q)).toBe(1);
    }
  });

  it('inverse ∘ forward is the identity', () => {
    for (const p of PLANS) {
      const a = Int32Array.from({ length: N }, (_, i) => (i * 7919 + 13) % p.q);
      const A = a.slice();
      p.forward(A);
      expect(A).not.toEqual(a);
      p.inverse(A);
      expect(A).toEqual(a);
    }
  });

  it('products equal schoolbook products on edge inputs (all q−1, X^{N−1}·X)', () => {
    for (const p of PLANS) {
      const full = new Int32Array(N).fill(p.q - 1);
      expect(product(p, full, full)).toEqual(negacyclicSchoolbook(full, full, p.q));
      const x1 = new Int32Array(N);
      x1[1] = 1;
      const xl = new Int32Array(N);
      xl[N - 1] = 1;
      const c = product(p, x1, xl); // X·X^{N−1} = X^N = −1
      expect(c[0]).toBe(p.q - 1);
      expect(c.slice(1).every((v) => v === 0)).toBe(true);
    }
  });

  it('products equal schoolbook products on random inputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 2 ** 31 }), (k, seed) => {
        const p = PLANS[k as 0 | 1];
        let s = seed;
        const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s % p.q);
        const a = Int32Array.from({ length: N }, next);
        const b = Int32Array.from({ length: N }, next);
        expect(product(p, a, b)).toEqual(negacyclicSchoolbook(a, b, p.q));
      }),
      { numRuns: 6 },
    );
  });
});
