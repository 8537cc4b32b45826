/**
 * The FedAvg step of a decoded sum (docs/protocol.md §17, docs/dp.md §12): the server applies it
 * to make model version N (src/server/model.ts, outcome.ts) and the audit recomputes it to check
 * version N (src/audit/round-check.ts), in Node or in the dashboard's browser — one function for
 * both, pure (no tfjs, no Node built-ins).
 */
import { decodeSum } from '../dp/pipeline.js';
import { paddedLength } from '../dp/rotation.js';
import type { DpRoundParams } from '../dp/round.js';
import { type QuantizationOptions, dequantizeMean, maxQuantized } from '../secagg/index.js';

/** A DP round's decoding inputs: its parameters and the round's public seed (the rotation's). */
export interface DpDecoding {
  readonly params: DpRoundParams;
  readonly seed: Uint8Array;
}

/**
 * The mean update from the exact integer sum: Σ wᵢ·Δᵢ / Σ wᵢ (docs/protocol.md §17); in a DP
 * round (docs/dp.md §12) the d privatized coordinates are scaled by γ and rotated back
 * (decodeSum), and the weights are uniform: the weight coordinate counts the survivors.
 */
export function decodeMean(
  sum: Float64Array,
  L: number,
  q: QuantizationOptions,
  dp?: DpDecoding,
): { mean: Float32Array; weightSum: number } {
  if (!dp) return dequantizeMean(sum.subarray(0, L + 1), q);
  const d = paddedLength(L);
  const weightSum = (sum[d] as number) / maxQuantized(q.bits);
  if (!(weightSum > 0)) throw new RangeError(`total weight is ${weightSum}: nothing to average`);
  const total = decodeSum(sum.subarray(0, d), dp.params, dp.seed, L);
  const mean = new Float32Array(L);
  for (let i = 0; i < L; i++) mean[i] = (total[i] as number) / weightSum;
  return { mean, weightSum };
}

/** new = global + the mean update of {@link decodeMean}; also returns that mean update. */
export function applyDecodedSum(
  global: Float32Array,
  sum: Float64Array,
  q: QuantizationOptions,
  dp?: DpDecoding,
): { weights: Float32Array; mean: Float32Array; weightSum: number } {
  const { mean, weightSum } = decodeMean(sum, global.length, q, dp);
  const out = new Float32Array(global.length);
  for (let i = 0; i < out.length; i++) out[i] = (global[i] as number) + (mean[i] as number);
  return { weights: out, mean, weightSum };
}
