/**
 * Imbalance-aware losses computed from logits (numerically stable).
 *
 * - `weighted-bce`: binary cross-entropy with the fraud class weighted by
 *   `posWeight` (class weights).
 * - `focal`: focal loss (Lin et al. 2017), `α_t (1 − p_t)^γ · CE`, which
 *   down-weights easy negatives without needing the fraud rate — convenient in
 *   a federation where no party knows the global class balance.
 */
import * as tf from '@tensorflow/tfjs';
import { require_ } from './errors';

export type LossSpec =
  | { readonly kind: 'weighted-bce'; readonly posWeight: number }
  | { readonly kind: 'focal'; readonly gamma: number; readonly alpha: number };

export const DEFAULT_LOSS: LossSpec = { kind: 'weighted-bce', posWeight: 5 };

/** Validates a loss spec. */
export function checkLoss(spec: LossSpec): LossSpec {
  if (spec.kind === 'weighted-bce') require_(spec.posWeight > 0, `posWeight must be > 0, got ${spec.posWeight}`);
  else {
    require_(spec.kind === 'focal', `unknown loss kind ${String((spec as { kind: unknown }).kind)}`);
    require_(spec.gamma >= 0, `focal gamma must be >= 0, got ${spec.gamma}`);
    require_(spec.alpha > 0 && spec.alpha < 1, `focal alpha must be in (0, 1), got ${spec.alpha}`);
  }
  return spec;
}

/** Per-example BCE from logits: max(z,0) − z·y + log(1 + e^{−|z|}). */
function bceWithLogits(y: tf.Tensor, z: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
}

/** Mean loss over the batch; `y` and `z` have shape [n, 1]. */
export function lossFromLogits(spec: LossSpec, y: tf.Tensor, z: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const ce = bceWithLogits(y, z);
    if (spec.kind === 'weighted-bce') {
      const w = tf.add(1, tf.mul(y, spec.posWeight - 1));
      return tf.mean<tf.Scalar>(tf.mul(w, ce));
    }
    const p = tf.sigmoid(z);
    const pt = tf.add(tf.mul(y, p), tf.mul(tf.sub(1, y), tf.sub(1, p)));
    const alphaT = tf.add(tf.mul(y, spec.alpha), tf.mul(tf.sub(1, y), 1 - spec.alpha));
    const mod = tf.pow(tf.sub(1, pt), spec.gamma);
    return tf.mean<tf.Scalar>(tf.mul(tf.mul(alphaT, mod), ce));
  });
}
