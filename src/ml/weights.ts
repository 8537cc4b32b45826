/**
 * Flat weight vectors: the shape the secure-aggregation core consumes.
 *
 * The flat layout is the concatenation, in `model.getWeights()` order
 * (layer by layer: kernel row-major, then bias), of every weight tensor as
 * float32. `setFlatWeights(m, flattenWeights(m))` is lossless.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from './errors';

/** Name and shape of one weight tensor in the flat layout. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The specs of the model's weights, in flat-layout order. */
export function weightSpecs(model: tf.LayersModel): WeightSpec[] {
  return model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[] }));
}

function shapeSize(shape: readonly (number | null)[]): number {
  let n = 1;
  for (const d of shape) n *= d ?? 0;
  return n;
}

/** Total number of scalars in the flat layout. */
export function flatLength(model: tf.LayersModel): number {
  return model.weights.reduce((s, w) => s + shapeSize(w.shape), 0);
}

/** All weights of `model` as one Float32Array. */
export function flattenWeights(model: tf.LayersModel): Float32Array<ArrayBuffer> {
  const tensors = model.getWeights();
  const out = new Float32Array(flatLength(model));
  let off = 0;
  for (const t of tensors) {
    const v = t.dataSync() as Float32Array;
    out.set(v, off);
    off += v.length;
  }
  return out;
}

/** Loads a flat vector produced by {@link flattenWeights} into `model`. */
export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const expected = flatLength(model);
  if (!(flat instanceof Float32Array) || flat.length !== expected) {
    throw new ShapeMismatchError(`flat weights have length ${flat.length}, the model needs ${expected}`);
  }
  let off = 0;
  const tensors = model.weights.map((w) => {
    const size = shapeSize(w.shape);
    const t = tf.tensor(flat.subarray(off, off + size), w.shape as number[], 'float32');
    off += size;
    return t;
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}
