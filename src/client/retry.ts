/**
 * A member's check of a re-issued job (docs/protocol.md §25): the server left trainers out of the
 * survivor set after complaints, and asks the committee to answer again for what remains. A member
 * answers a second job of a round only if every trainer left out is convicted by evidence it
 * checks itself, and the new set is exactly the old one without them; so any two answers it gives
 * in a round differ only by the shares of convicted trainers, never an honest trainer's.
 */
import { bytesEqual } from '../base/bytes.js';
import { verifyCertificateAsync } from '../cert/certificate.js';
import { verifySignature } from '../cert/sign.js';
import { sliceLength, survivorHash } from '../secagg/index.js';
import { type EvidenceContext, EvidenceError, convicted } from '../wire/evidence.js';
import type { JobMsg, RoundMsg } from '../wire/messages.js';
import type { Trust } from './enroll.js';
import { type CertCache, VerifyError } from './verify.js';

/**
 * Checks `job.retry` and returns the H_S of the job it replaces (the member must have spoken for
 * that one, or for none in this round). Throws VerifyError `UNPROVEN_EXCLUSION`.
 */
export async function checkRetry(
  m: RoundMsg,
  job: JobMsg,
  descriptorDigest: Uint8Array,
  trust: Trust,
  cache: CertCache,
  now = Date.now(),
): Promise<Uint8Array> {
  const retry = job.retry;
  if (m.config.mode !== 'secure' || !retry)
    throw new VerifyError('UNPROVEN_EXCLUSION', 'not a re-issued job of a secure round');
  const { federation, round, committee } = m.config;
  const refuse = (why: string): never => {
    throw new VerifyError('UNPROVEN_EXCLUSION', `re-issued job of round ${round} refused: ${why}`);
  };
  const ctxRound = { federation, round };
  let previousHash: Uint8Array;
  try {
    previousHash = survivorHash(
      ctxRound,
      retry.previous.map((s) => ({ clientId: s.id, digest: s.digest })),
    );
  } catch {
    return refuse('the previous survivor list is not sorted and unique');
  }
  // The new list is the previous one without exactly the excluded trainers, in the same order.
  const out = new Set(retry.excluded.map((x) => x.id));
  if (out.size !== retry.excluded.length) refuse('a trainer is excluded twice');
  const kept = retry.previous.filter((s) => !out.has(s.id));
  if (kept.length + out.size !== retry.previous.length) refuse('it excludes a trainer that was not a survivor');
  const same =
    kept.length === job.survivors.length &&
    kept.every(
      (s, i) => s.id === job.survivors[i]?.id && bytesEqual(s.digest, job.survivors[i]?.digest ?? new Uint8Array()),
    );
  if (!same) refuse('the new survivor list is not the previous one without the excluded trainers');
  const ctx: EvidenceContext = {
    federation,
    round,
    m: committee.m,
    tRec: committee.tRec,
    rho: committee.rho,
    sliceResidues: sliceLength(committee),
    descriptorDigest,
    memberCerts: m.memberCerts ?? [],
    checkTrainerCert: async (cert, id) => {
      await verifyCertificateAsync(cert, { authorities: trust.authorities, federation, role: 'trainer', now }, cache);
      if (cert.body.participantId !== id) throw new VerifyError('UNPROVEN_EXCLUSION', `certificate of another trainer`);
    },
    verify: verifySignature,
  };
  for (const ex of retry.excluded) {
    try {
      await convicted(ctx, previousHash, ex, retry.complaints);
    } catch (e) {
      if (e instanceof EvidenceError) refuse(e.message);
      throw e;
    }
  }
  return previousHash;
}
