/**
 * A round's outcome: the decoded sum applied to the global model (FedAvg) and saved as the next
 * version, the secure metrics decoded from it, the round log line, the observers' event and
 * every participant's `result`. A sum that cannot be applied fails the round; the model is then
 * unchanged.
 */
import { createHash } from 'node:crypto';
import { statsToMetrics } from '../ml/stats.js';
import { SecAggError } from '../secagg/index.js';
import type { FederationEvent, FederationMetrics } from '../wire/events.js';
import { decodeStats, vectorLayout } from '../wire/layout.js';
import type { RoundId, ServerMessage } from '../wire/messages.js';
import type { ServerConfig } from './config.js';
import { observedScheme } from './descriptor.js';
import type { Ledger } from './ledger.js';
import type { Logger } from './log.js';
import { applyDecodedSum } from './model.js';
import type { PrivacyBudget } from './privacy.js';
import { PREVIEW_LENGTH, type RoundOutcome, type RoundPlan } from './round.js';
import type { TranscriptWriter } from './transcript.js';

export interface OutcomeHost {
  readonly config: ServerConfig;
  readonly ledger: Ledger;
  readonly log: Logger;
  emit(e: FederationEvent): void;
  send(id: string, msg: ServerMessage): number;
  /** A DP federation's budget: charged for every decoded DP round. */
  readonly privacy: PrivacyBudget | undefined;
  /** Test mode only: the decoded sum, before the `round_done` event. */
  readonly onDecodedForTest: ((round: RoundId, sum: Float64Array) => void) | undefined;
  /** The round's transcript (transcript.ts), written before the log record and the result. */
  readonly transcript?: TranscriptWriter | undefined;
  /** In how many ms the next round opens after this one (the schedule's pause), undefined when none follows. */
  nextRoundInMs(): number | undefined;
}

type Applied =
  | { versionAfter: number; aggregatePreview: number[]; weightSum: number; weights: Float32Array }
  | { code: string; reason: string };

