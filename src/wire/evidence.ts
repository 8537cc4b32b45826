/**
 * Verifiable complaints (docs/protocol.md §25): the checks that decide whether a trainer is left
 * out of a round, made alike by the server (before it re-issues a job) and by every member (before
 * it answers the re-issued job). Nothing here trusts the aggregation server: the trainer's own
 * signature binds its sealed slices and slice-key commitments, the members' signatures bind their
 * complaints, and the certificates come from the enrollment authority.
 *
 * A trainer is *convicted* for the survivor set with hash H_S when either
 *   - one complaint proves it: a member of the round revealed a slice key whose commitment the
 *     trainer signed and under which the slice the trainer signed does not open, or opens to
 *     something that is not a slice ('open', 'slice'); or
 *   - at least k = t_rec − ρ + 1 distinct members signed a 'key' complaint naming it. The
 *     protocol assumes at most c_max = t_rec − ρ corrupt members (more could open the secrets
 *     themselves, §11, §15), so one of the k is honest, and an honest member complains only about
 *     a trainer that deviated.
 * An honest trainer is never convicted: its slices open under its committed keys (no key that
 * proves otherwise exists) and at most c_max < k members lie.
 */
import { CodedError } from '../base/error.js';
import { bytesEqual } from '../base/bytes.js';
import type { Certificate } from '../cert/certificate.js';
import { complaintBytes, contributionBytes, digest } from '../cert/statements.js';
import { judgeSlice } from '../secagg/index.js';
import type { SignedComplaint, SignedSlot, WireExcluded } from './messages.js';

export type EvidenceErrorCode = 'BAD_COMPLAINT' | 'NOT_CONVICTED';

export class EvidenceError extends CodedError<EvidenceErrorCode> {}

export interface EvidenceContext {
  readonly federation: string;
  readonly round: number;
  readonly m: number;
  readonly tRec: number;
  readonly rho: number;
  /** Residues in one slice (2P). */
  readonly sliceResidues: number;
  /** The descriptor digest every trainer of the round signed (§23). */
  readonly descriptorDigest: Uint8Array;
  /** Member j's certificate at index j − 1 (the round descriptor's memberCerts). */
  readonly memberCerts: readonly Certificate[];
  /** Checks a trainer's certificate against the verifier's pinned authorities (throws if not). */
  readonly checkTrainerCert: (cert: Certificate, participantId: string) => Promise<void>;
  readonly verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;
}

/** Distinct members whose complaints convict without a proof: c_max + 1 = t_rec − ρ + 1. */
export function attestationThreshold(tRec: number, rho: number): number {
  return tRec - rho + 1;
}

/** Checks a member's complaint signature under its certificate in this round. */
export async function complaintSignatureValid(ctx: EvidenceContext, c: SignedComplaint): Promise<boolean> {
  const cert = ctx.memberCerts[c.memberIndex - 1];
  if (!cert) return false;
  const bytes = complaintBytes({
    federation: ctx.federation,
    round: ctx.round,
    memberIndex: c.memberIndex,
    survivorHash: c.hS,
    faults: c.faults.map((f) => ({ trainer: f.id, kind: f.kind, key: f.okm ?? new Uint8Array(0) })),
  });
  return ctx.verify(cert.body.signKey, bytes, c.sig);
}

/** Checks a trainer's signed contribution data (certificate, signature over this round's descriptor). */
export async function signedSlotValid(
  ctx: EvidenceContext,
  id: string,
  eph: Uint8Array,
  s: SignedSlot,
): Promise<boolean> {
  if (s.cert.body.participantId !== id || s.slices.length !== ctx.m || s.keys.length !== ctx.m) return false;
  try {
    await ctx.checkTrainerCert(s.cert, id);
  } catch {
    return false;
  }
  const bytes = contributionBytes({
    federation: ctx.federation,
    round: ctx.round,
    descriptorDigest: ctx.descriptorDigest,
    maskedDigest: s.masked,
    ephemeralPublic: eph,
    sliceDigests: s.slices,
    keyCommitments: s.keys,
  });
  return ctx.verify(s.cert.body.signKey, bytes, s.sig);
}

/**
 * Whether one fault of a complaint proves the trainer's deviation: the revealed key matches the
 * signed commitment, the sealed slice is the signed one, and it does not open to a slice.
 */
export async function faultProven(
  ctx: EvidenceContext,
  ex: WireExcluded,
  memberIndex: number,
  okm: Uint8Array | undefined,
): Promise<boolean> {
  if (!okm) return false;
  const sealed = ex.sealed.find((x) => x.memberIndex === memberIndex)?.sealed;
  const signedDigest = ex.signed.slices[memberIndex - 1];
  if (!sealed || !signedDigest || !bytesEqual(digest(sealed), signedDigest)) return false;
  const id = { ctx: { federation: ctx.federation, round: ctx.round }, clientId: ex.id, memberIndex };
  const verdict = await judgeSlice(id, sealed, okm, ex.signed.keys[memberIndex - 1], ctx.sliceResidues);
  return verdict.kind === 'open' || verdict.kind === 'slice';
}

/**
 * Decides whether `ex` is convicted for the survivor set `hS` by `complaints` (each already
 * signature-checked by the caller, or checked here when `checkSignatures`). Returns how:
 * 'proven' (one complaint proves it) or 'attested' (k distinct members); throws NOT_CONVICTED.
 */
export async function convicted(
  ctx: EvidenceContext,
  hS: Uint8Array,
  ex: WireExcluded,
  complaints: readonly SignedComplaint[],
  checkSignatures = true,
): Promise<'proven' | 'attested'> {
  if (!(await signedSlotValid(ctx, ex.id, ex.eph, ex.signed)))
    throw new EvidenceError('NOT_CONVICTED', `the evidence against ${ex.id} does not carry its signed contribution`);
  const members = new Set<number>();
  for (const c of complaints) {
    if (!bytesEqual(c.hS, hS) || members.has(c.memberIndex)) continue;
    const fault = c.faults.find((f) => f.id === ex.id);
    if (!fault) continue;
    if (checkSignatures && !(await complaintSignatureValid(ctx, c))) continue;
    if (fault.kind !== 'key' && (await faultProven(ctx, ex, c.memberIndex, fault.okm))) return 'proven';
    if (fault.kind === 'key') members.add(c.memberIndex);
  }
  const k = attestationThreshold(ctx.tRec, ctx.rho);
  if (members.size >= k) return 'attested';
  throw new EvidenceError(
    'NOT_CONVICTED',
    `the complaints against ${ex.id} prove nothing: no revealed key shows a bad slice, and ${members.size} of the ${k} members needed say its keys do not match`,
  );
}
