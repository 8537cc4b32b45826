/**
 * `GET /rounds.json`: the persisted round log (the data directory's `rounds.jsonl`, one line per
 * finished round, failures included) in the compact form the dashboard counts from, so its
 * counts, table and charts agree with the log across server restarts. Served by `npm start` /
 * `npm run demo` (scripts/round-log.ts); validated by the dashboard before use.
 */
import * as v from 'valibot';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const finite = v.pipe(v.number(), v.finite());

export const LoggedRoundSchema = v.object({
  round: count,
  ok: v.boolean(),
  code: v.optional(v.string()),
  reason: v.optional(v.string()),
  versionBefore: count,
  versionAfter: count,
  /** How many trainers were asked, sent in time, and committee members answered. */
  trainers: count,
  survivors: count,
  answered: count,
  m: count,
  tRec: count,
  totalMs: v.optional(finite),
  bytesIn: count,
  /** A decoded DP round: the federation's ε(δ) after it (docs/dp.md §12). */
  epsilon: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
  /** The federation's secure metrics of the starting model (versionBefore), when decoded. */
  metrics: v.optional(
    v.object({
      version: count,
      n: count,
      frauds: count,
      loss: finite,
      auc_pr: finite,
      roc_auc: finite,
      recall_at_1pct_fpr: finite,
      precision: finite,
      recall: finite,
      f1: finite,
    }),
  ),
});

export type LoggedRound = v.InferOutput<typeof LoggedRoundSchema>;

export const RoundLogSchema = v.object({ rounds: v.array(LoggedRoundSchema) });
export type RoundLog = v.InferOutput<typeof RoundLogSchema>;

/** The log from its JSON, or undefined when it does not check (the dashboard then ignores it). */
export function parseRoundLog(json: unknown): RoundLog | undefined {
  const r = v.safeParse(RoundLogSchema, json);
  return r.success ? r.output : undefined;
}
