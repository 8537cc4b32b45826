/**
 * The DP part of a round descriptor (docs/dp.md §12, docs/protocol.md §27): the round's public
 * DP parameters (src/dp/round.ts DpRoundParams, which every trainer checks itself) and the
 * federation's accounting as the server states it (shown to people; a trainer's own accountant
 * decides whether it takes part).
 */
import * as v from 'valibot';
import type { DpRoundParams } from '../dp/round.js';

const positive = v.pipe(v.number(), v.finite(), v.gtValue(0));
const uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const decimal = v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,30}$/, 'must be a positive decimal integer'));

export const DpParamsSchema = v.strictObject({
  mechanism: v.literal('ddg'),
  noiseMultiplier: positive,
  clip: positive,
  gamma: positive,
  beta: v.pipe(v.number(), v.minValue(0), v.ltValue(1)),
  sigma2: v.strictObject({ num: decimal, den: decimal }),
  minSurvivors: uint,
  colluders: uint,
  delta: v.pipe(positive, v.ltValue(1)),
});

/** The federation's accounting, as the server states it in each descriptor. */
export const DpAccountingSchema = v.strictObject({
  /** ε(δ) of the rounds already decoded. */
  spent: v.pipe(v.number(), v.finite(), v.minValue(0)),
  /** ε(δ) once this round is decoded (worst case: K honest survivors). */
  after: v.pipe(v.number(), v.finite(), v.minValue(0)),
  /** The federation's budget E, when it has one. */
  budget: v.optional(positive),
  /** DP rounds decoded so far. */
  rounds: uint,
});

export const DpDescriptorSchema = v.strictObject({
  params: DpParamsSchema,
  accounting: DpAccountingSchema,
});

export type DpDescriptor = v.InferOutput<typeof DpDescriptorSchema>;
export type DpAccounting = v.InferOutput<typeof DpAccountingSchema>;

// The schema's output is exactly the core's parameters.
export const asDpParams = (p: DpDescriptor['params']): DpRoundParams => p;
