/**
 * The committee list the enrollment authority signs (docs/protocol.md §24): for one federation
 * and epoch, the members it drew uniformly from the certified volunteers present at the
 * authority, in member order, with the sharing scheme and a validity interval. Trainers seal only
 * to a committee signed for this federation, now, with the descriptor's scheme and keys, so the
 * aggregation server cannot choose who holds the slices.
 */
import { bytesEqual } from '../base/bytes.js';
import { canonical } from './canonical.js';
import { CertificateError } from './errors.js';
import { sign, verifySignature } from './sign.js';
import { authorityId } from './certificate.js';

export const COMMITTEE_LABEL = 'SpeakOnce/v1/committee';
export const PRESENCE_LABEL = 'SpeakOnce/v1/present';

export interface CommitteeBody {
  readonly federation: string;
  /** Increases with every draw of this authority for this federation. */
  readonly epoch: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly m: number;
  readonly tRec: number;
  readonly rho: number;
  /** Member j at index j − 1: its participant id and certified X25519 sealing key. */
  readonly members: readonly { readonly participantId: string; readonly sealKey: Uint8Array }[];
  /** How many certified volunteers were present when it was drawn. */
  readonly pool: number;
  /** SHA-256 of the signing authority's public key. */
  readonly authority: Uint8Array;
}

export interface SignedCommittee {
  readonly body: CommitteeBody;
  readonly signature: Uint8Array;
}

export function committeeBytes(b: CommitteeBody): Uint8Array {
  return canonical(COMMITTEE_LABEL, [
    b.federation,
    b.epoch,
    b.notBefore,
    b.notAfter,
    [b.m, b.tRec, b.rho],
    b.members.map((x) => [x.participantId, x.sealKey]),
    b.pool,
    b.authority,
  ]);
}

export function signCommittee(authoritySecret: Uint8Array, body: CommitteeBody): SignedCommittee {
  return { body, signature: sign(authoritySecret, committeeBytes(body)) };
}

/** Verifies a signed committee for one federation, now; throws a typed CertificateError. */
export async function verifyCommittee(
  c: SignedCommittee,
  check: { authorities: readonly Uint8Array[]; federation: string; now: number },
): Promise<void> {
  const b = c.body;
  const key = check.authorities.find((k) => bytesEqual(authorityId(k), b.authority));
  if (!key)
    throw new CertificateError('UNKNOWN_AUTHORITY', 'the committee is signed by an authority this client does not pin');
  if (!(await verifySignature(key, committeeBytes(b), c.signature)))
    throw new CertificateError('BAD_SIGNATURE', "the committee list does not verify under the authority's key");
  if (b.federation !== check.federation)
    throw new CertificateError('WRONG_FEDERATION', `the committee is for federation ${b.federation}`);
  if (check.now < b.notBefore)
    throw new CertificateError('CERTIFICATE_NOT_YET_VALID', 'the committee is not valid yet');
  if (check.now >= b.notAfter)
    throw new CertificateError('CERTIFICATE_EXPIRED', `the committee of epoch ${b.epoch} expired`);
}

/** What a volunteer signs to tell the authority it is present (and may be drawn). */
export function presenceBytes(federation: string, participantId: string, time: number): Uint8Array {
  return canonical(PRESENCE_LABEL, [federation, participantId, time]);
}
