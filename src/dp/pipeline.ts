/**
 * The trainer's and the server's DP steps around the secure sum (docs/dp.md §3):
 *   trainer: u → clip to C → rotate (public seed) → ÷γ and conditional rounding (norm ≤ Δ₂)
 *            → + N_Z(0, σ_i²) per coordinate → d integers to mask;
 *   server:  exact integer sum → ×γ → inverse rotation → the first L coordinates.
 */
import { DpParameterError } from './errors.js';
import type { Rational } from './exact.js';
import type { WordStream } from './random.js';
import { checkPositive, clipFactor, conditionalRound, roundedNormBound } from './rounding.js';
import { paddedLength, rotateScaled, unrotate } from './rotation.js';
import { gaussianTable, sampleInto } from './table.js';

export interface DpEncoding {
  /** L2 clipping norm C (in the update's units). */
  readonly clip: number;
  /** Granularity γ: one integer step is γ update units. */
  readonly gamma: number;
  /** Conditional rounding parameter β ∈ [0, 1) (DDG: e^−1/2 is the usual choice). */
  readonly beta: number;
  /** This trainer's noise share σ_i² (integer units²), from calibrate.ts. */
  readonly sigma2: Rational;
}

/** Δ₂, the L2 sensitivity in integer units, for an update of L coordinates. */
export function sensitivity(e: Pick<DpEncoding, 'clip' | 'gamma' | 'beta'>, L: number): number {
  return roundedNormBound(e.clip / e.gamma, e.beta, paddedLength(L));
}

export interface Privatized {
  /** d = paddedLength(L) integers: rounded update plus this trainer's noise share. */
  readonly values: Int32Array;
  /** Draws the conditional rounding took. */
  readonly tries: number;
}

/**
 * This trainer's d noise values, drawn ahead of time: the noise does not depend on the update,
 * so a trainer can draw it while its model trains and pass it to {@link privatize}.
 */
export function presampleNoise(e: Pick<DpEncoding, 'sigma2'>, L: number, rs: WordStream): Int32Array {
  return sampleInto(gaussianTable(e.sigma2), rs, new Int32Array(paddedLength(L)));
}

/**
 * The trainer's side; `rs` (secret) drives the rounding and the noise, `seed` is the round's
 * public seed. The clipping factor, 1/√d and 1/γ are folded into the rotation's first pass:
 * y = H·D·pad(u·min(1, C/‖u‖)·1/(√d·γ)), then rounding at granularity 1, then the noise added in
 * place: `noise` if given (from {@link presampleNoise}, used once), else drawn now.
 */
export function privatize(
  update: ArrayLike<number>,
  e: DpEncoding,
  seed: Uint8Array,
  rs: WordStream,
  noise?: Int32Array,
): Privatized {
  const table = gaussianTable(e.sigma2);
  checkPositive('the granularity γ', e.gamma);
  const d = paddedLength(update.length);
  if (noise && noise.length !== d) throw new DpParameterError(`the noise has ${noise.length} values, not d = ${d}`);
  const scaled = rotateScaled(update, seed, clipFactor(update, e.clip) / (Math.sqrt(d) * e.gamma));
  const { values, tries } = conditionalRound(scaled, 1, sensitivity(e, update.length), rs);
  if (noise) for (let i = 0; i < d; i++) values[i] = (values[i] as number) + (noise[i] as number);
  else sampleInto(table, rs, values, true);
  return { values, tries };
}

/** The server's side: the decoded integer sum (length d) back to L update coordinates (a sum, not a mean). */
export function decodeSum(
  sum: ArrayLike<number>,
  e: Pick<DpEncoding, 'gamma'>,
  seed: Uint8Array,
  L: number,
): Float64Array {
  const y = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) y[i] = (sum[i] as number) * e.gamma;
  return unrotate(y, seed, L);
}
