/**
 * The reference engine: the arithmetic in plain TypeScript (docs/protocol.md §6, §9–§11, §14),
 * always available, the fallback of the wasm engine and what it is tested against.
 */
import { cbdFromBytes } from './cbd.js';
import { PRIMES, mulMod } from './field.js';
import { N, PLANS } from './ntt.js';
import { packResiduesTs, unpackResiduesTs } from './packing-ts.js';
import type { Accumulator, ArithEngine } from './engine-types.js';

/** ŝ·N^{-1} mod q_k: the transform then skips its own final scaling. */
function scaledSecret(s: Uint32Array, k: 0 | 1): Int32Array {
  const plan = PLANS[k];
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) out[i] = mulMod(s[i] as number, plan.nInv, plan.q);
  return out;
}

/** For block j and prime k, INTT(â_j ⊙ ŝ') into `buf` (N values). */
function ringProduct(a: Uint32Array, k: 0 | 1, j: number, sScaled: Int32Array, buf: Int32Array): void {
  const plan = PLANS[k];
  plan.pointwise(a, sScaled, buf, j * N, 0);
  plan.inverseNoScale(buf);
}

function maskPrime(
  k: 0 | 1,
  a: Uint32Array,
  s: Uint32Array,
  xs: Int32Array,
  noise: Int8Array,
  delta: number,
  length: number,
  y: Uint32Array,
): void {
  const q = PRIMES[k];
  const qInv = 1 / q;
  const buf = new Int32Array(N);
  const sScaled = scaledSecret(s, k);
  for (let j = 0; j * N < length; j++) {
    ringProduct(a, k, j, sScaled, buf);
    const base = j * N;
    const end = Math.min(N, length - base);
    for (let i = 0; i < end; i++) {
      const c = base + i;
      // Δ·x + e is exact in a double (|Δ·x| < 2^35). Reduce with a floating quotient
      // (remainder in (−q, 2q)) and fold into [0, q) branch-free, then add the mask.
      const plain = delta * (xs[c] as number) + (noise[c] as number);
      let r = (plain - Math.floor(plain * qInv) * q) | 0;
      r += (r >> 31) & q;
      r -= q;
      r += (r >> 31) & q;
      let v = (buf[i] as number) + r - q;
      v += (v >> 31) & q;
      y[c] = v;
    }
  }
}

/** Σy per prime in doubles, unreduced: exact while count·q < 2^53 (n_max ≤ 10^7 ≪ 2^27). */
class FloatAccumulator implements Accumulator {
  private readonly sums: [Float64Array, Float64Array];
  constructor(length: number) {
    this.sums = [new Float64Array(length), new Float64Array(length)];
  }
  add(k: 0 | 1, y: Uint32Array): boolean {
    return accumulateReduced(this.sums[k], y, PRIMES[k]);
  }
  subtract(k: 0 | 1, y: Uint32Array): void {
    subtract(this.sums[k], y);
  }
  reduce(k: 0 | 1): Uint32Array {
    const sum = this.sums[k];
    const q = PRIMES[k];
    const out = new Uint32Array(sum.length);
    for (let i = 0; i < sum.length; i++) out[i] = (sum[i] as number) % q;
    return out;
  }
}

// Hot loops live in small functions of their own, which V8 optimizes well.

/** acc += y, and true if every y[i] < q; on false, acc is restored (integer sums: exact). */
function accumulateReduced(acc: Float64Array, y: Uint32Array, q: number): boolean {
  let ok = true;
  for (let i = 0; i < acc.length; i++) {
    const v = y[i] as number;
    if (v >= q) ok = false;
    acc[i] = (acc[i] as number) + v;
  }
  if (!ok) subtract(acc, y);
  return ok;
}

function subtract(acc: Float64Array, y: Uint32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) - (y[i] as number);
}

export const tsEngine: ArithEngine = {
  name: 'ts',
  nttForward: (k, a) => PLANS[k].forward(a),
  nttInverse: (k, a) => PLANS[k].inverse(a),
  pointwise: (k, a, b, out) => PLANS[k].pointwise(a, b, out),
  cbd: cbdFromBytes,

  mask(ring, s, x, noise, delta, length) {
    const out: [Uint32Array, Uint32Array] = [new Uint32Array(length), new Uint32Array(length)];
    const xs = x ?? new Int32Array(length);
    for (const k of [0, 1] as const) maskPrime(k, ring[k], s[k], xs, noise, delta, length, out[k]);
    return out;
  },

  unmask(ring, sumS, sumY, length) {
    const z: [Uint32Array, Uint32Array] = [new Uint32Array(length), new Uint32Array(length)];
    const buf = new Int32Array(N);
    for (const k of [0, 1] as const) {
      const q = PRIMES[k];
      const sScaled = scaledSecret(sumS[k], k);
      const y = sumY[k];
      const zk = z[k];
      for (let j = 0; j * N < length; j++) {
        ringProduct(ring[k], k, j, sScaled, buf);
        const base = j * N;
        const end = Math.min(N, length - base);
        for (let i = 0; i < end; i++) {
          const d = (y[base + i] as number) - (buf[i] as number);
          zk[base + i] = d < 0 ? d + q : d;
        }
      }
    }
    return z;
  },

  evalShares(k, mat, values, m, t, P) {
    const q = PRIMES[k];
    const out = new Uint32Array(m * P);
    for (let p = 0; p < P; p++) {
      const v = p * t;
      for (let j = 0; j < m; j++) {
        let acc = 0;
        const row = j * t;
        for (let i = 0; i < t; i++) acc += mulMod(mat[row + i] as number, values[v + i] as number, q);
        out[j * P + p] = acc % q;
      }
    }
    return out;
  },

  pack: packResiduesTs,
  unpack: unpackResiduesTs,
  accumulator: (length) => new FloatAccumulator(length),
};
