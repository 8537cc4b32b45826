/**
 * The global model on the server: initial weights, FedAvg application of a decoded sum, and
 * checkpoints in the format of src/ml (so `npm run evaluate -- --model` reads them).
 */
import { type Checkpoint, createCheckpoint } from '../ml/checkpoint.js';
import { type MlpArchitecture, buildModel, mlpArchitecture } from '../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec, numInputs } from '../ml/scaling.js';
import { flattenWeights, setFlatWeights } from '../ml/weights.js';
import { type QuantizationOptions, dequantizeMean } from '../secagg/index.js';

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

/** new = global + Σ wᵢ·Δᵢ / Σ wᵢ, from the exact integer sum (update coordinates then weight);
 * also returns that mean update Σ wᵢ·Δᵢ / Σ wᵢ. */
export function applyDecodedSum(
  global: Float32Array,
  sum: Float64Array,
  q: QuantizationOptions,
): { weights: Float32Array; mean: Float32Array; weightSum: number } {
  const { mean, weightSum } = dequantizeMean(sum.subarray(0, global.length + 1), q);
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