/** The new model version from a decoded sum, saved; or why it could not be applied. */
async function apply(host: OutcomeHost, plan: RoundPlan, sum: Float64Array, survivors: number): Promise<Applied> {
  const { config, ledger } = host;
  const round = plan.config.round;
  try {
    const q = { bits: config.bits, clip: config.clip };
    const c = plan.config;
    const dp = plan.dp && c.mode === 'secure' ? { params: plan.dp.params, seed: c.publicSeed } : undefined;
    const { weights, mean, weightSum } = applyDecodedSum(ledger.model.weights, sum, q, dp);
    const aggregatePreview = Array.from(mean.subarray(0, PREVIEW_LENGTH));
    const versionAfter = await ledger.commitVersion({ ...ledger.model, weights }, { round, survivors, weightSum });
    return { versionAfter, aggregatePreview, weightSum, weights };
  } catch (e) {
    const code = e instanceof SecAggError ? e.code : 'APPLY_FAILED';
    return { code, reason: `the aggregate could not be applied: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The federation's metrics of the round's starting model, from the digits in the sum. */
function secureMetrics(
  host: OutcomeHost,
  plan: RoundPlan,
  sum: Float64Array,
  version: number,
): FederationMetrics | undefined {
  const round = plan.config.round;
  const layout = vectorLayout(host.ledger.model.weights.length, host.config.secureMetrics, plan.dp !== undefined);
  if (layout.metricsOffset < 0) return undefined;
  try {
    const mt = statsToMetrics(decodeStats(sum.subarray(layout.metricsOffset, layout.length), host.config.bits), 0.5);
    const { n, frauds, loss, auc_pr, roc_auc, recall_at_1pct_fpr, precision, recall, f1 } = mt;
    return { version, n, frauds, loss, auc_pr, roc_auc, recall_at_1pct_fpr, precision, recall, f1 };
  } catch (e) {
    host.log.warn('metrics_undecodable', { round, error: String(e) });
    return undefined;
  }
}

/** Applies, persists, records and announces a finished round; returns whether the model moved on. */
export async function settleRound(
  host: OutcomeHost,
  plan: RoundPlan,
  o: RoundOutcome,
  startedAt: string,
): Promise<boolean> {
  const round = plan.config.round;
  const versionBefore = host.ledger.version;
  // A decoded DP round is charged before anything else (docs/dp.md §12): the sum exists now.
  const privacy = o.ok && plan.dp && host.privacy ? host.privacy.charge(round, o.survivors.length) : undefined;
  const applied = o.ok ? await apply(host, plan, o.sum, o.survivors.length) : { code: o.code, reason: o.reason };
  const ok = o.ok && 'versionAfter' in applied;
  const versionAfter = 'versionAfter' in applied ? applied.versionAfter : versionBefore;
  const code = 'code' in applied ? applied.code : undefined;
  const reason = 'reason' in applied ? applied.reason : undefined;
  const next = host.nextRoundInMs();
  const nextRound = next === undefined ? {} : { nextRoundInMs: next };
  const metrics = o.ok && ok ? secureMetrics(host, plan, o.sum, versionBefore) : undefined;
  const endedAt = new Date().toISOString();
  // The transcript is on disk before the record that chains its digest (docs/transcript.md).
  const fedavg = o.ok && 'versionAfter' in applied ? { sum: o.sum, versionBefore, ...applied } : undefined;
  const transcript = await host.transcript
    ?.settle(o, {
      ok,
      ...(code ? { code } : {}),
      ...(reason ? { reason } : {}),
      startedAt,
      endedAt,
      ...(fedavg ? { fedavg: { ...fedavg, weightsAfter: fedavg.weights } } : {}),
    })
    .catch((e: unknown) => {
      host.log.error('transcript_failed', { round, error: String(e) });
      return undefined;
    });
  // A record that cannot be written (a full disk) does not keep the outcome from the observers and
  // the participants; the next start finds the round unrecorded and records it as interrupted.
  const record = host.ledger.appendRound({
    round,
    outcome: ok ? 'ok' : 'failed',
    ...(code ? { code } : {}),
    ...(reason ? { reason } : {}),
    versionBefore,
    versionAfter,
    trainers: [...plan.trainers],
    survivors: o.survivors,
    members: [...plan.members],
    membersAnswered: o.membersAnswered,
    tRec: observedScheme(plan.config).tRec,
    timings: o.timings,
    bytesIn: o.bytesIn,
    bytesOut: o.bytesOut,
    ...(metrics ? { metrics: { ...metrics } } : {}),
    ...(privacy ? { dp: privacy.record } : {}),
    startedAt,
    endedAt,
    ...(transcript ? { transcript } : {}),
  });
  await record.catch((e: unknown) => host.log.error('round_record_failed', { round, error: String(e) }));
  if (o.ok && 'versionAfter' in applied) {
    const bytes = new Uint8Array(o.sum.buffer, o.sum.byteOffset, o.sum.byteLength);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const survivors = o.survivors.length;
    const answered = o.membersAnswered.length;
    host.log.info('round_done', { round, version: versionAfter, survivors, answered, ...o.timings });
    host.onDecodedForTest?.(round, o.sum);
    host.emit({
      type: 'round_done',
      round,
      version: versionAfter,
      survivors: o.survivors,
      membersAnswered: o.membersAnswered,
      ...(o.faultyMembers.length ? { faultyMembers: o.faultyMembers } : {}),
      timings: o.timings,
      bytesIn: o.bytesIn,
      bytesOut: o.bytesOut,
      sumDigest: digest,
      ...(metrics ? { metrics } : {}),
      ...(privacy ? { privacy: privacy.event } : {}),
      preview: { masked: o.maskedPreview, aggregate: applied.aggregatePreview },
      ...nextRound,
    });
  } else {
    host.log.warn('round_failed', { round, version: versionBefore, code, reason });
    const { timings, bytesIn, bytesOut } = o;
    const failed = { code: code ?? 'UNKNOWN', reason: reason ?? '' };
    host.emit({
      type: 'round_failed',
      round,
      version: versionBefore,
      ...failed,
      timings,
      bytesIn,
      bytesOut,
      ...nextRound,
    });
  }
  const result: ServerMessage = {
    t: 'result',
    round,
    ok,
    version: versionAfter,
    survivors: o.survivors.length,
    answered: o.membersAnswered.length,
    ...(code ? { code } : {}),
    ...(reason ? { reason } : {}),
    ...(o.attestations.length ? { attestations: o.attestations } : {}),
    ...(o.excluded.length ? { excluded: o.excluded.map((c) => c.id) } : {}),
    ...nextRound,
  };
  // The round's trainers also get S, to check their own contribution is in it (their receipt, §26).
  const cut = o.evidence?.cut;
  const forTrainers: ServerMessage =
    ok && cut && result.t === 'result'
      ? { ...result, survivorList: cut.survivors.map((s) => ({ id: s.clientId, digest: s.digest })) }
      : result;
  const trainers = new Set(plan.trainers);
  for (const id of new Set([...plan.trainers, ...plan.members])) host.send(id, trainers.has(id) ? forTrainers : result);
  return ok;
}
