/** Text formatting of metrics for the commands. */
import type { Metrics } from '../../src/ml/metrics';

/** A two-column table of every metric. */
export function formatMetrics(m: Metrics): string {
  const rows: [string, string][] = [
    ['rows (n)', String(m.n)],
    ['frauds', String(m.frauds)],
    ['loss (BCE)', m.loss.toFixed(5)],
    ['AUC-PR (avg precision)', m.auc_pr.toFixed(4)],
    ['ROC-AUC', m.roc_auc.toFixed(4)],
    ['recall @ 1% FPR', m.recall_at_1pct_fpr.toFixed(4)],
    ['threshold', m.threshold.toPrecision(4)],
    ['precision', m.precision.toFixed(4)],
    ['recall', m.recall.toFixed(4)],
    ['F1', m.f1.toFixed(4)],
    ['TP / FP / TN / FN', `${m.tp} / ${m.fp} / ${m.tn} / ${m.fn}`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}
