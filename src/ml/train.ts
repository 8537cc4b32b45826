/**
 * Backend-agnostic training loop (cpu, wasm, webgl, webgpu): seeded
 * mini-batch shuffling, an explicit `optimizer.minimize` step per batch and a
 * progress callback per batch and per epoch. With a deterministic backend
 * (cpu) the same seed gives bit-identical weights.
 */
import * as tf from '@tensorflow/tfjs';
import { require_ } from './errors';
import { checkLoss, DEFAULT_LOSS, lossFromLogits, type LossSpec } from './losses';
import { Rng } from './rng';

/** Options of {@link trainModel}. */
export interface TrainOptions {
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly optimizer?: 'adam' | 'sgd';
  readonly loss?: LossSpec;
  /** Seed of the mini-batch shuffling (default 0). */
  readonly seed?: number;
  readonly onProgress?: (p: TrainProgress) => void;
}

/** A progress event: after each batch (`kind: 'batch'`) and each epoch (`kind: 'epoch'`). */
export interface TrainProgress {
  readonly kind: 'batch' | 'epoch';
  /** 0-based epoch. */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based batch within the epoch (the last batch for `'epoch'` events). */
  readonly batch: number;
  readonly batches: number;
  /** Loss of this batch, or mean loss of the epoch for `'epoch'` events. */
  readonly loss: number;
  readonly samplesSeen: number;
}

/** Result of {@link trainModel}. */
export interface TrainSummary {
  /** Mean training loss of each epoch. */
  readonly epochLosses: number[];
  readonly samplesSeen: number;
}

export const DEFAULT_TRAIN = { epochs: 5, batchSize: 256, learningRate: 0.003, optimizer: 'adam' } as const;

/** How long training may hold the thread before it lets the event loop run (ms). */
const YIELD_EVERY_MS = 30;

/**
 * Lets queued events run (socket closes, repaints, timers). On the synchronous backends (cpu,
 * wasm) `await tensor.data()` settles as a microtask, so without this a whole training call
 * would block the page: a tab closed mid-training would still send its update afterwards.
 * Node: setImmediate; browsers: a MessageChannel message (no 4 ms timer clamp).
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(0);
  });
}

/**
 * Trains `model` in place on row-major inputs `x` (`d` columns) and 0/1
 * labels `y`.
 */
export async function trainModel(
  model: tf.LayersModel,
  x: Float32Array,
  y: Uint8Array,
  d: number,
  opts: TrainOptions = {},
): Promise<TrainSummary> {
  const epochs = opts.epochs ?? DEFAULT_TRAIN.epochs;
  const batchSize = opts.batchSize ?? DEFAULT_TRAIN.batchSize;
  const lr = opts.learningRate ?? DEFAULT_TRAIN.learningRate;
  const loss = checkLoss(opts.loss ?? DEFAULT_LOSS);
  const n = y.length;
  require_(x.length === n * d, `inputs have length ${x.length}, expected ${n} × ${d}`);
  require_(n > 0, 'cannot train on an empty dataset');
  require_(Number.isInteger(epochs) && epochs >= 0, `epochs must be a non-negative integer, got ${epochs}`);
  require_(Number.isInteger(batchSize) && batchSize >= 1, `batchSize must be a positive integer, got ${batchSize}`);
  require_(lr > 0 && Number.isFinite(lr), `learningRate must be > 0, got ${lr}`);

  const optimizer = (opts.optimizer ?? DEFAULT_TRAIN.optimizer) === 'adam' ? tf.train.adam(lr) : tf.train.sgd(lr);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const rng = new Rng(opts.seed ?? 0).fork('batches');
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const batches = Math.ceil(n / batchSize);
  const xb = new Float32Array(batchSize * d);
  const yb = new Float32Array(batchSize);
  const epochLosses: number[] = [];
  let seen = 0;
  let lastYield = performance.now();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      rng.shuffle(order);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * batchSize;
        const m = Math.min(batchSize, n - start);
        for (let j = 0; j < m; j++) {
          const r = order[start + j] as number;
          xb.set(x.subarray(r * d, (r + 1) * d), j * d);
          yb[j] = y[r] as number;
        }
        const xt = tf.tensor2d(xb.subarray(0, m * d), [m, d]);
        const yt = tf.tensor2d(yb.subarray(0, m), [m, 1]);
        const lt = optimizer.minimize(
          () => lossFromLogits(loss, yt, model.apply(xt, { training: true }) as tf.Tensor),
          true,
          vars,
        );
        const batchLoss = lt ? ((await lt.data())[0] as number) : NaN;
        tf.dispose(lt ? [xt, yt, lt] : [xt, yt]);
        sum += batchLoss * m;
        seen += m;
        opts.onProgress?.({ kind: 'batch', epoch, epochs, batch: b, batches, loss: batchLoss, samplesSeen: seen });
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      epochLosses.push(sum / n);
      opts.onProgress?.({
        kind: 'epoch',
        epoch,
        epochs,
        batch: batches - 1,
        batches,
        loss: sum / n,
        samplesSeen: seen,
      });
    }
  } finally {
    optimizer.dispose();
  }
  return { epochLosses, samplesSeen: seen };
}
