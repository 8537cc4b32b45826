/**
 * A LocalTrainer backed by src/ml: trains the global model on this participant's rows on
 * whatever tfjs backend is active (cpu in Node; the browser picks its own) and returns the
 * weight delta. The model object is reused across rounds.
 */
import type { Dataset } from '../../ml/dataset.js';
import { localUpdate } from '../../ml/federated.js';
import { parseArchitecture } from '../../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec } from '../../ml/scaling.js';
import { ModelCache } from './model-cache.js';
import type { LocalTrainer, TrainInput, TrainOutput } from './types.js';

export class MlTrainer implements LocalTrainer {
  private readonly models = new ModelCache();

  constructor(
    private readonly data: Dataset,
    private readonly seed = 0,
    private readonly scaling: ScalingSpec = DEFAULT_SCALING,
  ) {}

  async train(input: TrainInput, progress: (fraction: number, detail?: string) => void): Promise<TrainOutput> {
    const arch = parseArchitecture(input.architecture);
    const out = await localUpdate(input.weights, this.data, {
      arch,
      scaling: this.scaling,
      model: this.models.get(arch),
      epochs: input.epochs,
      batchSize: input.batchSize,
      learningRate: input.learningRate,
      seed: this.seed + input.round,
      onProgress: (p) => {
        if (p.kind === 'epoch')
          progress((p.epoch + 1) / p.epochs, `epoch ${p.epoch + 1}/${p.epochs}, loss ${p.loss.toFixed(4)}`);
      },
    });
    return { delta: out.delta, numSamples: out.numSamples, loss: out.trainLoss };
  }

  dispose(): void {
    this.models.dispose();
  }
}
