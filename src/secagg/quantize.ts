/**
 * Clipping and stochastic quantization of model updates (docs/protocol.md §17), with a weight
 * coordinate for weighted averaging.
 *
 * encode: u ← u·min(1, C₂/‖u‖₂) (optional L2 clip), u_i ← clamp(u_i, −c, c), then
 *         v_i = w·u_i·S with S = (2^(b−1) − 1)/c and w ∈ [0, 1] the normalized weight, and
 *         stochastic rounding: ⌊v⌋ + [r < v − ⌊v⌋] with r uniform in [0, 1) — unbiased.
 *         The last coordinate is w·(2^(b−1) − 1), rounded the same way.
 * decode: Σw = Σ last / (2^(b−1) − 1); mean_i = Σ v_i / S / Σw.
 */
import { MalformedInputError, ParameterError } from './errors.js';
import { maxQuantized } from './params.js';

export interface QuantizationOptions {
  /** Bits b of the signed integers (default 16). */
  bits: number;
  /** Per-coordinate clipping range c (values are clamped to [−c, c]). */
  clip: number;
  /** Optional L2-norm bound C₂ applied before the per-coordinate clamp. */
  l2Clip?: number;
}

function checkOptions(o: QuantizationOptions): void {
  if (!Number.isSafeInteger(o.bits) || o.bits < 2 || o.bits > 30)
    throw new ParameterError(`bits must be an integer in 2..30, got ${o.bits}`);
  if (!(Number.isFinite(o.clip) && o.clip > 0))
    throw new ParameterError(`clip must be a positive number, got ${o.clip}`);
  if (o.l2Clip !== undefined && !(Number.isFinite(o.l2Clip) && o.l2Clip > 0))
    throw new ParameterError(`l2Clip must be a positive number, got ${o.l2Clip}`);
}

/** Uniform [0, 1) from a 32-bit word. */
const TWO32 = 2 ** 32;

function stochasticRound(v: number, word: number, limit: number): number {
  const f = Math.floor(v);
  const r = f + ((word >>> 0) / TWO32 < v - f ? 1 : 0);
  return r > limit ? limit : r < -limit ? -limit : r;
}

/**
 * Quantizes `update` scaled by `weight` ∈ [0, 1] into L + 1 integers (the last is the weight).
 * `randomWords` (≥ L + 1 words) drives the stochastic rounding; use secret randomness.
 */
export function quantize(
  update: Float32Array | Float64Array,
  weight: number,
  o: QuantizationOptions,
  randomWords: Uint32Array,
): Int32Array {
  checkOptions(o);
  const L = update.length;
  if (!(Number.isFinite(weight) && weight >= 0 && weight <= 1))
    throw new MalformedInputError(`weight must be in [0, 1], got ${weight}`);
  if (randomWords.length < L + 1)
    throw new MalformedInputError(`quantization needs ${L + 1} random words, got ${randomWords.length}`);
  let norm2 = 0;
  for (let i = 0; i < L; i++) {
    const v = update[i] as number;
    if (!Number.isFinite(v)) throw new MalformedInputError(`update coordinate ${i} is not finite (${v})`);
    norm2 += v * v;
  }
  const l2 = Math.sqrt(norm2);
  const l2Scale = o.l2Clip !== undefined && l2 > o.l2Clip ? o.l2Clip / l2 : 1;
  const limit = maxQuantized(o.bits);
  const S = limit / o.clip;
  const out = new Int32Array(L + 1);
  for (let i = 0; i < L; i++) {
    let u = (update[i] as number) * l2Scale;
    u = u > o.clip ? o.clip : u < -o.clip ? -o.clip : u;
    out[i] = stochasticRound(weight * u * S, randomWords[i] as number, limit);
  }
  out[L] = stochasticRound(weight * limit, randomWords[L] as number, limit);
  return out;
}

export interface DecodedMean {
  /** Σ w_i·u_i / Σ w_i per coordinate. */
  mean: Float32Array;
  /** Σ w_i, recovered from the weight coordinate. */
  weightSum: number;
}

/** Decodes the exact integer sum of quantized vectors (length L + 1) into the weighted mean. */
export function dequantizeMean(sum: ArrayLike<number>, o: QuantizationOptions): DecodedMean {
  checkOptions(o);
  const L = sum.length - 1;
  if (L < 0) throw new MalformedInputError('a quantized sum has at least the weight coordinate');
  const limit = maxQuantized(o.bits);
  const weightSum = (sum[L] as number) / limit;
  if (!(weightSum > 0)) throw new MalformedInputError(`total weight is ${weightSum}: nothing to average`);
  const S = limit / o.clip;
  const mean = new Float32Array(L);
  for (let i = 0; i < L; i++) mean[i] = (sum[i] as number) / S / weightSum;
  return { mean, weightSum };
}
