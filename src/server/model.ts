/**
 * The global model on the server: initial weights, FedAvg application of a decoded sum, and
 * checkpoints in the format of src/ml (so `npm run evaluate -- --model` reads them).
 */
import { type Checkpoint, createCheckpoint } from '../ml/checkpoint.js';
import { type MlpArchitecture, buildModel, mlpArchitecture } from '../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec, numInputs } from '../ml/scaling.js';
import { flattenWeights, setFlatWeights } from '../ml/weights.js';
import { decodeSum } from '../dp/pipeline.js';
import { paddedLength } from '../dp/rotation.js';
import type { DpRoundParams } from '../dp/round.js';
import { type QuantizationOptions, dequantizeMean, maxQuantized } from '../secagg/index.js';

export interface GlobalModel {
  readonly architecture: MlpArchitecture;
  readonly scaling: ScalingSpec;
  weights: Float32Array;
}

export function initialModel(hidden: readonly number[], seed: number): GlobalModel {
  const scaling = DEFAULT_SCALING;
  const architecture = mlpArchitecture(numInputs(scaling), hidden);
  const m = buildModel(architecture, seed);
  try {
    return { architecture, scaling, weights: flattenWeights(m) };
  } finally {
    m.dispose();
  }
}

export function modelFromCheckpoint(c: Checkpoint): GlobalModel {
  return { architecture: c.manifest.architecture, scaling: c.manifest.scaling, weights: c.weights };
}

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

export function toCheckpoint(g: GlobalModel, meta: Record<string, unknown>): Checkpoint {
  const m = buildModel(g.architecture);
  try {
    setFlatWeights(m, g.weights);
    return createCheckpoint(m, g.architecture, g.scaling, 0.5, meta);
  } finally {
    m.dispose();
  }
}
