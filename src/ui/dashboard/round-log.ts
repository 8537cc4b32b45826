/**
 * The persisted round log (GET /rounds.json) in the dashboard's state: it fills in the rounds
 * the live stream no longer replays (those before a server restart), so counts, table and
 * charts agree with the log; a round the stream did describe keeps its richer record.
 */
import type { LoggedRound } from '../../wire/round-log.js';
import type { DashState, RoundRecord } from './types.js';

/** A round of the persisted log as the dashboard keeps it. */
export function fromLog(r: LoggedRound): RoundRecord {
  return {
    round: r.round,
    ok: r.ok,
    versionBefore: r.versionBefore,
    versionAfter: r.versionAfter,
    trainers: r.trainers,
    survivors: r.survivors,
    dropped: r.trainers - r.survivors,
    answered: r.answered,
    m: r.m,
    tRec: r.tRec,
    totalMs: r.totalMs,
    bytesIn: r.bytesIn,
    bytesPerTrainer: r.ok && r.survivors > 0 ? r.bytesIn / r.survivors : undefined,
    metrics: r.metrics,
    epsilon: r.epsilon,
    code: r.code,
    reason: r.reason,
  };
}

/** The state with the logged rounds it lacks (the same state when there are none). */
export function withLog(s: DashState, rounds: readonly LoggedRound[]): DashState {
  const have = new Set(s.rounds.map((r) => r.round));
  const added = rounds.filter((r) => !have.has(r.round)).map(fromLog);
  const last = rounds.at(-1);
  if (!added.length && (!last || last.versionAfter <= s.version)) return s;
  return {
    ...s,
    rounds: [...s.rounds, ...added].sort((a, b) => a.round - b.round),
    version: Math.max(s.version, last?.versionAfter ?? 0),
  };
}
