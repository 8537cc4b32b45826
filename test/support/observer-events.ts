/**
 * Observer-event fixtures: whole rounds as the server streams them (src/wire/events.ts), for
 * the dashboard's reducer tests and the replay test.
 */
import type { FederationEvent, FederationMetrics } from '../../src/wire/events.js';

/** Trainer and member ids of the fixture rounds. */
export const T = ['paaaaaaa11111111', 'pbbbbbbb22222222', 'pccccccc33333333', 'pddddddd44444444'];
export const M = ['pmmmmmm1xxxxxxxx', 'pmmmmmm2xxxxxxxx', 'pmmmmmm3xxxxxxxx'];

export function metrics(version: number, auc: number): FederationMetrics {
  return {
    version,
    n: 1000,
    frauds: 10,
    loss: 0.3,
    auc_pr: auc,
    roc_auc: 0.9,
    recall_at_1pct_fpr: auc / 2,
    precision: 0.5,
    recall: 0.5,
    f1: 0.5,
  };
}

export function started(round: number, version: number): FederationEvent {
  return {
    type: 'round_started',
    round,
    version,
    trainers: T,
    members: M,
    m: 3,
    tRec: 3,
    rho: 2,
    length: 4096,
    submitBy: 100_000,
    answerBy: 200_000,
    insecurePlaintext: false,
    insecureDemo: false,
  };
}

/** A successful round: every trainer but `drop` sends, every member answers. */
export function okRound(round: number, version: number, drop = 0): FederationEvent[] {
  const survivors = T.slice(0, T.length - drop);
  return [
    started(round, version),
    ...survivors.map((_, i): FederationEvent => ({
      type: 'contribution',
      round,
      received: i + 1,
      expected: T.length,
      bytes: (i + 1) * 1000,
    })),
    { type: 'cutoff', round, survivors, dropped: T.slice(T.length - drop) },
    ...M.map((_, i): FederationEvent => ({ type: 'answer', round, answered: i + 1, tRec: 3, m: 3 })),
    {
      type: 'round_done',
      round,
      version: version + 1,
      survivors,
      membersAnswered: [1, 2, 3],
      timings: { descriptor_ms: 5, cutoff_ms: 900, answers_ms: 1000, total_ms: 1200 },
      bytesIn: survivors.length * 1000 + 300,
      bytesOut: 5000,
      sumDigest: 'ab',
      metrics: metrics(version, 0.5 + version / 10),
      preview: { masked: [0.1, 0.9, 0.5], aggregate: [0.01, -0.02, 0] },
    },
  ];
}

export function failedRound(round: number, version: number): FederationEvent[] {
  return [
    started(round, version),
    ...T.map((_, i): FederationEvent => ({
      type: 'contribution',
      round,
      received: i + 1,
      expected: T.length,
      bytes: (i + 1) * 1000,
    })),
    { type: 'cutoff', round, survivors: T, dropped: [] },
    { type: 'answer', round, answered: 1, tRec: 3, m: 3 },
    {
      type: 'round_failed',
      round,
      version,
      code: 'THRESHOLD_NOT_MET',
      reason: 'only 1 consistent committee answers, 3 needed: 2 member(s) silent',
      timings: { total_ms: 900 },
      bytesIn: 5000,
      bytesOut: 7000,
    },
  ];
}
