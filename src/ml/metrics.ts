/**
 * Exact evaluation metrics from scores (fraud probabilities) and 0/1 labels.
 *
 * - `loss`: mean binary cross-entropy, probabilities clipped to [1e-7, 1 − 1e-7].
 * - `auc_pr`: average precision, AP = Σ_k (R_k − R_{k−1}) · P_k over distinct
 *   score thresholds (tied scores form one step), as in scikit-learn.
 * - `roc_auc`: Mann–Whitney statistic, ties counted ½.
 * - `recall_at_1pct_fpr`: the highest recall of any score threshold whose
 *   false-positive rate is ≤ 1 %.
 * - precision / recall / F1 at `threshold`: a row is flagged when score ≥ threshold.
 */
import { require_ } from './errors';

/** All metrics reported by the project. Undefined ratios (0/0) are reported as 0. */
export interface Metrics {
  readonly n: number;
  readonly frauds: number;
  readonly loss: number;
  readonly auc_pr: number;
  readonly roc_auc: number;
  readonly recall_at_1pct_fpr: number;
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export const PROB_EPS = 1e-7;

/** Binary cross-entropy of one prediction (clipped). */
export function bce(score: number, label: number): number {
  const p = Math.min(1 - PROB_EPS, Math.max(PROB_EPS, score));
  return label === 1 ? -Math.log(p) : -Math.log(1 - p);
}

export const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
export const f1Score = (tp: number, fp: number, fn: number): number => ratio(2 * tp, 2 * tp + fp + fn);

/** One threshold step of the ranking: cumulative TP/FP at a distinct score, descending. */
export interface RankStep {
  readonly score: number;
  readonly tp: number;
  readonly fp: number;
}

/** Cumulative (TP, FP) at each distinct score, from the highest score down. */
export function rankSteps(scores: ArrayLike<number>, labels: ArrayLike<number>): RankStep[] {
  checkInputs(scores, labels);
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const steps: RankStep[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i] as number;
    if (labels[k] === 1) tp++;
    else fp++;
    const next = idx[i + 1];
    if (next === undefined || scores[next] !== scores[k]) steps.push({ score: scores[k] as number, tp, fp });
  }
  return steps;
}

/** AP, ROC-AUC and recall at `maxFpr` from cumulative steps (shared with the histogram path). */
export function curveMetrics(steps: readonly { tp: number; fp: number }[], pos: number, neg: number, maxFpr = 0.01) {
  let ap = 0;
  let auc = 0;
  let recallAtFpr = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (const s of steps) {
    if (pos > 0) ap += ((s.tp - prevTp) / pos) * ratio(s.tp, s.tp + s.fp);
    auc += (s.fp - prevFp) * (prevTp + (s.tp - prevTp) / 2);
    if (neg > 0 && s.fp / neg <= maxFpr + 1e-12 && pos > 0) recallAtFpr = Math.max(recallAtFpr, s.tp / pos);
    prevTp = s.tp;
    prevFp = s.fp;
  }
  return { auc_pr: ap, roc_auc: pos > 0 && neg > 0 ? auc / (pos * neg) : 0, recall_at_1pct_fpr: recallAtFpr };
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  require_(scores.length === labels.length, `scores (${scores.length}) and labels (${labels.length}) differ in length`);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    require_(Number.isFinite(s) && s >= 0 && s <= 1, `score at ${i} is ${s}, expected a probability in [0, 1]`);
    require_(labels[i] === 0 || labels[i] === 1, `label at ${i} is ${labels[i]}, expected 0 or 1`);
  }
}

/** Computes every metric exactly. */
export function computeMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): Metrics {
  const steps = rankSteps(scores, labels);
  let pos = 0;
  let lossSum = 0;
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i] as number;
    const s = scores[i] as number;
    pos += y;
    lossSum += bce(s, y);
    if (s >= threshold) y === 1 ? tp++ : fp++;
  }
  const n = scores.length;
  return metricsFromCounts({ n, pos, lossSum, tp, fp, tn: n - pos - fp, fn: pos - tp, threshold }, steps);
}

/** The Metrics record from counts and the ranked (tp, fp) steps — shared by the per-row and the
 * sufficient-statistics paths, so both report exactly the same fields the same way. */
export function metricsFromCounts(
  c: { n: number; pos: number; lossSum: number; tp: number; fp: number; tn: number; fn: number; threshold: number },
  steps: readonly { tp: number; fp: number }[],
): Metrics {
  return {
    n: c.n,
    frauds: c.pos,
    loss: ratio(c.lossSum, c.n),
    ...curveMetrics(steps, c.pos, c.n - c.pos),
    threshold: c.threshold,
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.pos),
    f1: f1Score(c.tp, c.fp, c.fn),
    tp: c.tp,
    fp: c.fp,
    tn: c.tn,
    fn: c.fn,
  };
}

/**
 * The decision threshold maximising F1 on (validation) predictions: a score
 * midway between the chosen step and the next lower distinct score.
 */
export function chooseThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const steps = rankSteps(scores, labels);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] as number;
  if (pos === 0 || steps.length === 0) return 0.5;
  let best = -1;
  let at = 0;
  steps.forEach((s, i) => {
    const f = f1Score(s.tp, s.fp, pos - s.tp);
    if (f > best) {
      best = f;
      at = i;
    }
  });
  const hi = (steps[at] as RankStep).score;
  const lo = steps[at + 1]?.score ?? 0;
  return (hi + lo) / 2;
}
