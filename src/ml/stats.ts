/**
 * Metrics as additive sufficient statistics, so a federation can aggregate
 * evaluation results securely (element-wise sum of the clients' vectors).
 *
 * Layout of the flat vector (length {@link STATS_LENGTH} = 7 + 2·512):
 *
 * | index            | content                                             |
 * |------------------|-----------------------------------------------------|
 * | 0                | n — number of rows                                  |
 * | 1                | positives — number of frauds                        |
 * | 2                | lossSum — Σ binary cross-entropy (float)            |
 * | 3, 4, 5, 6       | TP, FP, TN, FN at the decision threshold            |
 * | 7 … 7+B−1        | histogram of legitimate rows' scores, B = 512 bins  |
 * | 7+B … 7+2B−1     | histogram of fraud rows' scores                     |
 *
 * Bins are uniform in logit space: bin i covers logit(score) ∈
 * [−16 + i·w, −16 + (i+1)·w), w = 32/512 = 0.0625; scores are clipped to
 * [1e-7, 1 − 1e-7] (logit ±16.1) and out-of-range logits go to the end bins.
 * Logit bins keep resolution at both ends, where an imbalanced classifier's
 * scores concentrate. From the histograms AUC-PR, ROC-AUC and recall@1%FPR
 * are computed exactly as for scores rounded to their bin (ties within a bin).
 * All entries but lossSum are integer counts.
 */
import { require_ } from './errors';
import { bce, metricsFromCounts, PROB_EPS, type Metrics } from './metrics';

export const STATS_BINS = 512;
export const STATS_LOGIT_MIN = -16;
export const STATS_LOGIT_MAX = 16;
export const STATS_OFFSETS = {
  n: 0,
  positives: 1,
  lossSum: 2,
  tp: 3,
  fp: 4,
  tn: 5,
  fn: 6,
  negHist: 7,
  posHist: 7 + STATS_BINS,
} as const;
export const STATS_LENGTH = 7 + 2 * STATS_BINS;

/** Histogram bin of a score. */
export function scoreBin(score: number): number {
  const p = Math.min(1 - PROB_EPS, Math.max(PROB_EPS, score));
  const logit = Math.log(p / (1 - p));
  const w = (STATS_LOGIT_MAX - STATS_LOGIT_MIN) / STATS_BINS;
  return Math.min(STATS_BINS - 1, Math.max(0, Math.floor((logit - STATS_LOGIT_MIN) / w)));
}

/** Sufficient statistics of predictions `scores` vs `labels` at `threshold`. */
export function metricsToStats(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): Float64Array {
  require_(scores.length === labels.length, `scores (${scores.length}) and labels (${labels.length}) differ in length`);
  const s = new Float64Array(STATS_LENGTH);
  const O = STATS_OFFSETS;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] as number;
    const y = labels[i] as number;
    require_(Number.isFinite(p) && p >= 0 && p <= 1, `score at ${i} is ${p}, expected a probability in [0, 1]`);
    require_(y === 0 || y === 1, `label at ${i} is ${y}, expected 0 or 1`);
    s[O.n]!++;
    s[O.positives]! += y;
    s[O.lossSum]! += bce(p, y);
    const flagged = p >= threshold;
    s[y === 1 ? (flagged ? O.tp : O.fn) : flagged ? O.fp : O.tn]!++;
    s[(y === 1 ? O.posHist : O.negHist) + scoreBin(p)]!++;
  }
  return s;
}

/** Element-wise sum of stats vectors (e.g. from several clients). */
export function addStats(...parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(STATS_LENGTH);
  for (const p of parts) {
    require_(p.length === STATS_LENGTH, `stats vector has length ${p.length}, expected ${STATS_LENGTH}`);
    for (let i = 0; i < STATS_LENGTH; i++) out[i]! += p[i] as number;
  }
  return out;
}

/** Metrics from (aggregated) sufficient statistics; `threshold` is only echoed. */
export function statsToMetrics(stats: Float64Array, threshold = 0.5): Metrics {
  require_(stats.length === STATS_LENGTH, `stats vector has length ${stats.length}, expected ${STATS_LENGTH}`);
  const O = STATS_OFFSETS;
  const g = (i: number): number => stats[i] as number;
  const [n, pos, tp, fp, tn, fn] = [g(O.n), g(O.positives), g(O.tp), g(O.fp), g(O.tn), g(O.fn)];
  const steps: { tp: number; fp: number }[] = [];
  let ctp = 0;
  let cfp = 0;
  for (let b = STATS_BINS - 1; b >= 0; b--) {
    const dp = g(O.posHist + b);
    const dn = g(O.negHist + b);
    if (dp === 0 && dn === 0) continue;
    ctp += dp;
    cfp += dn;
    steps.push({ tp: ctp, fp: cfp });
  }
  return metricsFromCounts({ n, pos, lossSum: g(O.lossSum), tp, fp, tn, fn, threshold }, steps);
}
