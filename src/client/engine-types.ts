/**
 * The participant engine's public types (src/client/engine.ts): its snapshot, options and the
 * events it emits, kept apart so the engine file holds only the state machine.
 */
import type { SigningKeyPair } from '../cert/sign.js';
import type { MemberIdentity, TrainerTimings } from '../secagg/index.js';
import type { Role } from '../wire/messages.js';
import type { CryptoRunner } from './crypto/types.js';
import type { PrivacyPolicy, PrivacyView } from './privacy.js';
import type { LocalEvaluator, LocalTrainer } from './trainers/types.js';
import type { SocketFactory } from './transport.js';

export type Phase = 'idle' | 'waiting' | 'training' | 'sealing' | 'sent' | 'job' | 'answered' | 'done' | 'failed';
export type Connection = 'connecting' | 'open' | 'closed';

export interface EngineSnapshot {
  connection: Connection;
  clientId: string | undefined;
  federation: string | undefined;
  /** Latest global model version seen. */
  version: number;
  round: number | undefined;
  role: Role | undefined;
  phase: Phase;
  memberIndex: number | undefined;
  lastError: string | undefined;
}

/** Protocol points at which a simulation can make a participant crash. */
export type DropPoint = 'before-train' | 'before-send' | 'after-send' | 'before-answer';

/** Where answered round ids are remembered (IndexedDB in the browser, memory in Node). */
export interface AnsweredRounds {
  has(key: string): boolean | Promise<boolean>;
  add(key: string): void | Promise<void>;
}

export interface EngineOptions {
  url: string;
  token: string;
  identity: MemberIdentity;
  train: boolean;
  committee: boolean;
  label?: string;
  socketFactory: SocketFactory;
  trainer?: LocalTrainer;
  /** Evaluates the round's global model on local held-out rows (secure metrics). */
  evaluator?: LocalEvaluator;
  crypto?: CryptoRunner;
  answeredRounds?: AnsweredRounds;
  /**
   * The enrollment authority this participant trusts: where it enrolls, and the authority keys it
   * pins (from the join link or its configuration, never from the aggregation server). Required
   * unless `insecureUncertified`.
   */
  authority?: { url: string; keys: readonly Uint8Array[] };
  /**
   * The participant consented to an INSECURE demo: it takes part in rounds whose committee is
   * not subset-safe (docs/protocol.md §15). Without it such a round is refused, nothing sent.
   */
  acceptUnsafeCommittee?: boolean;
  /** A committee volunteer renews its presence at the authority this often (default 10 s). */
  presenceMs?: number;
  /** The participant's Ed25519 signing key (default: a fresh one for this engine). */
  signing?: SigningKeyPair;
  /**
   * INSECURE, tests of uncertified servers only: take part without certificates, trusting the
   * member keys the server lists (docs/threat-model.md "Key substitution").
   */
  insecureUncertified?: boolean;
  /**
   * As a committee member, the smallest survivor set this participant helps to unmask (default and
   * minimum 3, docs/threat-model.md "Isolation"); the participant's own setting, never the server's.
   */
  minSurvivors?: number;
  /**
   * Differential privacy (docs/dp.md §12): the largest ε this trainer accepts (its own setting,
   * never the server's) and where its DP rounds are remembered (default: memory).
   */
  privacy?: PrivacyPolicy;
  /** Harness hook (tests and the simulator only): the quantized update of each round. */
  onQuantized?: (round: number, update: Int32Array) => void;
  /** Simulation: return true to crash (close for good) at this point of this round. */
  dropAt?: (round: number, point: DropPoint) => boolean;
  /** Randomness for stochastic rounding (default crypto.getRandomValues). */
  randomWords?: (n: number) => Uint32Array;
}

export type EngineEvent =
  | { type: 'state'; state: EngineSnapshot }
  | { type: 'progress'; phase: 'training' | 'sealing'; fraction: number; detail?: string }
  | {
      type: 'round';
      round: number;
      role: Role;
      version: number;
      memberIndex?: number;
      weights: Float32Array;
      architecture: unknown;
      /** The descriptor's committee (m, t_rec, ρ); absent from a plaintext descriptor. */
      committee?: { m: number; tRec: number; rho: number };
    }
  | { type: 'trained'; round: number; numSamples: number; loss?: number }
  /** A DP round this trainer accepted: its clipping, its noise share and ε (docs/dp.md §12). */
  | ({ type: 'privacy'; round: number } & PrivacyView)
  /** This participant's own evaluation of the round's global model (stays local; only its
   * sufficient statistics enter the masked vector). */
  | { type: 'evaluated'; round: number; version: number; n: number; aucPr: number; loss: number }
  | { type: 'sent'; round: number; bytes: number; timings: TrainerTimings }
  | { type: 'answered'; round: number; bytes: number; survivors: number }
  /** This member found slices it could not use and sent a signed complaint instead (§25). */
  | { type: 'complained'; round: number; bytes: number; trainers: string[] }
  | {
      type: 'result';
      round: number;
      ok: boolean;
      version: number;
      code?: string;
      reason?: string;
      survivors: number;
      answered: number;
      /** From the server: in how many ms it opens the next round; absent when none follows. */
      nextRoundInMs?: number;
    }
  | { type: 'error'; code: string; message: string; round?: number }
  /** A trainer's receipt (receipt.ts): its contribution is in the S the members signed, or why not. */
  | { type: 'receipt'; round: number; included: boolean; text: string }
  | { type: 'dropped'; round: number; point: DropPoint };

/** The state of an engine that has not connected yet. */
export const INITIAL_SNAPSHOT: EngineSnapshot = {
  connection: 'closed',
  clientId: undefined,
  federation: undefined,
  version: 0,
  round: undefined,
  role: undefined,
  phase: 'idle',
  memberIndex: undefined,
  lastError: undefined,
};
