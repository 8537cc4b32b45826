/** Batched inference: fraud scores (probabilities) from raw datasets or model inputs. */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from './dataset';
import { require_ } from './errors';
import { transformFeatures, type ScalingSpec } from './scaling';

/** Scores `sigmoid(model(x))` for row-major inputs `x` with `d` columns. */
export async function predictScores(
  model: tf.LayersModel,
  x: Float32Array,
  d: number,
  batchSize = 4096,
): Promise<Float32Array> {
  require_(x.length % d === 0, `input length ${x.length} is not a multiple of ${d}`);
  const n = x.length / d;
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const p = tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
      return tf.sigmoid(model.predict(xb) as tf.Tensor);
    });
    out.set(await p.data(), start);
    p.dispose();
  }
  return out;
}

/** Scores for a raw dataset under the given scaling. */
export async function predictDataset(
  model: tf.LayersModel,
  data: Dataset,
  scaling: ScalingSpec,
): Promise<Float32Array> {
  const x = transformFeatures(data, scaling);
  const d = data.size === 0 ? 1 : x.length / data.size;
  return predictScores(model, x, d);
}
