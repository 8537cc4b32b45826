/**
 * The statements participants sign (docs/protocol.md §22–§23), each one canonical encoding
 * (canonical.ts) under its own label, so a signature over one kind never verifies as another.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonical } from './canonical.js';
import type { CertRole } from './certificate.js';

export const ENROLL_LABEL = 'SpeakOnce/v1/enroll';
export const CONTRIBUTION_LABEL = 'SpeakOnce/v1/contribution';
export const ANSWER_LABEL = 'SpeakOnce/v1/answer';
export const COMPLAINT_LABEL = 'SpeakOnce/v1/complaint';

/** What a participant asks the authority to certify, signed with the signing key it names. */
export interface EnrollRequestBody {
  readonly federation: string;
  readonly participantId: string;
  readonly sealKey: Uint8Array;
  readonly signKey: Uint8Array;
  readonly roles: readonly CertRole[];
}

export function enrollBytes(r: EnrollRequestBody): Uint8Array {
  const roles = (['trainer', 'member'] as const).filter((x) => r.roles.includes(x));
  return canonical(ENROLL_LABEL, [r.federation, r.participantId, r.sealKey, r.signKey, roles]);
}

/**
 * A trainer's contribution statement: it binds the round, the descriptor it trained on
 * (descriptorDigest, docs/protocol.md §23), the masked vector and every sealed slice.
 */
export interface ContributionStatement {
  readonly federation: string;
  readonly round: number;
  readonly descriptorDigest: Uint8Array;
  readonly maskedDigest: Uint8Array;
  readonly ephemeralPublic: Uint8Array;
  /** SHA-256 of sealed slice j at index j − 1. */
  readonly sliceDigests: readonly Uint8Array[];
  /** Commitment to slice key j at index j − 1 (docs/protocol.md §25). */
  readonly keyCommitments: readonly Uint8Array[];
}

export function contributionBytes(s: ContributionStatement): Uint8Array {
  return canonical(CONTRIBUTION_LABEL, [
    s.federation,
    s.round,
    s.descriptorDigest,
    s.maskedDigest,
    s.ephemeralPublic,
    [...s.sliceDigests],
    [...s.keyCommitments],
  ]);
}

/** A member's answer statement: its H_S and the digest of the sum it returns. */
export interface AnswerStatement {
  readonly federation: string;
  readonly round: number;
  readonly memberIndex: number;
  readonly survivorHash: Uint8Array;
  readonly answerDigest: Uint8Array;
}

export function answerBytes(s: AnswerStatement): Uint8Array {
  return canonical(ANSWER_LABEL, [s.federation, s.round, s.memberIndex, s.survivorHash, s.answerDigest]);
}

/** One slice a member could not use: the trainer, the kind of fault and the revealed key (§25). */
export interface ComplaintFault {
  readonly trainer: string;
  readonly kind: 'key' | 'open' | 'slice';
  /** The 44-byte slice key for 'open' and 'slice'; empty for 'key'. */
  readonly key: Uint8Array;
}

/** A member's complaint instead of an answer: the faults it found in the job for H_S. */
export interface ComplaintStatement {
  readonly federation: string;
  readonly round: number;
  readonly memberIndex: number;
  readonly survivorHash: Uint8Array;
  readonly faults: readonly ComplaintFault[];
}

export function complaintBytes(s: ComplaintStatement): Uint8Array {
  return canonical(COMPLAINT_LABEL, [
    s.federation,
    s.round,
    s.memberIndex,
    s.survivorHash,
    s.faults.map((f) => [f.trainer, f.kind, f.key]),
  ]);
}

/** SHA-256 of a byte string (slices, answers): the digests statements refer to. */
export function digest(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}
