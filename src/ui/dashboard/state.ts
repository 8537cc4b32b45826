/**
 * The dashboard's state and the pure reducer from observer events to it. No DOM, no clock:
 * unit-tested in Node (state.test.ts). The observer stream replays its history on every (re)connect
 * (src/server/replay.ts), so every step is idempotent per round: replaying history converges to the same
 * state.
 */
import { type FederationMetrics, SHORT_ID } from '../../wire/events.js';
import { insecureDemoNotice } from '../insecure-demo.js';
import { narrateEvent } from './narration.js';
import { withLog } from './round-log.js';
import {
  type CurrentRound,
  type DashAction,
  type DashPrivacy,
  type DashState,
  PHASES,
  type Phase,
  type RoundRecord,
} from './types.js';

export { PHASES };
export type { CurrentRound, DashAction, DashState, Participant, Phase, RoundRecord, StatusSnapshot } from './types.js';

/** The first characters of a participant id: all the identity the dashboard shows. */
export { SHORT_ID };
export const short = (id: string): string => id.slice(0, SHORT_ID);

export const STORY_MAX = 14;

/** The server's "next round in N ms", as a time on this page's clock. */
const nextAt = (inMs: number | undefined): { nextAt?: number } =>
  inMs === undefined ? {} : { nextAt: Date.now() + inMs };

export function initialState(): DashState {
  return {
    connection: 'connecting',
    everLive: false,
    federation: undefined,
    version: 0,
    connected: 0,
    counts: { trainers: 0, volunteers: 0 },
    participants: undefined,
    waiting: undefined,
    current: undefined,
    rounds: [],
    preview: undefined,
    finished: undefined,
    refused: 0,
    insecureDemo: false,
    privacy: undefined,
    story: [],
  };
}

/** Where a failure code stops the timeline. */
export function failedPhase(code: string, reached: Phase): Phase {
  if (code === 'TOO_FEW_SURVIVORS') return 'cutoff';
  if (code === 'THRESHOLD_NOT_MET') return 'committee';
  if (code === 'APPLY_FAILED') return 'model';
  if (code === 'ABORTED' || code === 'INTERNAL' || code === 'UNKNOWN') return reached;
  return 'unmasked'; // inconsistent answers, shares that do not open, …
}

function upsertRound(rounds: RoundRecord[], rec: RoundRecord): RoundRecord[] {
  const rest = rounds.filter((r) => r.round !== rec.round);
  rest.push(rec);
  return rest.sort((a, b) => a.round - b.round);
}

function forRound(cur: CurrentRound | undefined, round: number): CurrentRound | undefined {
  return cur && cur.round === round ? cur : undefined;
}

