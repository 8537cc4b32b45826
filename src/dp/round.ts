/**
 * DP in a round (docs/dp.md §12): the parameters a round descriptor carries, how the server
 * plans them, how a trainer checks them without trusting the server's arithmetic, and what the
 * accountant charges for a round once its sum is decoded.
 *
 * - The granularity γ is chosen so that one trainer's noisy coordinate stays within the secure
 *   sum's b-bit range ±(2^(b−1) − 1) except with probability `failure` (default 2^−40, a union
 *   bound over the d coordinates): ⌊Δ₂⌋ + σ_i·√(2·ln(2d/p)) ≤ 2^(b−1) − 1. Every coordinate a
 *   trainer masks is checked against that range (src/secagg/trainer.ts validateQuantized), and the
 *   profile's budget (docs/protocol.md §3) already guarantees that n_max such vectors never wrap:
 *   the noise cannot make the decoded sum wrong, at worst (probability ≤ p) a trainer refuses to
 *   send (DP_FIELD_BUDGET) in that round.
 * - K = minSurvivors − colluders honest survivors alone carry the target noise (calibrate.ts);
 *   members refuse a survivor set below minSurvivors (the descriptor's, docs/protocol.md §27).
 * - The charge of a decoded round uses |S| − colluders honest survivors, never more.
 */
import type { DdgRound } from './accountant.js';
import { ddgRoundFor, fieldBound, noiseShare } from './calibrate.js';
import { DpBudgetError, DpParameterError } from './errors.js';
import { type Rational, rational } from './exact.js';
import { checkPositive, roundedNormBound } from './rounding.js';
import { paddedLength } from './rotation.js';

/** β = e^−1/2, the DDG paper's choice (docs/dp.md §3.3). */
export const DEFAULT_BETA = Math.exp(-0.5);
/** Probability that some coordinate of one trainer's noisy vector leaves the b-bit range. */
export const DEFAULT_RANGE_FAILURE = 2 ** -40;

/** The DP parameters of one round, as the descriptor carries them (all public). */
export interface DpRoundParams {
  readonly mechanism: 'ddg';
  /** z: noise standard deviation of the honest sum ÷ C. */
  readonly noiseMultiplier: number;
  /** L2 clipping norm C. */
  readonly clip: number;
  /** Granularity γ. */
  readonly gamma: number;
  /** Conditional rounding β. */
  readonly beta: number;
  /** Each trainer's noise share σ_i² = num/den (integer units²), decimal strings. */
  readonly sigma2: { readonly num: string; readonly den: string };
  /** Survivors the members require; K = minSurvivors − colluders. */
  readonly minSurvivors: number;
  /** Trainers assumed to collude with the server (their noise is not counted). */
  readonly colluders: number;
  /** δ of the reported ε. */
  readonly delta: number;
}

export interface DpPlanInput {
  readonly noiseMultiplier: number;
  readonly clip: number;
  /** Model parameters L (the rotated part has d = paddedLength(L) coordinates). */
  readonly params: number;
  /** The secure sum's quantization bits b. */
  readonly bits: number;
  readonly minSurvivors: number;
  readonly colluders: number;
  readonly delta: number;
  readonly beta?: number;
  readonly failure?: number;
}

export function honestOf(p: Pick<DpRoundParams, 'minSurvivors' | 'colluders'>): number {
  const k = p.minSurvivors - p.colluders;
  if (!Number.isSafeInteger(p.colluders) || p.colluders < 0 || !Number.isSafeInteger(k) || k < 1)
    throw new DpParameterError(
      `colluders must be an integer in 0..minSurvivors − 1 (minSurvivors ${p.minSurvivors}, colluders ${p.colluders})`,
    );
  return k;
}

export function sigma2Of(p: Pick<DpRoundParams, 'sigma2'>): Rational {
  const { num, den } = p.sigma2;
  if (!/^[1-9][0-9]{0,30}$/.test(num) || !/^[1-9][0-9]{0,30}$/.test(den))
    throw new DpParameterError(`σ² must be a ratio of positive decimal integers, got ${num}/${den}`);
  return rational(BigInt(num), BigInt(den));
}

/** One trainer's worst-case |coordinate| (signal ⌊Δ₂⌋ plus the noise tail) for a scale c = C/γ. */
function perTrainer(c: number, z: number, k: number, beta: number, d: number, failure: number): number {
  const l2 = roundedNormBound(c, beta, d);
  const sigma2 = (z * c) ** 2 / k;
  return Math.floor(l2) + Math.ceil(Math.sqrt(sigma2 * 2 * Math.log((2 * d) / failure)));
}

