/**
 * The fraud-detection model: a small MLP built with @tensorflow/tfjs.
 *
 * `inputs → Dense(h1, relu) → … → Dense(1, linear)`: the network outputs a
 * logit; scores are `sigmoid(logit)` (see `predict.ts`). Keeping the output
 * linear lets the losses be computed stably from logits. Initialisers are
 * seeded, so a given (architecture, seed) always yields the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { require_, MlInputError } from './errors';

/** Architecture recorded in checkpoints. */
export interface MlpArchitecture {
  readonly kind: 'mlp';
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly activation: 'relu';
  readonly output: 'logit';
}

/** Default hidden layer sizes. */
export const DEFAULT_HIDDEN: readonly number[] = [32, 16];

/** An architecture with the default hidden layers. */
export function mlpArchitecture(inputs: number, hidden: readonly number[] = DEFAULT_HIDDEN): MlpArchitecture {
  return { kind: 'mlp', inputs, hidden: [...hidden], activation: 'relu', output: 'logit' };
}

/** Checks an untrusted architecture object (e.g. from a checkpoint). */
export function parseArchitecture(value: unknown): MlpArchitecture {
  const v = value as Partial<MlpArchitecture> | null;
  const ok =
    !!v &&
    v.kind === 'mlp' &&
    Number.isInteger(v.inputs) &&
    (v.inputs as number) > 0 &&
    Array.isArray(v.hidden) &&
    v.hidden.every((h) => Number.isInteger(h) && h > 0) &&
    v.activation === 'relu' &&
    v.output === 'logit';
  if (!ok) throw new MlInputError(`unsupported architecture: ${JSON.stringify(value)}`);
  return mlpArchitecture(v.inputs as number, v.hidden as number[]);
}

/** Number of trainable parameters of `arch`. */
export function parameterCount(arch: MlpArchitecture): number {
  let n = 0;
  let prev = arch.inputs;
  for (const h of [...arch.hidden, 1]) {
    n += prev * h + h;
    prev = h;
  }
  return n;
}

/** Builds the model with seeded Glorot-uniform kernels and zero biases. */
export function buildModel(arch: MlpArchitecture, seed = 0): tf.Sequential {
  require_(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
  const model = tf.sequential();
  const sizes = [...arch.hidden, 1];
  sizes.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: i < arch.hidden.length ? arch.activation : 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 101 + i }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [arch.inputs] } : {}),
      }),
    );
  });
  return model;
}
