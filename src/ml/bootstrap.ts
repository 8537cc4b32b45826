/**
 * Paired bootstrap of a difference in AUC-PR (average precision) between two models scored on
 * the same rows: resample the rows with replacement, recompute both models' AUC-PR on each
 * resample, and report percentiles of the difference. It says how much of a measured gap is
 * the luck of a small test set (the real sample's test part has 63 frauds).
 */
import { require_ } from './errors';
import { computeMetrics } from './metrics';
import { Rng } from './rng';

export interface BootstrapInterval {
  /** AUC-PR(b) − AUC-PR(a) on the rows as given. */
  delta: number;
  /** Percentile interval of the resampled differences at `level`. */
  low: number;
  high: number;
  level: number;
  resamples: number;
}

const aucPr = (scores: ArrayLike<number>, labels: ArrayLike<number>): number => computeMetrics(scores, labels).auc_pr;

/**
 * @param labels 0/1 per row
 * @param a,b the two models' scores per row
 * @param opts resamples (default 2000), level (default 0.95), seed (default 1)
 */
export function pairedBootstrapAucPr(
  labels: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { resamples?: number; level?: number; seed?: number } = {},
): BootstrapInterval {
  const n = labels.length;
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  require_(
    a.length === n && b.length === n,
    `scores must have one entry per label (${n}); got ${a.length} and ${b.length}`,
  );
  require_(n > 0, 'no rows to resample');
  require_(Number.isSafeInteger(resamples) && resamples >= 10, `resamples must be an integer ≥ 10, got ${resamples}`);
  require_(level > 0 && level < 1, `level must be in (0, 1), got ${level}`);
  const rng = new Rng(opts.seed ?? 1);
  const ys = new Uint8Array(n);
  const sa = new Float64Array(n);
  const sb = new Float64Array(n);
  const diffs: number[] = [];
  while (diffs.length < resamples) {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      ys[i] = labels[j] as number;
      sa[i] = a[j] as number;
      sb[i] = b[j] as number;
      pos += ys[i] as number;
    }
    if (pos === 0 || pos === n) continue; // AUC-PR needs both classes
    diffs.push(aucPr(sb, ys) - aucPr(sa, ys));
  }
  diffs.sort((x, y) => x - y);
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))] as number;
  return {
    delta: aucPr(b, labels) - aucPr(a, labels),
    low: at((1 - level) / 2),
    high: at(1 - (1 - level) / 2),
    level,
    resamples,
  };
}
