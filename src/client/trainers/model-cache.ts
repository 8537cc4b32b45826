/**
 * One tfjs model per architecture, reused across rounds (building a model allocates its
 * variables; a participant needs only one at a time). A `generation` (the browser's backend
 * generation) forces a fresh model after a backend switch, since the old one's tensors lived
 * on the lost backend.
 */
import type * as tf from '@tensorflow/tfjs';
import { type MlpArchitecture, buildModel } from '../../ml/model.js';

export class ModelCache {
  private model: tf.LayersModel | undefined;
  private key: string | undefined;

  get(arch: MlpArchitecture, generation = 0): tf.LayersModel {
    const key = `${generation}:${JSON.stringify(arch)}`;
    if (!this.model || this.key !== key) {
      this.dispose();
      this.model = buildModel(arch);
      this.key = key;
    }
    return this.model;
  }

  dispose(): void {
    try {
      this.model?.dispose();
    } catch {
      // Its tensors lived on a lost device; there is nothing left to free.
    }
    this.model = undefined;
    this.key = undefined;
  }
}
