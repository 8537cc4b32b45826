/**
 * What an honest participant of a certified federation checks before it speaks
 * (docs/protocol.md §23, docs/threat-model.md): every check is against the authority keys the
 * participant pins, never against anything the aggregation server vouches for.
 *
 * - A trainer seals only to a committee whose every member holds a member certificate of this
 *   federation naming exactly the sealing key the descriptor lists (key substitution).
 * - A member answers only when every contribution in its job is signed by a certified trainer,
 *   over the descriptor the member itself received (model inconsistency), and commits to the
 *   slice the member holds (its own slice's digest).
 * - Everyone checks the members' signed H_S returned with the result (split view).
 */
import { bytesEqual } from '../base/bytes.js';
import { CodedError } from '../base/error.js';
import { type Certificate, verifyCertificateAsync } from '../cert/certificate.js';
import { CertificateError } from '../cert/errors.js';
import { verifyCommittee } from '../cert/committee.js';
import { verifySignature } from '../cert/sign.js';
import { answerBytes, contributionBytes } from '../cert/statements.js';
import { sha256Async } from '../secagg/index.js';
import type { Attestation, JobMsg, RoundMsg } from '../wire/messages.js';
import type { Trust } from './enroll.js';

export type VerifyErrorCode =
  | 'UNCERTIFIED_COMMITTEE'
  | 'UNCERTIFIED_CONTRIBUTION'
  | 'BAD_CONTRIBUTION_SIGNATURE'
  | 'DESCRIPTOR_MISMATCH'
  | 'SPLIT_VIEW'
  | 'UNPROVEN_EXCLUSION';

export class VerifyError extends CodedError<VerifyErrorCode> {}

/** Certificates whose signature verified already (per participant, across rounds). */
export type CertCache = Set<string>;

/** The trainer's check of the committee it is about to seal to. */
export async function checkCommittee(m: RoundMsg, trust: Trust, cache: CertCache, now = Date.now()): Promise<void> {
  if (m.config.mode !== 'secure') return;
  const { federation, committee, memberKeys } = m.config;
  const certs = m.memberCerts;
  if (!certs || certs.length !== committee.m || memberKeys.length !== committee.m)
    throw new VerifyError(
      'UNCERTIFIED_COMMITTEE',
      `round ${m.config.round} lists ${committee.m} member key(s) but ${certs?.length ?? 0} member certificate(s)`,
    );
  const ids = new Set<string>();
  await Promise.all(
    certs.map(async (cert, i) => {
      try {
        await verifyCertificateAsync(cert, { authorities: trust.authorities, federation, role: 'member', now }, cache);
      } catch (e) {
        if (e instanceof CertificateError)
          throw new VerifyError('UNCERTIFIED_COMMITTEE', `member ${i + 1} of round ${m.config.round}: ${e.message}`);
        throw e;
      }
      if (!bytesEqual(cert.body.sealKey, memberKeys[i] as Uint8Array))
        throw new VerifyError(
          'UNCERTIFIED_COMMITTEE',
          `member ${i + 1}'s key in round ${m.config.round} is not the key its certificate names (key substitution)`,
        );
      ids.add(cert.body.participantId);
    }),
  );
  if (ids.size !== certs.length)
    throw new VerifyError('UNCERTIFIED_COMMITTEE', `round ${m.config.round} seats one participant as several members`);
  // The committee must be the one the authority drew and signed, not one the server chose.
  const signed = m.committeeCert;
  if (!signed)
    throw new VerifyError(
      'UNCERTIFIED_COMMITTEE',
      `the committee of round ${m.config.round} was not drawn by the enrollment authority (no signed committee list)`,
    );
  try {
    await verifyCommittee(signed, { authorities: trust.authorities, federation, now });
  } catch (e) {
    if (e instanceof CertificateError)
      throw new VerifyError('UNCERTIFIED_COMMITTEE', `the committee list of round ${m.config.round}: ${e.message}`);
    throw e;
  }
  const b = signed.body;
  const same =
    b.m === committee.m &&
    b.tRec === committee.tRec &&
    b.rho === committee.rho &&
    b.members.length === certs.length &&
    b.members.every(
      (x, i) => x.participantId === certs[i]?.body.participantId && bytesEqual(x.sealKey, memberKeys[i] as Uint8Array),
    );
  if (!same)
    throw new VerifyError(
      'UNCERTIFIED_COMMITTEE',
      `the committee of round ${m.config.round} is not the one the authority drew for epoch ${b.epoch}`,
    );
}

