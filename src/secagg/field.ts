/**
 * Exact arithmetic in the 26-bit prime fields of the default profile, in float64.
 *
 * Both primes are < 2^26, so a product of two reduced residues is < 2^52 and exact in a
 * double (docs/protocol.md §6, §20). Reduction uses a floating quotient that can be off
 * by one and is corrected by one conditional add/subtract.
 */

/** q1 = 67104769 = 2^12·16383 + 1 (prime). */
export const Q1 = 67104769;
/** q2 = 67084289 = 2^13·8189 + 1 (prime). */
export const Q2 = 67084289;
export const PRIMES = [Q1, Q2] as const;
/** q = q1·q2 ≈ 4.5·10^15 < 2^53: the CRT value of the two residues is exact in a double. */
export const Q = Q1 * Q2;

/** a·b mod q for 0 ≤ a, b < q < 2^26.5. */
export function mulMod(a: number, b: number, q: number): number {
  const p = a * b;
  const r = p - Math.floor(p / q) * q;
  return r < 0 ? r + q : r >= q ? r - q : r;
}

export function subMod(a: number, b: number, q: number): number {
  const r = a - b;
  return r < 0 ? r + q : r;
}

/** Any integer (|x| < 2^53) reduced into [0, q). */
export function reduce(x: number, q: number): number {
  const r = x % q;
  return r < 0 ? r + q : r;
}

export function powMod(base: number, exp: number, q: number): number {
  let result = 1;
  let b = reduce(base, q);
  let e = exp;
  while (e > 0) {
    if (e % 2 === 1) result = mulMod(result, b, q);
    b = mulMod(b, b, q);
    e = Math.floor(e / 2);
  }
  return result;
}

/** Inverse by Fermat's little theorem; q must be prime and a ≠ 0 mod q. */
export function invMod(a: number, q: number): number {
  const r = reduce(a, q);
  if (r === 0) throw new RangeError('invMod: zero has no inverse');
  return powMod(r, q - 2, q);
}

/**
 * Montgomery's batch inversion: the inverses of all values with one modular inverse and
 * 3(n−1) multiplications. Throws on a zero value.
 */
export function batchInvert(values: ArrayLike<number>, q: number): Float64Array {
  const n = values.length;
  const prefix = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    const v = reduce(values[i] as number, q);
    if (v === 0) throw new RangeError('batchInvert: zero has no inverse');
    prefix[i] = acc;
    acc = mulMod(acc, v, q);
  }
  let inv = invMod(acc, q);
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = mulMod(inv, prefix[i] as number, q);
    inv = mulMod(inv, reduce(values[i] as number, q), q);
  }
  return out;
}

/** Distinct prime factors by trial division (q − 1 < 2^27, so this is instant). */
function primeFactors(n: number): number[] {
  const out: number[] = [];
  let m = n;
  for (let p = 2; p * p <= m; p++) {
    if (m % p === 0) {
      out.push(p);
      while (m % p === 0) m /= p;
    }
  }
  if (m > 1) out.push(m);
  return out;
}

/** The smallest generator of the multiplicative group of F_q. */
export function generator(q: number): number {
  const factors = primeFactors(q - 1);
  for (let g = 2; g < q; g++) {
    if (factors.every((p) => powMod(g, (q - 1) / p, q) !== 1)) return g;
  }
  throw new RangeError(`no generator for ${q}`);
}

/**
 * CRT of residues (r1 mod q1, r2 mod q2) into [0, q1·q2), exactly:
 * z = r1 + q1·((r2 − r1)·q1^{-1} mod q2), and every intermediate stays < 2^53.
 */
export const Q1_INV_MOD_Q2 = invMod(Q1, Q2);
export function crt(r1: number, r2: number): number {
  const t = mulMod(subMod(r2, r1 % Q2, Q2), Q1_INV_MOD_Q2, Q2);
  return r1 + Q1 * t;
}

/** Centre a value of [0, q) into (−q/2, q/2]. */
export function centre(z: number): number {
  return z > (Q - 1) / 2 ? z - Q : z;
}
