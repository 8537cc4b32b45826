/**
 * Enrollment fixtures for the authority's tests (src/authority): participants with
 * deterministic keys, and enrollment requests built as src/client/enroll.ts builds them — signed
 * by the participant's signing key, with the proof of possession of its sealing key for the
 * authority's enrollment key — in the authority's decoded form and in their JSON form.
 */
import type { CertRole } from '../../src/cert/certificate.js';
import { type RawSigningKeyPair, createSigningKey, sign } from '../../src/cert/sign.js';
import { enrollBytes } from '../../src/cert/statements.js';
import { type MemberIdentity, createIdentity, enrollProof } from '../../src/secagg/index.js';
import { type EnrollRequest, type EnrollRequestJson, hex } from '../../src/wire/authority.js';
import { participantIdOf } from '../../src/wire/ids.js';

export interface TestParticipant {
  readonly identity: MemberIdentity;
  readonly signing: RawSigningKeyPair;
  readonly participantId: string;
}

/** Participant `n`: the same keys every run. */
export function testParticipant(n: number): TestParticipant {
  const seed = (salt: number) => Uint8Array.from({ length: 32 }, (_, i) => (n * 37 + salt * 101 + i * 13) & 0xff);
  const identity = createIdentity(seed(1));
  return { identity, signing: createSigningKey(seed(2)), participantId: participantIdOf(identity.publicKey) };
}

export interface RequestOptions {
  readonly federation: string;
  readonly token: string;
  /** The authority's X25519 enrollment key (its `info().enrollKey`). */
  readonly enrollKey: Uint8Array;
  readonly roles?: readonly CertRole[];
}

/** A valid enrollment request of `p`. */
export async function enrollRequest(p: TestParticipant, o: RequestOptions): Promise<EnrollRequest> {
  const roles = [...(o.roles ?? ['trainer', 'member'])];
  const body = {
    federation: o.federation,
    participantId: p.participantId,
    sealKey: p.identity.publicKey,
    signKey: p.signing.publicKey,
    roles,
  };
  const bytes = enrollBytes(body);
  return {
    ...body,
    token: o.token,
    signature: sign(p.signing.secretKey, bytes),
    proof: await enrollProof(p.identity, o.enrollKey, bytes),
  };
}

/** The request as it travels (src/wire/authority.ts): bytes as lowercase hex. */
export function requestJson(r: EnrollRequest): EnrollRequestJson {
  return {
    federation: r.federation,
    token: r.token,
    participantId: r.participantId,
    sealKey: hex(r.sealKey),
    signKey: hex(r.signKey),
    roles: [...r.roles],
    signature: hex(r.signature),
    proof: hex(r.proof),
  };
}
