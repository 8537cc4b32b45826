/**
 * A LocalTrainer backed by src/ml: trains the global model on this participant's rows on
 * whatever tfjs backend is active (cpu in Node; the browser picks its own) and returns the
 * weight delta. The model object is reused across rounds.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../ml/dataset.js';
import { localUpdate } from '../ml/federated.js';
import { type MlpArchitecture, buildModel, parseArchitecture } from '../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec } from '../ml/scaling.js';
import type { LocalTrainer, TrainInput, TrainOutput } from './engine.js';

export class MlTrainer implements LocalTrainer {
  private model: tf.LayersModel | undefined;
  private arch: string | undefined;

  constructor(
    private readonly data: Dataset,
    private readonly seed = 0,
    private readonly scaling: ScalingSpec = DEFAULT_SCALING,
  ) {}

  private modelFor(arch: MlpArchitecture): tf.LayersModel {
    const key = JSON.stringify(arch);
    if (!this.model || this.arch !== key) {
      this.model?.dispose();
      this.model = buildModel(arch);
      this.arch = key;
    }
    return this.model;
  }

  async train(input: TrainInput, progress: (fraction: number, detail?: string) => void): Promise<TrainOutput> {
    const arch = parseArchitecture(input.architecture);
    const out = await localUpdate(input.weights, this.data, {
      arch,
      scaling: this.scaling,
      model: this.modelFor(arch),
      epochs: input.epochs,
      batchSize: input.batchSize,
      learningRate: input.learningRate,
      seed: this.seed + input.round,
      onProgress: (p) => {
        if (p.kind === 'epoch') progress((p.epoch + 1) / p.epochs, `epoch ${p.epoch + 1}/${p.epochs}, loss ${p.loss.toFixed(4)}`);
      },
    });
    return { delta: out.delta, numSamples: out.numSamples, loss: out.trainLoss };
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}
