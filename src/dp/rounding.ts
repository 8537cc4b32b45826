/**
 * Clipping, scaling and conditional randomized rounding (docs/dp.md §3.1, §3.3; Kairouz, Liu,
 * Steinke, ICML 2021, §4.1 and Theorem 1 / Proposition 22). A trainer clips its update to L2
 * norm C, rotates it (rotation.ts), divides by the granularity γ and rounds every coordinate
 * randomly to a neighbouring integer (up with probability ≈ its fractional part), redrawing the
 * whole rounding until the rounded vector's L2 norm is at most Δ₂ = roundedNormBound(C/γ, β, d).
 * Δ₂ is the L2 sensitivity the accountant charges.
 */
import { DpError, DpParameterError } from './errors.js';
import type { WordStream } from './random.js';

export function checkPositive(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new DpParameterError(`${name} must be a positive number, got ${v}`);
}

/** min(1, C/‖x‖₂), the clipping factor; every coordinate must be finite. */
export function clipFactor(x: ArrayLike<number>, C: number): number {
  checkPositive('the clipping norm C', C);
  let n2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) throw new DpParameterError(`coordinate ${i} is not finite (${v})`);
    n2 += v * v;
  }
  const norm = Math.sqrt(n2);
  return norm > C ? C / norm : 1;
}

/** x·min(1, C/‖x‖₂) as a new Float64Array. */
export function clipL2(x: ArrayLike<number>, C: number): Float64Array {
  const s = clipFactor(x, C);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) * s;
  return out;
}

/**
 * The norm bound after conditional randomized rounding of a vector of norm ≤ c in d coordinates
 * (DDG Theorem 1): min(c + √d, √(c² + d/4 + √(2·ln(1/β))·(c + √d/2))) for β ∈ (0, 1); c + √d
 * (which always holds) for β = 0.
 */
export function roundedNormBound(c: number, beta: number, d: number): number {
  checkPositive('the scaled norm c', c);
  if (!Number.isSafeInteger(d) || d < 1) throw new DpParameterError(`dimension must be a positive integer, got ${d}`);
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1))
    throw new DpParameterError(`β must be in [0, 1), got ${beta}`);
  const b1 = c + Math.sqrt(d);
  if (beta === 0) return b1;
  const b2 = Math.sqrt(c * c + d / 4 + Math.sqrt(2 * Math.log(1 / beta)) * (c + Math.sqrt(d) / 2));
  return Math.min(b1, b2);
}

/** The rounding did not meet its norm bound in `maxTries` draws (with β ≥ e^−1/2, never in practice). */
export class RoundingError extends DpError {
  constructor(message: string) {
    super('DP_ROUNDING_FAILED', message);
  }
}

const TWO32 = 2 ** 32;
const INV32 = 2 ** -32;
const LIMIT = 2 ** 30;

/**
 * Rounds v = x·(1/γ) coordinate by coordinate (up iff the next 32-bit word w satisfies
 * w < frac(v)·2^32, so P(up) ∈ [frac, frac + 2^−32)), and redraws until ‖result‖₂² ≤ bound² (the squares are
 * integers below 2^53, summed exactly). Returns the rounded vector and the number of draws.
 */
export function conditionalRound(
  x: ArrayLike<number>,
  gamma: number,
  bound: number,
  rs: WordStream,
  maxTries = 100,
): { values: Int32Array; tries: number } {
  checkPositive('the granularity γ', gamma);
  checkPositive('the norm bound', bound);
  const n = x.length;
  const inv = 1 / gamma;
  const bound2 = bound * bound;
  const values = new Int32Array(n);
  for (let tries = 1; tries <= maxTries; tries++) {
    let n2 = 0;
    for (let i = 0; i < n; i++) {
      const v = (x[i] as number) * inv;
      if (!(v < LIMIT && v > -LIMIT)) throw new DpParameterError(`coordinate ${i} / γ = ${v} does not fit in 31 bits`);
      const f = Math.floor(v);
      // Up iff w < frac·2^32: the difference's sign is exact, so ⌈(frac·2^32 − w)·2^−32⌉ is that
      // test as 0 or 1 without a branch (a random branch would mispredict half the time).
      const r = f + Math.ceil(((v - f) * TWO32 - rs.next()) * INV32);
      values[i] = r;
      n2 += r * r;
    }
    if (n2 <= bound2) return { values, tries };
  }
  throw new RoundingError(`conditional rounding missed the norm bound ${bound} in ${maxTries} draws`);
}
