import { describe, expect, it } from 'vitest';
import { partitionDataset } from '../ml/partition.js';
import { STATS_LENGTH, STATS_OFFSETS, addStats, metricsToStats, statsToMetrics } from '../ml/stats.js';
import { generateSynthetic } from '../ml/synthetic.js';
import { LOSS_SCALE, METRIC_COORDINATES, MetricsRangeError, decodeStats, encodeStats, vectorLayout } from './layout.js';

/** A fixed, imperfect scorer: a logistic function of two fraud-shifted components. */
function scores(rows: ReturnType<typeof generateSynthetic>): Float64Array {
  const out = new Float64Array(rows.size);
  const d = rows.features.length / rows.size;
  for (let i = 0; i < rows.size; i++) {
    const v14 = rows.features[i * d + 14] as number;
    const v12 = rows.features[i * d + 12] as number;
    out[i] = 1 / (1 + Math.exp(0.8 * (v14 + v12) + 4));
  }
  return out;
}

describe('secure metrics layout', () => {
  it('places update, weight and metric digits', () => {
    expect(vectorLayout(1569, true)).toEqual({
      params: 1569,
      update: 1569,
      weightIndex: 1569,
      metricsOffset: 1570,
      length: 1570 + METRIC_COORDINATES,
    });
    expect(vectorLayout(1569, false)).toEqual({
      params: 1569,
      update: 1569,
      weightIndex: 1569,
      metricsOffset: -1,
      length: 1570,
    });
  });

  it('a DP round holds d = 2^⌈log2 P⌉ privatized coordinates before the weight (docs/dp.md §12)', () => {
    expect(vectorLayout(1569, true, true)).toEqual({
      params: 1569,
      update: 2048,
      weightIndex: 2048,
      metricsOffset: 2049,
      length: 2049 + METRIC_COORDINATES,
    });
    expect(vectorLayout(1024, false, true).length).toBe(1025);
  });

  it('encode per client → sum of digits → decode equals the metrics of the pooled data', () => {
    const data = generateSynthetic({ rows: 20_000, fraudRate: 0.02, seed: 4 });
    const clients = partitionDataset(data, { clients: 7, mode: 'non-iid', seed: 3 });
    const perClient = clients.map((c) => metricsToStats(scores(c), c.labels, 0.5));
    const digits = perClient.map((s) => encodeStats(s, 16));
    for (const d of digits) for (const x of d) expect(x >= 0 && x <= 32767).toBe(true); // within the b-bit budget
    const summed = new Float64Array(METRIC_COORDINATES);
    for (const d of digits) for (let i = 0; i < d.length; i++) summed[i] = (summed[i] as number) + (d[i] as number);
    const decoded = decodeStats(summed, 16);
    const pooled = metricsToStats(
      Array.from(clients, scores).flatMap((s) => Array.from(s)),
      clients.flatMap((c) => Array.from(c.labels)),
      0.5,
    );
    for (let i = 0; i < STATS_LENGTH; i++) {
      if (i === STATS_OFFSETS.lossSum)
        expect(Math.abs((decoded[i] as number) - (pooled[i] as number))).toBeLessThanOrEqual(
          clients.length / (2 * LOSS_SCALE) + 1e-9,
        );
      else expect(decoded[i]).toBe(pooled[i]);
    }
    expect(addStats(...perClient)[STATS_OFFSETS.n]).toBe(20_000);
    const a = statsToMetrics(decoded);
    const b = statsToMetrics(pooled);
    expect(a.auc_pr).toBe(b.auc_pr);
    expect(a.roc_auc).toBe(b.roc_auc);
    expect(a.recall_at_1pct_fpr).toBe(b.recall_at_1pct_fpr);
    expect(a.loss).toBeCloseTo(b.loss, 4);
    expect(a.auc_pr).toBeGreaterThan(0.1); // the scorer carries signal; the check is not vacuous
  });

  it('carries counts beyond one coordinate (two digits) and refuses what does not fit', () => {
    const s = new Float64Array(STATS_LENGTH);
    s[STATS_OFFSETS.n] = 123_456_789;
    s[STATS_OFFSETS.lossSum] = 1000.5;
    const back = decodeStats(encodeStats(s, 16), 16);
    expect(back[STATS_OFFSETS.n]).toBe(123_456_789);
    expect(back[STATS_OFFSETS.lossSum]).toBe(1000.5);
    s[STATS_OFFSETS.n] = 2 ** 30;
    expect(() => encodeStats(s, 16)).toThrow(MetricsRangeError);
    s[STATS_OFFSETS.n] = 1.5;
    expect(() => encodeStats(s, 16)).toThrow(MetricsRangeError);
    expect(() => encodeStats(new Float64Array(3), 16)).toThrow(MetricsRangeError);
  });
});
