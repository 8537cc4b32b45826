/**
 * The observer protocol: events of the federation as the server streams them (Server-Sent
 * Events at /events, one JSON object per event, named by its `type`) and the JSON of GET
 * /status. Read by the dashboard, the simulator and the end-to-end suites. No event carries an
 * individual update.
 */
import type { RoundId } from './messages.js';

/** Federation-wide metrics of a model version, decoded from the securely summed statistics. */
export interface FederationMetrics {
  /** The model version evaluated (the one the round started from). */
  version: number;
  n: number;
  frauds: number;
  loss: number;
  auc_pr: number;
  roc_auc: number;
  recall_at_1pct_fpr: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Characters of a client id that observers see (participants list, replayed summaries, dashboard). */
export const SHORT_ID = 8;

export type FederationEvent =
  | {
      type: 'participants';
      connected: number;
      trainers: number;
      volunteers: number;
      /** Connected participants by short id (first 8 characters) and role — no more identity than that. */
      list: { id: string; train: boolean; committee: boolean; label?: string }[];
    }
  | { type: 'waiting'; reason: string }
  | {
      type: 'round_started';
      round: RoundId;
      version: number;
      trainers: string[];
      members: string[];
      m: number;
      tRec: number;
      rho: number;
      length: number;
      submitBy: number;
      answerBy: number;
      insecurePlaintext: boolean;
      /**
       * INSECURE demo: this round's committee is not subset-safe (2·t_rec ≤ m + c_max,
       * docs/protocol.md §15); only a server started with --insecure-demo runs one.
       */
      insecureDemo: boolean;
    }
  | { type: 'contribution'; round: RoundId; received: number; expected: number; bytes: number }
  | { type: 'cutoff'; round: RoundId; survivors: string[]; dropped: string[] }
  | { type: 'answer'; round: RoundId; answered: number; tRec: number; m: number }
  /** A member complained instead of answering: slices of these trainers were unusable (§25). */
  | { type: 'complaint'; round: RoundId; memberIndex: number; trainers: string[] }
  /** Trainers left out after verifiable complaints; the committee was asked again (§25). */
  | { type: 'excluded'; round: RoundId; trainers: string[]; how: ('proven' | 'attested')[] }
  | {
      type: 'round_done';
      round: RoundId;
      version: number;
      survivors: string[];
      membersAnswered: number[];
      /** Members whose wrong answers were corrected away (robust unmasking); absent when none. */
      faultyMembers?: number[];
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
      /** SHA-256 (hex) of the decoded integer sum, as little-endian float64 (the Float64Array's
       * bytes) — lets a harness that knows its trainers' plaintext check exactness without the
       * server revealing more. */
      sumDigest: string;
      /** Secure metrics of the round's starting model, when the round carried them. */
      metrics?: FederationMetrics;
      /** A DP round: the federation's ε(δ) after this round was charged (docs/dp.md §12). */
      privacy?: PrivacyCharge;
      /** What the server sees: one masked contribution (fractions of q1, looks like noise) next
       * to the unmasked aggregate's mean update (structure), over the first coordinates. */
      preview: { masked: number[]; aggregate: number[] };
      /** In how many ms the server opens the next round (absent when none follows). */
      nextRoundInMs?: number;
      /** Set when replayed to a late observer from beyond the replay window (src/server/replay.ts):
       * survivors are then short ids and the preview is empty. */
      summary?: true;
    }
  | {
      type: 'round_failed';
      round: RoundId;
      version: number;
      code: string;
      reason: string;
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
      /** In how many ms the server opens the next round (absent when none follows). */
      nextRoundInMs?: number;
      summary?: true;
    }
  | { type: 'refused'; clientId?: string; code: string; message: string; ref?: string }
  | { type: 'finished'; rounds: number; version: number }
  /** The next round would take ε past the budget: no more rounds (docs/dp.md §12). */
  | {
      type: 'privacy_budget_spent';
      epsilon: number;
      next: number;
      budget: number;
      delta: number;
      rounds: number;
      message: string;
    };

/** What one decoded DP round cost. */
export interface PrivacyCharge {
  /** ε(δ) of the federation after this round. */
  epsilon: number;
  /** ε(δ) before it. */
  before: number;
  delta: number;
  /** Honest survivors whose noise was counted: |S| − colluders. */
  honest: number;
}

/** GET /status `privacy`: the accounting state of a DP federation. */
export interface PrivacyStatus {
  mechanism: 'ddg';
  accountant: 'rdp';
  noiseMultiplier: number;
  clip: number;
  gamma: number;
  /** Each trainer's noise share σ_i², integer units². */
  sigma2: number;
  minSurvivors: number;
  colluders: number;
  delta: number;
  /** ε(δ) spent so far, and DP rounds decoded. */
  epsilon: number;
  rounds: number;
  budget: number | null;
  /** ε(δ) once the next round is decoded (worst case), and whether the budget allows it. */
  next: number;
  exhausted: boolean;
  /** ε after each decoded DP round, in order. */
  history: { round: RoundId; epsilon: number }[];
}

export type FederationEventType = FederationEvent['type'];

/** GET /status (and what an observer needs before the stream's first events). */
export interface FederationStatus {
  federation: string;
  version: number;
  round: RoundId | null;
  phase: string;
  participants: { connected: number; trainers: number; volunteers: number };
  insecurePlaintext: boolean;
  /**
   * INSECURE demo: the server was started with --insecure-demo and its committee is not
   * subset-safe, or is sized per round (so a round's committee may not be).
   */
  insecureDemo: boolean;
  /** The privacy accounting of a DP federation (absent without DP). */
  privacy?: PrivacyStatus;
  /** When the server opens the next round (ms since the epoch, the server's clock), while one is scheduled. */
  nextRoundAt?: number;
}
