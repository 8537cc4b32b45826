/**
 * Local evaluation of the round's global model on this participant's held-out rows, as the
 * additive sufficient statistics of src/ml/stats.ts — what a trainer contributes to the
 * federation's securely aggregated metrics. Runs on whatever tfjs backend is active.
 */
import type { Dataset } from '../../ml/dataset.js';
import { parseArchitecture } from '../../ml/model.js';
import { predictDataset } from '../../ml/predict.js';
import { DEFAULT_SCALING, type ScalingSpec } from '../../ml/scaling.js';
import { metricsToStats } from '../../ml/stats.js';
import { setFlatWeights } from '../../ml/weights.js';
import { ModelCache } from './model-cache.js';
import type { LocalEvaluator } from './types.js';

/** The decision threshold the federation's models use (checkpoints record 0.5). */
export const FEDERATION_THRESHOLD = 0.5;

export class MlEvaluator implements LocalEvaluator {
  private readonly models = new ModelCache();

  constructor(
    private readonly data: Dataset,
    private readonly scaling: ScalingSpec = DEFAULT_SCALING,
  ) {}

  async evaluate(weights: Float32Array, architecture: unknown): Promise<Float64Array> {
    const model = this.models.get(parseArchitecture(architecture));
    setFlatWeights(model, weights);
    const scores = await predictDataset(model, this.data, this.scaling);
    return metricsToStats(scores, this.data.labels, FEDERATION_THRESHOLD);
  }

  dispose(): void {
    this.models.dispose();
  }
}