/** The server's plan: the largest scale C/γ (a whole number) whose noisy coordinates fit b bits. */
export function planDpRound(i: DpPlanInput): DpRoundParams {
  checkPositive('the noise multiplier z', i.noiseMultiplier);
  checkPositive('the clipping norm C', i.clip);
  checkPositive('δ', i.delta);
  if (!(i.delta < 1)) throw new DpParameterError(`δ must be below 1, got ${i.delta}`);
  const beta = i.beta ?? DEFAULT_BETA;
  const failure = i.failure ?? DEFAULT_RANGE_FAILURE;
  const k = honestOf(i);
  const d = paddedLength(i.params);
  const limit = 2 ** (i.bits - 1) - 1;
  const fits = (c: number): boolean => perTrainer(c, i.noiseMultiplier, k, beta, d, failure) <= limit;
  if (!fits(1))
    throw new DpBudgetError(
      `with z = ${i.noiseMultiplier}, K = ${k} and d = ${d}, even a scale of 1 integer step per clipping norm overflows ${i.bits}-bit coordinates: raise the quantization bits or K, or lower z`,
    );
  let lo = 1;
  let hi = limit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const gamma = i.clip / lo;
  const share = noiseShare(i.noiseMultiplier, { clip: i.clip, gamma, honest: k });
  return {
    mechanism: 'ddg',
    noiseMultiplier: i.noiseMultiplier,
    clip: i.clip,
    gamma,
    beta,
    sigma2: { num: share.num.toString(), den: share.den.toString() },
    minSurvivors: i.minSurvivors,
    colluders: i.colluders,
    delta: i.delta,
  };
}

/**
 * A trainer's own check of a descriptor's DP parameters (it trusts none of the server's
 * arithmetic): σ_i² at least the share its own calibration gives for z and K, and its noisy
 * coordinates within b bits except with probability `failure`. Returns the round the trainer's
 * own accountant charges if it takes part (worst case: K honest survivors).
 */
export function checkDpRound(
  p: DpRoundParams,
  params: number,
  bits: number,
  failure = DEFAULT_RANGE_FAILURE,
): DdgRound {
  if (p.mechanism !== 'ddg') throw new DpParameterError(`unknown DP mechanism ${String(p.mechanism)}`);
  checkPositive('the noise multiplier z', p.noiseMultiplier);
  checkPositive('δ', p.delta);
  if (!(p.delta < 1)) throw new DpParameterError(`δ must be below 1, got ${p.delta}`);
  const k = honestOf(p);
  const sigma2 = sigma2Of(p);
  const need = noiseShare(p.noiseMultiplier, { clip: p.clip, gamma: p.gamma, honest: k });
  if (sigma2.num * need.den < need.num * sigma2.den)
    throw new DpParameterError(
      `the noise share σ² = ${p.sigma2.num}/${p.sigma2.den} is below what z = ${p.noiseMultiplier} needs with K = ${k} (${need.num}/${need.den})`,
    );
  const round = chargeOf(p, params, p.minSurvivors);
  const bound = fieldBound({ nMax: 1, dim: round.dim, l2: round.l2, sigma2, failure });
  const limit = 2 ** (bits - 1) - 1;
  if (bound.perTrainer > limit)
    throw new DpBudgetError(
      `a noisy coordinate can reach ±${bound.perTrainer}, beyond the ${bits}-bit range ±${limit}: the granularity γ = ${p.gamma} is too fine`,
    );
  return round;
}

/** What the accountant charges for a decoded round of `survivors` trainers: |S| − colluders honest. */
export function chargeOf(p: DpRoundParams, params: number, survivors: number): DdgRound {
  const honest = survivors - p.colluders;
  if (!Number.isSafeInteger(honest) || honest < 1)
    throw new DpParameterError(`${survivors} survivors with ${p.colluders} colluders leave no honest trainer`);
  const sigma2 = sigma2Of(p);
  const d = paddedLength(params);
  const setup = { clip: p.clip, gamma: p.gamma, beta: p.beta, length: params, honest };
  return { ...ddgRoundFor(p.noiseMultiplier, setup), sigma2: Number(sigma2.num) / Number(sigma2.den), dim: d };
}
