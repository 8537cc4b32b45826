/**
 * The server's checks of signed messages in a certified federation (docs/protocol.md §23). A
 * contribution must carry its trainer's signature over (round, the descriptor digest the server
 * sent, the digest of its masked vector, its ephemeral key, the digest of every sealed slice):
 * a contribution replayed from another trainer or round fails here, before it counts. An answer
 * must carry its member's signature over (round, member index, H_S, digest of the sum); the
 * server returns every member's signed H_S with the result, so a split view is visible to all.
 */
import { createHash } from 'node:crypto';
import { verifySignature } from '../cert/sign.js';
import { answerBytes, contributionBytes } from '../cert/statements.js';
import type { AnswerMsg, Attestation, ContributionMsg, WireCertificate } from '../wire/messages.js';
import { Refusal } from './refusal.js';

/** A certified round: the participants' certificates and the descriptor digest every trainer signs. */
export interface CertifiedRound {
  readonly descriptorDigest: Uint8Array;
  /** Certificates by participant id (trainers and members of the round). */
  readonly certificates: ReadonlyMap<string, WireCertificate>;
  /** A scripted dishonest server (tests only): contributions pass unchecked. */
  readonly skipContributionChecksForTest?: boolean;
}

/** What the members later check of one trainer: its certificate, signature and digests. */
export interface SignedContribution {
  readonly cert: WireCertificate;
  readonly sig: Uint8Array;
  readonly masked: Uint8Array;
  readonly slices: readonly Uint8Array[];
  /** The signed slice-key commitments (docs/protocol.md §25). */
  readonly keys: readonly Uint8Array[];
}

/** SHA-256(SHA-256(y1) ‖ SHA-256(y2)) over the bytes as received (src/secagg/trainer.ts maskedDigest). */
function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

export function maskedDigestOf(y1: Uint8Array, y2: Uint8Array): Uint8Array {
  const d1 = createHash('sha256').update(y1).digest();
  const d2 = createHash('sha256').update(y2).digest();
  return new Uint8Array(createHash('sha256').update(d1).update(d2).digest());
}

export async function checkContribution(
  c: CertifiedRound,
  federation: string,
  clientId: string,
  msg: ContributionMsg,
): Promise<SignedContribution> {
  const cert = c.certificates.get(clientId);
  if (!cert) throw new Refusal('UNCERTIFIED', `${clientId} has no certificate in this round`);
  if (!msg.sig) throw new Refusal('BAD_SIGNATURE', 'contributions to a certified federation must be signed');
  const keys = msg.keys;
  if (!keys || keys.length !== msg.sealed.length)
    throw new Refusal(
      'BAD_SIGNATURE',
      'contributions to a certified federation must commit to one slice key per sealed slice (docs/protocol.md §25)',
    );
  const masked = maskedDigestOf(msg.y1, msg.y2);
  // Node's native SHA-256: the slices are most of the message (noble's took ~0.5 ms a contribution).
  const slices = msg.sealed.map((s) => sha256(s));
  const bytes = contributionBytes({
    federation,
    round: msg.round,
    descriptorDigest: c.descriptorDigest,
    maskedDigest: masked,
    ephemeralPublic: msg.eph,
    sliceDigests: slices,
    keyCommitments: keys,
  });
  if (!c.skipContributionChecksForTest && !(await verifySignature(cert.body.signKey, bytes, msg.sig)))
    throw new Refusal(
      'BAD_SIGNATURE',
      `the contribution's signature does not verify under ${clientId}'s certified key for this round and descriptor`,
    );
  return { cert, sig: msg.sig, masked, slices, keys };
}

export async function checkAnswer(
  c: CertifiedRound,
  federation: string,
  clientId: string,
  msg: AnswerMsg,
): Promise<Attestation> {
  const cert = c.certificates.get(clientId);
  if (!cert) throw new Refusal('UNCERTIFIED', `${clientId} has no certificate in this round`);
  if (!msg.sig) throw new Refusal('BAD_SIGNATURE', 'answers in a certified federation must be signed');
  const answer = sha256(msg.sum);
  const bytes = answerBytes({
    federation,
    round: msg.round,
    memberIndex: msg.memberIndex,
    survivorHash: msg.hS,
    answerDigest: answer,
  });
  if (!(await verifySignature(cert.body.signKey, bytes, msg.sig)))
    throw new Refusal('BAD_SIGNATURE', `the answer's signature does not verify under ${clientId}'s certified key`);
  return { memberIndex: msg.memberIndex, hS: msg.hS, answer, sig: msg.sig };
}
