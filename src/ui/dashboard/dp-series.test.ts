import { describe, expect, it } from 'vitest';
import type { FederationEvent } from '../../wire/events.js';
import { dpHeadline, dpSeries } from './dp-series.js';
import { initialState, reduce } from './state.js';

const metrics = (version: number, auc: number) => ({
  version,
  n: 100,
  frauds: 3,
  loss: 0.1,
  auc_pr: auc,
  roc_auc: 0.9,
  recall_at_1pct_fpr: 0.5,
  precision: 0.5,
  recall: 0.5,
  f1: 0.5,
});

function done(round: number, version: number, epsilon: number, auc?: number): FederationEvent {
  return {
    type: 'round_done',
    round,
    version,
    survivors: ['a', 'b', 'c'],
    membersAnswered: [1, 2, 3],
    timings: {},
    bytesIn: 1,
    bytesOut: 1,
    sumDigest: '',
    ...(auc !== undefined ? { metrics: metrics(version - 1, auc) } : {}),
    privacy: { epsilon, before: epsilon / 2, delta: 1e-5, honest: 3 },
    preview: { masked: [], aggregate: [] },
  };
}

describe('the dashboard privacy panel (docs/dp.md §12)', () => {
  it('ε per round, and each model’s AUC-PR against the ε of the round that made it', () => {
    let s = initialState();
    for (const e of [done(1, 1, 2), done(2, 2, 3, 0.4), done(3, 3, 3.8, 0.6)]) s = reduce(s, e);
    const series = dpSeries(s);
    expect(series.rounds).toEqual([1, 2, 3]);
    expect(series.epsilon).toEqual([2, 3, 3.8]);
    // v1 (made in round 1, ε 2) is measured in round 2; v2 (ε 3) in round 3; v3 not yet.
    expect(series.tradeoff).toEqual([
      { epsilon: 2, aucPr: 0.4, version: 1 },
      { epsilon: 3, aucPr: 0.6, version: 2 },
    ]);
    expect(s.privacy?.epsilon).toBe(3.8);
    expect(dpHeadline(s)).toMatch(/ε = 3\.80 \(no budget set/);
  });

  it('the budget event ends the story in words and keeps the last ε', () => {
    let s = reduce(initialState(), done(1, 1, 2));
    s = reduce(s, {
      type: 'privacy_budget_spent',
      epsilon: 2,
      next: 3.1,
      budget: 3,
      delta: 1e-5,
      rounds: 1,
      message: 'privacy budget spent: ε = 2.000 of 3.000',
    });
    expect(dpHeadline(s)).toBe('privacy budget spent: ε = 2.000 of 3.000');
    expect(s.story.at(-1)?.text).toMatch(/privacy budget is spent \(ε = 2\.00 of 3\.00\)/);
  });
});
