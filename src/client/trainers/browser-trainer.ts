/**
 * Browser only: the browser's LocalTrainer, on the backend a BackendController watches. A
 * training call interrupted by a WebGPU device loss is retried once on the fallback backend.
 */
import type { Dataset } from '../../ml/dataset.js';
import { localUpdate } from '../../ml/federated.js';
import { parseArchitecture } from '../../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec } from '../../ml/scaling.js';
import { BackendController, BackendLostError, activeController } from '../backend/controller.js';
import { ModelCache } from './model-cache.js';
import type { LocalTrainer, TrainInput, TrainOutput } from './types.js';

class StaleAttempt extends Error {}

export interface BrowserTrainerOptions {
  /** Default: the controller of the last `chooseBackend` (one is created if none; {@link activeController}). */
  controller?: BackendController;
  /** Told the new backend and why after a fallback. */
  onBackendChange?: (name: string, reason: string) => void;
  /** Base seed of the mini-batch shuffling (plus the round number). */
  seed?: number;
  scaling?: ScalingSpec;
}

/**
 * LocalTrainer on the controller's backend (the same training as MlTrainer: `localUpdate`,
 * one model object reused across rounds). A call interrupted by a device loss is retried
 * once, from the same global weights, on the fallback backend with a fresh model.
 */
export class BrowserTrainer implements LocalTrainer {
  private readonly models = new ModelCache();
  private readonly backend: BackendController;
  private readonly seed: number;
  private readonly scaling: ScalingSpec;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly data: Dataset,
    opts: BrowserTrainerOptions | BackendController = {},
  ) {
    const o: BrowserTrainerOptions = opts instanceof BackendController ? { controller: opts } : opts;
    this.backend = o.controller ?? activeController();
    this.seed = o.seed ?? 0;
    this.scaling = o.scaling ?? DEFAULT_SCALING;
    const cb = o.onBackendChange;
    this.unsubscribe = cb ? this.backend.onFallback(() => cb(this.backend.name, this.backend.reason)) : undefined;
  }

  private async attempt(
    input: TrainInput,
    progress: (fraction: number, detail?: string) => void,
  ): Promise<TrainOutput> {
    await this.backend.settled();
    const gen = this.backend.generation;
    const arch = parseArchitecture(input.architecture);
    const loss = this.backend.nextLoss().then((ev) => {
      throw new BackendLostError(ev);
    });
    const run = localUpdate(input.weights, this.data, {
      arch,
      scaling: this.scaling,
      model: this.models.get(arch, this.backend.generation),
      epochs: input.epochs,
      batchSize: input.batchSize,
      learningRate: input.learningRate,
      seed: this.seed + input.round,
      onProgress: (p) => {
        // Stops an abandoned attempt at its next batch once the backend has changed.
        if (this.backend.generation !== gen) throw new StaleAttempt();
        if (p.kind === 'epoch')
          progress(
            (p.epoch + 1) / p.epochs,
            `epoch ${p.epoch + 1}/${p.epochs}, loss ${p.loss.toFixed(4)} (${this.backend.name})`,
          );
      },
    });
    run.catch(() => undefined);
    loss.catch(() => undefined);
    try {
      const out = await Promise.race([run, loss]);
      return { delta: out.delta, numSamples: out.numSamples, loss: out.trainLoss };
    } catch (e) {
      if (this.backend.generation !== gen && !(e instanceof BackendLostError)) {
        // The training op failed on the lost device before the loss was reported to us.
        await this.backend.settled();
        const message = e instanceof Error ? e.message : String(e);
        const event = this.backend.lastFallback ?? { from: 'previous backend', to: this.backend.name, message };
        throw new BackendLostError(event);
      }
      throw e;
    }
  }

  async train(input: TrainInput, progress: (fraction: number, detail?: string) => void): Promise<TrainOutput> {
    try {
      return await this.attempt(input, progress);
    } catch (e) {
      if (!(e instanceof BackendLostError) || e.event.to === undefined) throw e;
      progress(0, `backend ${e.event.from} lost; retrying on ${e.event.to}`);
      return await this.attempt(input, progress);
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    this.models.dispose();
  }
}
