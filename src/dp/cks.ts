/**
 * The reference exact sampler of the discrete Gaussian N_Z(0, σ²) (docs/dp.md §2.1): Canonne,
 * Kamath, Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms
 * 1–3, with σ² = p/q rational and bigint arithmetic only. Slow (tens of microseconds a value);
 * the vector sampler (table.ts) is the fast path, and this one is its cross-check and its tail.
 */
import { DpParameterError } from './errors.js';
import { type Rational, bernoulli, bernoulliExp, isqrt } from './exact.js';
import type { WordStream } from './random.js';

/** Checks σ² = p/q > 0 with a bounded size (p, q < 2^256). */
export function checkSigma2(s: Rational): void {
  if (typeof s.num !== 'bigint' || typeof s.den !== 'bigint' || s.num <= 0n || s.den <= 0n)
    throw new DpParameterError(`σ² must be a positive rational p/q (bigints), got ${String(s.num)}/${String(s.den)}`);
  if (s.num >= 1n << 256n || s.den >= 1n << 256n) throw new DpParameterError('σ² = p/q needs p, q < 2^256');
}

/**
 * Discrete Laplace with scale t (CKS Algorithm 2 with s = 1): U uniform in [0, t) kept with
 * probability exp(−U/t); V geometric with parameter exp(−1); X = U + t·V; a sign bit; (−, 0)
 * rejected so that 0 is not counted twice. P(Y = y) ∝ exp(−|y|/t).
 */
export function discreteLaplace(rs: WordStream, t: bigint): bigint {
  for (;;) {
    const u = rs.below(t);
    if (!bernoulliExp(rs, u, t)) continue;
    let v = 0n;
    while (bernoulliExp(rs, 1n, 1n)) v++;
    const negative = bernoulli(rs, 1n, 2n);
    if (negative && u === 0n && v === 0n) continue;
    const x = u + t * v;
    return negative ? -x : x;
  }
}

/**
 * N_Z(0, σ²) exactly (CKS Algorithm 3): t = ⌊σ⌋ + 1, Y ~ Lap_Z(t), accepted with probability
 * exp(−(|Y| − σ²/t)²/(2σ²)) = exp(−(|Y|·q·t − p)²/(2·p·q·t²)).
 */
export function sampleCks(rs: WordStream, sigma2: Rational): bigint {
  checkSigma2(sigma2);
  const { num: p, den: q } = sigma2;
  const t = isqrt(p / q) + 1n;
  for (;;) {
    const y = discreteLaplace(rs, t);
    const a = (y < 0n ? -y : y) * q * t - p;
    if (bernoulliExp(rs, a * a, 2n * p * q * t * t)) return y;
  }
}
