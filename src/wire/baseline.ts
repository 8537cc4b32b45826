/**
 * `GET /baseline.json` of `npm start` / `npm run demo` (scripts/baseline.ts): one trainer's
 * data alone against the federation, both measured on the same held-out rows (the headless
 * trainers' validation rows). The dashboard shows it beside the secure metrics.
 */
import * as v from 'valibot';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const score = v.pipe(v.number(), v.minValue(0), v.maxValue(1));

export const BaselineSchema = v.object({
  /** The held-out rows both models are measured on. */
  heldOut: v.object({ rows: count, frauds: count }),
  /** A model trained on one trainer's rows alone; absent while it trains. */
  alone: v.optional(v.object({ rows: count, frauds: count, aucPr: score, recall: score })),
  /** The federation's latest model on the same rows; absent before its first version. */
  federation: v.optional(v.object({ version: count, trainers: count, aucPr: score, recall: score })),
});

export type Baseline = v.InferOutput<typeof BaselineSchema>;

export function parseBaseline(json: unknown): Baseline | undefined {
  const r = v.safeParse(BaselineSchema, json);
  return r.success ? r.output : undefined;
}
