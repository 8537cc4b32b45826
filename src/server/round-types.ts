/**
 * The types of one server round (src/server/round.ts): its plan, the host it talks through and
 * its outcome.
 */
import type { CommitteeResponse, CutOff, Residues } from '../secagg/index.js';
import type {
  Attestation,
  ContributionMsg,
  Role,
  RoundMsg,
  ServerMessage,
  WireCertificate,
  WireRoundConfig,
} from '../wire/messages.js';
import type { DpDescriptor } from '../wire/dp.js';
import type { FederationEvent } from '../wire/events.js';
import type { Conviction } from './complaints.js';
import type { Logger } from './log.js';
import type { CertifiedRound, SignedContribution } from './signed.js';
import type { Retry } from './jobs.js';

export type RoundPhase = 'starting' | 'collecting' | 'committee' | 'unmasking' | 'done' | 'failed';

export interface RoundPlan {
  /** The round's configuration; a plaintext one (INSECURE benchmark mode) has no committee. */
  readonly config: WireRoundConfig;
  readonly version: number;
  readonly trainers: readonly string[];
  /** members[j − 1] is member j. */
  readonly members: readonly string[];
  readonly submitMs: number;
  readonly committeeMs: number;
  readonly minSurvivors: number;
  /** A certified federation's round: certificates and the descriptor digest (signed.ts). */
  readonly certified?: CertifiedRound & { readonly memberCerts: readonly WireCertificate[] };
  /** A DP round's parameters and accounting, as its descriptor states them (docs/dp.md §12). */
  readonly dp?: DpDescriptor;
  /** Builds the descriptor for one participant (role and deadlines filled in). */
  readonly descriptor: (role: Role, memberIndex: number | undefined, submitBy: number, answerBy: number) => RoundMsg;
}

export interface RoundHost {
  send(clientId: string, msg: ServerMessage): number;
  isConnected(clientId: string): boolean;
  emit(e: FederationEvent): void;
  log: Logger;
  /** An accepted contribution, as received (the round's transcript keeps its bytes; transcript.ts). */
  contributed?(clientId: string, msg: ContributionMsg): void;
}

/** What the round's transcript records of a secure round at its end (src/server/transcript.ts). */
export interface RoundEvidence {
  readonly signedBy: ReadonlyMap<string, SignedContribution>;
  /** S and H_S at the cut-off, and after exclusions (§25); absent before a cut-off. */
  readonly firstCut?: CutOff;
  readonly cut?: CutOff;
  /** The accepted answers to the final job, by member index. */
  readonly answers: readonly CommitteeResponse[];
  /** Σy over the final S, reduced. */
  readonly sumY?: Residues;
  /** Each re-issue after complaints (§25): the previous S, the evidence and the complaints. */
  readonly reissues?: readonly Retry[];
}

/** How many leading coordinates the "what the server sees" preview shows. */
export const PREVIEW_LENGTH = 256;

export type RoundOutcome =
  | {
      ok: true;
      sum: Float64Array;
      survivors: string[];
      membersAnswered: number[];
      /** Members (1-based) whose wrong answers robust unmasking corrected away (§14.1). */
      faultyMembers: number[];
      attestations: Attestation[];
      /** Trainers left out after verifiable complaints (§25), with how they were convicted. */
      excluded: Conviction[];
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
      maskedPreview: number[];
      evidence?: RoundEvidence;
    }
  | {
      ok: false;
      code: string;
      reason: string;
      survivors: string[];
      membersAnswered: number[];
      attestations: Attestation[];
      excluded: Conviction[];
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
      evidence?: RoundEvidence;
    };
