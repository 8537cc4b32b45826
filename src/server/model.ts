/**
 * The global model on the server: initial weights, FedAvg application of a decoded sum, and
 * checkpoints in the format of src/ml (so `npm run evaluate -- --model` reads them).
 */
import { type Checkpoint, createCheckpoint } from '../ml/checkpoint.js';
import { type MlpArchitecture, buildModel, mlpArchitecture } from '../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec, numInputs } from '../ml/scaling.js';
import { flattenWeights, setFlatWeights } from '../ml/weights.js';

/** The FedAvg step itself is pure and shared with the audit (src/wire/fedavg.ts). */
export { type DpDecoding, applyDecodedSum, decodeMean } from '../wire/fedavg.js';

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

export function toCheckpoint(g: GlobalModel, meta: Record<string, unknown>): Checkpoint {
  const m = buildModel(g.architecture);
  try {
    setFlatWeights(m, g.weights);
    return createCheckpoint(m, g.architecture, g.scaling, 0.5, meta);
  } finally {
    m.dispose();
  }
}
