/**
 * The dashboard's shared types: its state, the actions the reducer takes, and the narration
 * lines it keeps. The reducer (state.ts) and the narration (narration.ts) both build on these,
 * so neither has to import the other's types.
 */
import type { FederationEvent, FederationMetrics, FederationStatus } from '../../wire/events.js';
import type { LoggedRound } from '../../wire/round-log.js';

export type Tone = 'info' | 'ok' | 'warn' | 'bad';

export interface StoryLine {
  /** Stable per step of a round, so a replayed event does not repeat its line. */
  key: string;
  round: number | undefined;
  tone: Tone;
  text: string;
}

/** Phases of one round, in order; the timeline shows one step per phase. */
export const PHASES = ['descriptor', 'contributions', 'cutoff', 'committee', 'unmasked', 'model'] as const;
export type Phase = (typeof PHASES)[number];

/** The round_started event's facts (version = the model the round started from), plus progress. */
export interface CurrentRound extends Omit<Extract<FederationEvent, { type: 'round_started' }>, 'type'> {
  /** The phase in progress (or the last one reached when the round ended). */
  phase: Phase;
  received: number;
  expected: number;
  bytes: number;
  survivors: string[] | undefined;
  dropped: string[] | undefined;
  answered: number;
  outcome: { ok: true; version: number } | { ok: false; code: string; reason: string; failedAt: Phase } | undefined;
  /** When the server's schedule opens the next round (this page's clock), from the outcome's event. */
  nextAt?: number;
}

/** One finished round, for the history table and the charts. */
export interface RoundRecord {
  round: number;
  ok: boolean;
  versionBefore: number;
  versionAfter: number;
  /** Trainers asked to contribute (when the round's start was seen). */
  trainers: number | undefined;
  survivors: number | undefined;
  dropped: number | undefined;
  answered: number | undefined;
  m: number | undefined;
  tRec: number | undefined;
  totalMs: number | undefined;
  bytesIn: number | undefined;
  bytesPerTrainer: number | undefined;
  metrics: FederationMetrics | undefined;
  /** A DP round: the federation's ε(δ) after it. */
  epsilon: number | undefined;
  code: string | undefined;
  reason: string | undefined;
}

export interface DashPrivacy {
  epsilon: number;
  delta: number;
  budget: number | null;
  noiseMultiplier: number | undefined;
  /** Set once the server stopped opening rounds: the budget is spent. */
  spent: string | undefined;
}

export interface Participant {
  id: string;
  train: boolean;
  committee: boolean;
}

/** GET /status, as the server defines it. */
export type StatusSnapshot = FederationStatus;

export type DashAction =
  | FederationEvent
  | { type: 'status'; status: StatusSnapshot }
  | { type: 'connection'; state: 'connecting' | 'live' | 'lost' }
  /** The persisted round log (GET /rounds.json): every finished round, across restarts. */
  | { type: 'log'; rounds: LoggedRound[] };

export interface DashState {
  connection: 'connecting' | 'live' | 'lost';
  /** Whether the stream has been live since the page loaded (a later loss is an outage). */
  everLive: boolean;
  federation: string | undefined;
  /** The current global model version. */
  version: number;
  connected: number;
  /** Connected trainers and committee volunteers (from the latest participants event or /status). */
  counts: { trainers: number; volunteers: number };
  /** Connected participants by short id; undefined until a participants event was seen. */
  participants: Participant[] | undefined;
  waiting: string | undefined;
  current: CurrentRound | undefined;
  /** Finished rounds, ascending by round id, one record per round. */
  rounds: RoundRecord[];
  /** What the server saw in the latest successful round. */
  preview: { round: number; version: number; masked: number[]; aggregate: number[] } | undefined;
  finished: { rounds: number; version: number } | undefined;
  refused: number;
  /** The server runs with --insecure-demo (from /status): committees need not be subset-safe. */
  insecureDemo: boolean;
  /** A DP federation's accounting (from /status, then each round's charge). */
  privacy: DashPrivacy | undefined;
  /** Plain-language narration, newest last (bounded). */
  story: StoryLine[];
}