/**
 * The member's check of its job: every slot signed by a distinct certified trainer over this
 * member's own descriptor digest, committing to the slice this member holds. Returns the number
 * of distinct certified trainers.
 */
export async function checkJob(
  m: RoundMsg,
  job: JobMsg,
  descriptorDigest: Uint8Array,
  trust: Trust,
  cache: CertCache,
  now = Date.now(),
): Promise<number> {
  if (m.config.mode !== 'secure') return 0;
  const { federation, round, committee } = m.config;
  const j = job.memberIndex;
  if (job.survivors.length !== job.slots.length || job.survivors.some((s, i) => s.id !== job.slots[i]?.id))
    throw new VerifyError('UNCERTIFIED_CONTRIBUTION', `the job's survivor list and its slots disagree`);
  const seen = new Set<string>();
  await Promise.all(
    job.slots.map(async (slot) => {
      const s = slot.signed;
      if (!s) throw new VerifyError('UNCERTIFIED_CONTRIBUTION', `the contribution of ${slot.id} is not signed`);
      // The signature check and the slice digest start now, on the platform's crypto threads,
      // while this thread goes on with the other slots' certificates; their results are
      // examined below, in the order of the checks, and only once the certificate holds.
      const signature = (async () =>
        verifySignature(
          s.cert.body.signKey,
          contributionBytes({
            federation,
            round,
            descriptorDigest,
            maskedDigest: s.masked,
            ephemeralPublic: slot.eph,
            sliceDigests: s.slices,
            keyCommitments: s.keys,
          }),
          s.sig,
        ))();
      signature.catch(() => undefined); // awaited below unless an earlier check throws
      const sliceDigest = sha256Async(slot.sealed);
      try {
        await verifyCertificateAsync(
          s.cert,
          { authorities: trust.authorities, federation, role: 'trainer', now },
          cache,
        );
      } catch (e) {
        if (e instanceof CertificateError)
          throw new VerifyError('UNCERTIFIED_CONTRIBUTION', `the trainer ${slot.id}: ${e.message}`);
        throw e;
      }
      if (s.cert.body.participantId !== slot.id)
        throw new VerifyError(
          'UNCERTIFIED_CONTRIBUTION',
          `the certificate in ${slot.id}'s slot is of ${s.cert.body.participantId}`,
        );
      seen.add(slot.id);
      if (
        s.slices.length !== committee.m ||
        s.keys.length !== committee.m ||
        !bytesEqual(s.slices[j - 1] as Uint8Array, await sliceDigest)
      )
        throw new VerifyError(
          'BAD_CONTRIBUTION_SIGNATURE',
          `the slice of ${slot.id} this member holds is not the one its trainer signed`,
        );
      if (!(await signature))
        throw new VerifyError(
          'DESCRIPTOR_MISMATCH',
          `the contribution of ${slot.id} is not signed over the round descriptor this member received: the server sent different descriptors, or the signature is forged`,
        );
    }),
  );
  if (seen.size !== job.slots.length)
    throw new VerifyError('UNCERTIFIED_CONTRIBUTION', 'a trainer appears twice in the job');
  return seen.size;
}

/**
 * Checks the members' signed H_S values returned with a result: each signature under the member
 * certificate of the round's descriptor, and all H_S equal (and equal to `mine`, for a member).
 */
export async function checkAttestations(
  m: RoundMsg,
  attestations: readonly Attestation[],
  mine?: Uint8Array,
): Promise<void> {
  if (m.config.mode !== 'secure') return;
  const certs: readonly Certificate[] = m.memberCerts ?? [];
  const { federation, round } = m.config;
  let first: Uint8Array | undefined = mine;
  for (const a of attestations) {
    const cert = certs[a.memberIndex - 1];
    const ok =
      cert !== undefined &&
      (await verifySignature(
        cert.body.signKey,
        answerBytes({ federation, round, memberIndex: a.memberIndex, survivorHash: a.hS, answerDigest: a.answer }),
        a.sig,
      ));
    if (!ok)
      throw new VerifyError('SPLIT_VIEW', `member ${a.memberIndex}'s attestation of round ${round} does not verify`);
    first ??= a.hS;
    if (!bytesEqual(first, a.hS))
      throw new VerifyError(
        'SPLIT_VIEW',
        `members answered different survivor sets in round ${round} (member ${a.memberIndex}'s H_S differs): the server showed them different views`,
      );
  }
}
