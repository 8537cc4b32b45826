/**
 * Calibration (docs/dp.md §6, §7): the noise multiplier z is the noise standard deviation of
 * the honest sum divided by the clipping norm C, so the honest sum carries N_Z noise of
 * variance (z·C/γ)² integer units². Each trainer adds the share σ_i² = (z·C/γ)²/K, so that K
 * honest survivors alone reach the target; σ_i² is rounded *up* to a rational with
 * denominator 2^20 (more noise, never less). The field budget: with n ≤ n_max trainers, every
 * coordinate of the noisy sum stays below n_max·⌊Δ₂⌋ + σ_i·√(2·n_max·ln(2d/p)) in absolute
 * value except with probability p (the discrete Gaussian is σ-subgaussian, CKS 2020 Cor. 9;
 * independent shares add their variance proxies; a union bound over the d coordinates).
 */
import { type DdgRound, ddgEpsilon } from './accountant.js';
import { DpBudgetError, DpParameterError, DpUnreachableError } from './errors.js';
import { type Rational, rational } from './exact.js';
import { analyticGaussianEpsilon } from './gaussian.js';
import { checkPositive, roundedNormBound } from './rounding.js';
import { paddedLength } from './rotation.js';

export interface DdgSetup {
  /** L2 clipping norm C. */
  readonly clip: number;
  /** Granularity γ. */
  readonly gamma: number;
  /** Conditional rounding β ∈ [0, 1). */
  readonly beta: number;
  /** Update coordinates L (padded to d = 2^⌈log2 L⌉). */
  readonly length: number;
  /** K honest survivors: the round's minimum survivors minus the assumed colluders. */
  readonly honest: number;
}

const DEN_BITS = 20n;

/** The least p/2^20 ≥ x·(1 + 2^−40) (the margin covers the rounding of x itself). */
export function ceilRational(x: number): Rational {
  checkPositive('σ²', x);
  const scaled = Math.ceil(x * (1 + 2 ** -40) * 2 ** Number(DEN_BITS));
  if (!Number.isFinite(scaled)) throw new DpParameterError(`σ² = ${x} is too large`);
  return rational(BigInt(scaled), 1n << DEN_BITS);
}

/** Each trainer's noise share σ_i² (exact rational, integer units²) for multiplier z and K honest survivors. */
export function noiseShare(z: number, s: Pick<DdgSetup, 'clip' | 'gamma' | 'honest'>): Rational {
  checkPositive('the noise multiplier z', z);
  checkPositive('the clipping norm C', s.clip);
  checkPositive('the granularity γ', s.gamma);
  if (!Number.isSafeInteger(s.honest) || s.honest < 1)
    throw new DpParameterError(`K must be a positive integer, got ${s.honest}`);
  const sd = (z * s.clip) / s.gamma;
  return ceilRational((sd * sd) / s.honest);
}

/** The DDG round the accountant charges for multiplier z under this setup. */
export function ddgRoundFor(z: number, s: DdgSetup): DdgRound {
  const share = noiseShare(z, s);
  const dim = paddedLength(s.length);
  return {
    l2: roundedNormBound(s.clip / s.gamma, s.beta, dim),
    sigma2: Number(share.num) / Number(share.den),
    honest: s.honest,
    dim,
  };
}

export type Mechanism = 'ddg' | 'gaussian';

/** ε after T rounds: DDG via RDP, or the continuous Gaussian exactly (Balle–Wang, multiplier z/√T). */
export function epsilonFor(mechanism: Mechanism, z: number, rounds: number, delta: number, s?: DdgSetup): number {
  if (!Number.isSafeInteger(rounds) || rounds < 1)
    throw new DpParameterError(`rounds must be a positive integer, got ${rounds}`);
  if (mechanism === 'gaussian') return analyticGaussianEpsilon(delta, z / Math.sqrt(rounds));
  if (!s) throw new DpParameterError('the DDG accountant needs C, γ, β, L and K');
  return ddgEpsilon(ddgRoundFor(z, s), rounds, delta);
}

/**
 * The least z (to 0.1 % relative) whose ε after T rounds is at most the target: bisection on
 * log z in [10^−2, 10^4] (ε decreases in z).
 */
export function noiseMultiplierFor(target: number, epsilonOf: (z: number) => number): number {
  checkPositive('the target ε', target);
  let lo = 1e-2;
  let hi = 1e4;
  if (epsilonOf(hi) > target) throw new DpUnreachableError(`ε = ${target} needs a noise multiplier above ${hi}`);
  if (epsilonOf(lo) <= target) return lo;
  while (hi / lo > 1.001) {
    const mid = Math.sqrt(lo * hi);
    if (epsilonOf(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface FieldBoundInput {
  /** Most trainers a round may sum. */
  readonly nMax: number;
  /** d, coordinates after padding. */
  readonly dim: number;
  /** Δ₂: every rounded coordinate satisfies |x_j| ≤ ‖x‖₂ ≤ Δ₂. */
  readonly l2: number;
  /** Each trainer's noise share σ_i². */
  readonly sigma2: Rational;
  /** Allowed probability that some coordinate exceeds the bound (default 2^−40). */
  readonly failure?: number;
}

export interface FieldBound {
  /** n_max·⌊Δ₂⌋: the signal's worst case. */
  readonly signal: number;
  /** σ_i·√(2·n_max·ln(2d/p)): the noise's tail bound. */
  readonly noise: number;
  /** |coordinate of the noisy sum| ≤ bound except with probability `failure`. */
  readonly bound: number;
  /** Bits of a two's-complement integer that holds ±bound. */
  readonly bits: number;
  readonly failure: number;
  /** One trainer's coordinate: ⌊Δ₂⌋ + σ_i·√(2·ln(2d/p)). */
  readonly perTrainer: number;
}

export function fieldBound(f: FieldBoundInput): FieldBound {
  const failure = f.failure ?? 2 ** -40;
  if (!(failure > 0 && failure < 1))
    throw new DpParameterError(`the failure probability must be in (0, 1), got ${failure}`);
  if (!Number.isSafeInteger(f.nMax) || f.nMax < 1)
    throw new DpParameterError(`n_max must be a positive integer, got ${f.nMax}`);
  if (!Number.isSafeInteger(f.dim) || f.dim < 1)
    throw new DpParameterError(`d must be a positive integer, got ${f.dim}`);
  checkPositive('Δ₂', f.l2);
  const sigma = Math.sqrt(Number(f.sigma2.num) / Number(f.sigma2.den));
  const log = Math.log((2 * f.dim) / failure);
  const signal = f.nMax * Math.floor(f.l2);
  const noise = Math.ceil(sigma * Math.sqrt(2 * f.nMax * log));
  const bound = signal + noise;
  return {
    signal,
    noise,
    bound,
    bits: Math.ceil(Math.log2(bound + 1)) + 1,
    failure,
    perTrainer: Math.floor(f.l2) + Math.ceil(sigma * Math.sqrt(2 * log)),
  };
}

/** Throws DpBudgetError unless bound < maxAbs (e.g. q/(2Δ) of the secure sum, docs/protocol.md §3). */
export function checkFieldBudget(b: FieldBound, maxAbs: number): void {
  if (!(b.bound < maxAbs))
    throw new DpBudgetError(
      `the noisy sum can reach ±${b.bound} (signal ${b.signal} + noise ${b.noise}, failure ${b.failure}), not below ${maxAbs}: it could wrap around the field (raise γ or lower n_max)`,
    );
}
