/**
 * Exact arithmetic of the samplers (docs/dp.md §2): rationals as bigint pairs, Bernoulli trials
 * with rational and exp(−rational) probabilities (Canonne, Kamath, Steinke, "The Discrete
 * Gaussian for Differential Privacy", NeurIPS 2020, Algorithm 1), and rigorous fixed-point
 * bounds on exp(−x) for building exact tables. No floating point anywhere in this file.
 */
import { DpParameterError } from './errors.js';
import type { WordStream } from './random.js';

/** A non-negative rational num/den, den > 0. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

export function rational(num: bigint, den: bigint): Rational {
  if (den <= 0n || num < 0n) throw new DpParameterError(`a rational needs num ≥ 0 and den > 0, got ${num}/${den}`);
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** ⌊√n⌋ for a bigint n ≥ 0 (Newton's method on integers). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new DpParameterError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Bernoulli(num/den), num ≤ den: one uniform integer below den. */
export function bernoulli(rs: WordStream, num: bigint, den: bigint): boolean {
  return rs.below(den) < num;
}

/**
 * Bernoulli(exp(−num/den)) exactly (CKS Algorithm 1): for γ ∈ [0, 1], draw A_k ~ Bernoulli(γ/k)
 * for k = 1, 2, … until the first A_k = 0, and return whether that k is odd; for γ > 1, AND
 * ⌊γ⌋ trials of exp(−1) with one of exp(−(γ − ⌊γ⌋)).
 */
export function bernoulliExp(rs: WordStream, num: bigint, den: bigint): boolean {
  if (num > den) {
    for (let i = 0n, n = num / den; i < n; i++) if (!bernoulliExp(rs, 1n, 1n)) return false;
    return bernoulliExp(rs, num % den, den);
  }
  let k = 1n;
  while (bernoulli(rs, num, den * k)) k++;
  return k % 2n === 1n;
}

/**
 * Fixed-point bounds [lo, hi] with lo ≤ 2^P·exp(−num/den) ≤ hi (P fractional bits): the
 * alternating Taylor series of exp(−f) for f = frac(x) ∈ [0, 1), every term bounded below and
 * above, stopped once a term is below one unit (so the remainder is at most one unit), times
 * exp(−1)^⌊x⌋ by interval multiplication.
 */
export function expNegBounds(num: bigint, den: bigint, P: number): [bigint, bigint] {
  const one = 1n << BigInt(P);
  const whole = num / den;
  const fr = num % den;
  let [lo, hi] = seriesBounds(fr, den, one);
  if (whole > 0n) {
    const [e1lo, e1hi] = seriesBounds(1n, 1n, one);
    let [plo, phi] = [e1lo, e1hi];
    // exp(−1)^n by square-and-multiply on intervals.
    let n = whole;
    let [rlo, rhi] = [one, one];
    while (n > 0n) {
      if (n & 1n) [rlo, rhi] = mulBounds(rlo, rhi, plo, phi, P);
      n >>= 1n;
      if (n > 0n) [plo, phi] = mulBounds(plo, phi, plo, phi, P);
    }
    [lo, hi] = mulBounds(lo, hi, rlo, rhi, P);
  }
  return [lo < 0n ? 0n : lo, hi];
}

/** Interval product of two non-negative fixed-point intervals. */
export function mulBounds(alo: bigint, ahi: bigint, blo: bigint, bhi: bigint, P: number): [bigint, bigint] {
  const s = BigInt(P);
  return [(alo * blo) >> s, ceilShift(ahi * bhi, s)];
}

export function ceilShift(x: bigint, s: bigint): bigint {
  return -(-x >> s);
}

/** Bounds on one·exp(−a/b) for 0 ≤ a/b ≤ 1 (terms a^k/(b^k·k!) decrease, so the remainder after
 * a term is at most the next term, itself at most the last one). */
function seriesBounds(a: bigint, b: bigint, one: bigint): [bigint, bigint] {
  let lo = one;
  let hi = one;
  let tlo = one;
  let thi = one;
  for (let k = 1n; thi > 1n; k++) {
    const d = b * k;
    tlo = (tlo * a) / d;
    thi = (thi * a + d - 1n) / d;
    if (k % 2n === 1n) {
      lo -= thi;
      hi -= tlo;
    } else {
      lo += tlo;
      hi += thi;
    }
  }
  return [lo - 1n, hi + 1n];
}
