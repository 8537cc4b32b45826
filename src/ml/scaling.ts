/**
 * Fixed feature scaling: raw `Time, V1..V28, Amount` → model inputs.
 *
 * Decision: fixed, data-independent transforms rather than statistics learned
 * from the data. Every client computes identical inputs with no data
 * exchange, no extra secure-aggregation round, nothing to leak, and the
 * transform is fully described by the constants stored in each checkpoint.
 *
 * - V1..V28 → `sign(v)·log1p(|v|)`: identity-like near 0 (where legitimate
 *   traffic lives, |v| ≲ 2), but compresses the extreme fraud values (down to
 *   −100) so they cannot saturate the network.
 * - Amount → `(log1p(amount) − 3.135) / 1.7`: 3.135 = log1p(22.00), the
 *   published median; 1.7 ≈ the spread of log-amount implied by the published
 *   mean/median (log-normal σ ≈ 1.67).
 * - Time → time of day as `sin, cos(2π·(t mod 86400)/86400)` (the window starts
 *   at midnight). The absolute time carries no transferable signal (it only
 *   encodes which of two days), so it is not used. Optional (`useTime`).
 */
import { COL_AMOUNT, COL_TIME, NUM_RAW, type Dataset } from './dataset';
import { MlInputError } from './errors';

/** The scaling recorded in checkpoints. */
export interface ScalingSpec {
  readonly id: 'fixed-v1';
  readonly amountCenter: number;
  readonly amountScale: number;
  /** Whether the two time-of-day inputs are present. */
  readonly useTime: boolean;
}

export const DEFAULT_SCALING: ScalingSpec = { id: 'fixed-v1', amountCenter: 3.135, amountScale: 1.7, useTime: true };

/** Number of model inputs produced by `spec` (29 or 31). */
export function numInputs(spec: ScalingSpec): number {
  return 28 + 1 + (spec.useTime ? 2 : 0);
}

/** Checks an untrusted scaling object (e.g. from a checkpoint). */
export function parseScaling(value: unknown): ScalingSpec {
  const v = value as Partial<ScalingSpec> | null;
  if (
    !v ||
    v.id !== 'fixed-v1' ||
    typeof v.amountCenter !== 'number' ||
    typeof v.amountScale !== 'number' ||
    !(v.amountScale > 0) ||
    typeof v.useTime !== 'boolean'
  ) {
    throw new MlInputError(`unsupported scaling spec: ${JSON.stringify(value)}`);
  }
  return { id: v.id, amountCenter: v.amountCenter, amountScale: v.amountScale, useTime: v.useTime };
}

const signedLog = (v: number): number => (v < 0 ? -Math.log1p(-v) : Math.log1p(v));

/** Row-major `size × numInputs(spec)` model inputs for `data`. */
export function transformFeatures(data: Dataset, spec: ScalingSpec = DEFAULT_SCALING): Float32Array {
  const d = numInputs(spec);
  const out = new Float32Array(data.size * d);
  const f = data.features;
  for (let r = 0; r < data.size; r++) {
    const i = r * NUM_RAW;
    const o = r * d;
    for (let k = 0; k < 28; k++) out[o + k] = signedLog(f[i + 1 + k] as number);
    out[o + 28] = (Math.log1p(Math.max(0, f[i + COL_AMOUNT] as number)) - spec.amountCenter) / spec.amountScale;
    if (spec.useTime) {
      const phase = (2 * Math.PI * ((f[i + COL_TIME] as number) % 86400)) / 86400;
      out[o + 29] = Math.sin(phase);
      out[o + 30] = Math.cos(phase);
    }
  }
  return out;
}