function apply(s: DashState, e: DashAction): DashState {
  switch (e.type) {
    case 'connection':
      // Back after an outage: the round that was in progress is over one way or another; the
      // server's replay describes what is in progress now, so nothing stale stays on screen.
      if (e.state === 'live' && s.everLive && s.connection !== 'live')
        return { ...s, connection: 'live', current: undefined, waiting: undefined };
      return { ...s, connection: e.state, everLive: s.everLive || e.state === 'live' };
    case 'log':
      return withLog(s, e.rounds);
    case 'status':
      return {
        ...s,
        federation: e.status.federation,
        version: Math.max(s.version, e.status.version),
        insecureDemo: e.status.insecureDemo === true,
        ...(e.status.privacy
          ? {
              privacy: {
                epsilon: Math.max(s.privacy?.epsilon ?? 0, e.status.privacy.epsilon),
                delta: e.status.privacy.delta,
                budget: e.status.privacy.budget,
                noiseMultiplier: e.status.privacy.noiseMultiplier,
                spent:
                  s.privacy?.spent ??
                  (e.status.privacy.exhausted
                    ? `privacy budget spent: ε = ${e.status.privacy.epsilon.toFixed(3)} of ${(e.status.privacy.budget ?? 0).toFixed(3)}; no more rounds are opened`
                    : undefined),
              },
            }
          : {}),
        ...(s.participants
          ? {}
          : {
              connected: e.status.participants.connected,
              counts: { trainers: e.status.participants.trainers, volunteers: e.status.participants.volunteers },
            }),
      };
    case 'participants':
      return {
        ...s,
        connected: e.connected,
        counts: { trainers: e.trainers, volunteers: e.volunteers },
        participants: e.list.map((p) => ({ id: short(p.id), train: p.train, committee: p.committee })),
      };
    case 'waiting':
      return { ...s, waiting: e.reason };
    case 'round_started':
      return {
        ...s,
        waiting: undefined,
        finished: undefined,
        version: e.version,
        current: {
          round: e.round,
          version: e.version,
          trainers: e.trainers.map(short),
          members: e.members.map(short),
          m: e.m,
          tRec: e.tRec,
          rho: e.rho,
          length: e.length,
          submitBy: e.submitBy,
          answerBy: e.answerBy,
          insecurePlaintext: e.insecurePlaintext,
          // an event recorded before the field existed reads as false; the notice checks m, t_rec, ρ too
          insecureDemo: e.insecureDemo === true,
          phase: 'contributions',
          received: 0,
          expected: e.trainers.length,
          bytes: 0,
          survivors: undefined,
          dropped: undefined,
          answered: 0,
          outcome: undefined,
        },
      };
    case 'contribution': {
      const cur = forRound(s.current, e.round);
      if (!cur || cur.outcome) return s;
      return {
        ...s,
        current: {
          ...cur,
          received: Math.max(cur.received, e.received),
          expected: e.expected,
          bytes: Math.max(cur.bytes, e.bytes),
        },
      };
    }
    case 'cutoff': {
      const cur = forRound(s.current, e.round);
      if (!cur || cur.outcome) return s;
      return {
        ...s,
        current: {
          ...cur,
          phase: 'committee',
          survivors: e.survivors.map(short),
          dropped: e.dropped.map(short),
          received: e.survivors.length,
        },
      };
    }
    case 'answer': {
      const cur = forRound(s.current, e.round);
      if (!cur || cur.outcome) return s;
      return {
        ...s,
        current: { ...cur, phase: 'committee', answered: Math.max(cur.answered, e.answered), m: e.m, tRec: e.tRec },
      };
    }
    case 'complaint':
      return s;
    case 'excluded': {
      // Convicted trainers are left out and the committee answers again from zero (§25).
      const cur = forRound(s.current, e.round);
      if (!cur || cur.outcome) return s;
      const out = new Set(e.trainers.map(short));
      return {
        ...s,
        current: { ...cur, answered: 0, survivors: cur.survivors?.filter((id) => !out.has(id)) },
      };
    }
    case 'round_done': {
      const cur = forRound(s.current, e.round);
      const survivors = e.survivors.length;
      const rec: RoundRecord = {
        round: e.round,
        ok: true,
        versionBefore: cur?.version ?? e.version - 1,
        versionAfter: e.version,
        trainers: cur?.trainers.length,
        survivors,
        dropped: cur ? cur.trainers.length - survivors : undefined,
        answered: e.membersAnswered.length,
        m: cur?.m,
        tRec: cur?.tRec,
        totalMs: e.timings.total_ms,
        bytesIn: e.bytesIn,
        bytesPerTrainer: survivors > 0 ? e.bytesIn / survivors : undefined,
        metrics: e.metrics,
        epsilon: e.privacy?.epsilon,
        code: undefined,
        reason: undefined,
      };
      return {
        ...s,
        version: Math.max(s.version, e.version),
        rounds: upsertRound(s.rounds, rec),
        privacy: e.privacy ? privacyAfter(s.privacy, e.privacy.epsilon, e.privacy.delta) : s.privacy,
        preview:
          e.preview.masked.length || e.preview.aggregate.length
            ? { round: e.round, version: e.version, masked: e.preview.masked, aggregate: e.preview.aggregate }
            : s.preview,
        current: cur
          ? {
              ...cur,
              phase: 'model',
              answered: Math.max(cur.answered, e.membersAnswered.length),
              survivors: cur.survivors ?? e.survivors.map(short),
              outcome: { ok: true, version: e.version },
              ...nextAt(e.nextRoundInMs),
            }
          : s.current,
      };
    }
    case 'round_failed': {
      const cur = forRound(s.current, e.round);
      const failedAt = failedPhase(e.code, cur?.phase ?? 'contributions');
      const rec: RoundRecord = {
        round: e.round,
        ok: false,
        versionBefore: e.version,
        versionAfter: e.version,
        trainers: cur?.trainers.length,
        survivors: cur?.survivors?.length,
        dropped: cur?.dropped?.length,
        answered: cur?.survivors ? cur.answered : undefined,
        m: cur?.m,
        tRec: cur?.tRec,
        totalMs: e.timings.total_ms,
        bytesIn: e.bytesIn,
        bytesPerTrainer: undefined, // no trainer's update entered a model
        metrics: undefined,
        epsilon: undefined,
        code: e.code,
        reason: e.reason,
      };
      return {
        ...s,
        rounds: upsertRound(s.rounds, rec),
        current: cur
          ? {
              ...cur,
              phase: failedAt,
              outcome: { ok: false, code: e.code, reason: e.reason, failedAt },
              ...nextAt(e.nextRoundInMs),
            }
          : s.current,
      };
    }
    case 'refused':
      return { ...s, refused: s.refused + 1 };
    case 'finished':
      return { ...s, finished: { rounds: e.rounds, version: e.version }, version: Math.max(s.version, e.version) };
    case 'privacy_budget_spent':
      return {
        ...s,
        privacy: { ...privacyAfter(s.privacy, e.epsilon, e.delta), budget: e.budget, spent: e.message },
      };
  }
}

