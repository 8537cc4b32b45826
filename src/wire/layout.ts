/**
 * What the masked vector holds (documented in docs/metrics.md):
 *
 *   [0, P)               the weight-scaled, quantized model delta (one coordinate per parameter);
 *                        in a DP round (docs/dp.md §12) the d = paddedLength(P) privatized
 *                        coordinates instead (rotated, rounded, noisy), and P below reads d
 *   P                    the FedAvg weight coordinate (src/secagg/quantize.ts; 2^(b−1) − 1 for
 *                        every trainer of a DP round: uniform weights)
 *   P+1 … P+2S           when the round has secure metrics: the S = STATS_LENGTH sufficient
 *                        statistics of src/ml/stats.ts (counts, loss sum, TP/FP/TN/FN, two score
 *                        histograms) of the round's global model on the trainer's held-out rows,
 *                        each as two base-B digits (lo, hi) with B = 2^(b−1), so that one
 *                        statistic up to B² − 1 fits coordinates bounded by B − 1. The loss sum
 *                        is fixed-point, scaled by LOSS_SCALE.
 *
 * Digits add up linearly — Σ(lo + B·hi) = Σlo + B·Σhi — so the server decodes the exact sums of
 * the statistics from the exact sum of the vectors, and never sees one trainer's metrics.
 */
import { paddedLength } from '../dp/rotation.js';
import { STATS_LENGTH, STATS_OFFSETS } from '../ml/stats.js';

export const LOSS_SCALE = 256;
export const METRIC_COORDINATES = 2 * STATS_LENGTH;

export interface VectorLayout {
  readonly params: number;
  /** Coordinates of the update part: `params`, or d = paddedLength(params) in a DP round. */
  readonly update: number;
  readonly weightIndex: number;
  /** Offset of the metric digits, or −1 when the round carries no metrics. */
  readonly metricsOffset: number;
  readonly length: number;
}

export function vectorLayout(params: number, metrics: boolean, dp = false): VectorLayout {
  if (!Number.isSafeInteger(params) || params < 1)
    throw new RangeError(`model must have at least one parameter, got ${params}`);
  const update = dp ? paddedLength(params) : params;
  return {
    params,
    update,
    weightIndex: update,
    metricsOffset: metrics ? update + 1 : -1,
    length: update + 1 + (metrics ? METRIC_COORDINATES : 0),
  };
}

export class MetricsRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsRangeError';
  }
}

/** One trainer's statistics → 2·S digits in [0, 2^(b−1) − 1]. */
export function encodeStats(stats: Float64Array, bits: number): Int32Array {
  if (stats.length !== STATS_LENGTH)
    throw new MetricsRangeError(`statistics vector has ${stats.length} entries, expected ${STATS_LENGTH}`);
  const base = 2 ** (bits - 1);
  const out = new Int32Array(METRIC_COORDINATES);
  for (let i = 0; i < STATS_LENGTH; i++) {
    const raw = stats[i] as number;
    const v = i === STATS_OFFSETS.lossSum ? Math.round(raw * LOSS_SCALE) : raw;
    if (!Number.isInteger(v) || v < 0 || v >= base * base)
      throw new MetricsRangeError(`statistic ${i} = ${raw} cannot be encoded in two ${bits - 1}-bit digits`);
    out[2 * i] = v % base;
    out[2 * i + 1] = Math.floor(v / base);
  }
  return out;
}

/** Summed digits → the summed statistics (exact; the loss sum to 1/LOSS_SCALE per trainer). */
export function decodeStats(digits: ArrayLike<number>, bits: number): Float64Array {
  if (digits.length !== METRIC_COORDINATES)
    throw new MetricsRangeError(`metric digits have ${digits.length} entries, expected ${METRIC_COORDINATES}`);
  const base = 2 ** (bits - 1);
  const out = new Float64Array(STATS_LENGTH);
  for (let i = 0; i < STATS_LENGTH; i++) {
    const v = (digits[2 * i] as number) + base * (digits[2 * i + 1] as number);
    out[i] = i === STATS_OFFSETS.lossSum ? v / LOSS_SCALE : v;
  }
  return out;
}

/** Upper bound of an encoded contribution, for the size limit checked before decoding. */
export function maxContributionBytes(length: number, m: number): number {
  const sealedMax = 2 * 2048 * 4 + 16; // ρ = 1 is the largest slice
  return 8 * length + m * (sealedMax + 8) + 4096;
}
