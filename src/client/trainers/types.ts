/**
 * What the participant engine asks of local training and evaluation, as interfaces only: the
 * engine imports these, never an implementation. Implementations: MlTrainer and MlEvaluator
 * (ml-trainer.ts, ml-evaluator.ts; any tfjs backend, Node's cpu included) and BrowserTrainer
 * (browser-trainer.ts; the browser's chosen backend, retried after a device loss).
 */

/** One round's training task: the global model and the server's training parameters. */
export interface TrainInput {
  round: number;
  weights: Float32Array;
  architecture: unknown;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export interface TrainOutput {
  delta: Float32Array;
  numSamples: number;
  loss?: number;
}

export interface LocalTrainer {
  train(input: TrainInput, progress: (fraction: number, detail?: string) => void): Promise<TrainOutput>;
}

export interface LocalEvaluator {
  /** Statistics of the model with these weights on the local held-out rows. */
  evaluate(weights: Float32Array, architecture: unknown): Promise<Float64Array>;
}