function privacyAfter(p: DashPrivacy | undefined, epsilon: number, delta: number): DashPrivacy {
  return {
    epsilon: Math.max(p?.epsilon ?? 0, epsilon),
    delta,
    budget: p?.budget ?? null,
    noiseMultiplier: p?.noiseMultiplier,
    spent: p?.spent,
  };
}

/**
 * The red INSECURE DEMO notice: the current round's committee is not subset-safe (checked here
 * from its m, t_rec and ρ, and as the server reports it), or the server runs with --insecure-demo.
 */
export function insecureDemoOf(s: DashState): string | undefined {
  const c = s.current && !s.current.insecurePlaintext ? s.current : undefined;
  return insecureDemoNotice(c && { m: c.m, tRec: c.tRec, rho: c.rho }, s.insecureDemo || !!c?.insecureDemo);
}

/** The dashboard reducer: the next state after one event (pure). */
export function reduce(s: DashState, e: DashAction): DashState {
  const next = apply(s, e);
  const line = narrateEvent(s, e, next);
  if (!line) return next;
  // Replays after a reconnect repeat lines already told: keep each line once.
  if (s.story.some((l) => l.key === line.key)) return next;
  return { ...next, story: [...next.story, line].slice(-STORY_MAX) };
}

/** Points of the charts: model quality by the version it describes, and per-round costs. */
export interface ChartSeries {
  quality: { version: number[]; aucPr: (number | null)[]; recall: (number | null)[]; loss: (number | null)[] };
  rounds: {
    round: number[];
    seconds: (number | null)[];
    kibPerTrainer: (number | null)[];
    survivors: (number | null)[];
    dropped: (number | null)[];
  };
  failedRounds: number[];
}

export function chartSeries(rounds: readonly RoundRecord[]): ChartSeries {
  const withMetrics = rounds.filter((r) => r.metrics).map((r) => r.metrics as FederationMetrics);
  const byVersion = new Map<number, FederationMetrics>();
  for (const m of withMetrics) byVersion.set(m.version, m);
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  const num = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    quality: {
      version: versions,
      aucPr: versions.map((v) => num(byVersion.get(v)?.auc_pr)),
      recall: versions.map((v) => num(byVersion.get(v)?.recall_at_1pct_fpr)),
      loss: versions.map((v) => num(byVersion.get(v)?.loss)),
    },
    rounds: {
      round: rounds.map((r) => r.round),
      seconds: rounds.map((r) => (r.totalMs === undefined ? null : r.totalMs / 1000)),
      kibPerTrainer: rounds.map((r) => (r.bytesPerTrainer === undefined ? null : r.bytesPerTrainer / 1024)),
      survivors: rounds.map((r) => num(r.survivors)),
      dropped: rounds.map((r) => num(r.dropped)),
    },
    failedRounds: rounds.filter((r) => !r.ok).map((r) => r.round),
  };
}

/** The latest secure metrics and the model version they describe. */
export function latestMetrics(rounds: readonly RoundRecord[]): FederationMetrics | undefined {
  let best: FederationMetrics | undefined;
  for (const r of rounds) if (r.metrics && (!best || r.metrics.version >= best.version)) best = r.metrics;
  return best;
}
