/**
 * Enrollment with the authority (docs/protocol.md §23), from the browser or Node (fetch): the
 * participant proves it holds its sealing key and its signing key and receives its certificate.
 * The authority's signing key is never taken from the network: the caller pins it (join link or
 * configuration) and the certificate must verify under it.
 */
import * as v from 'valibot';
import { CodedError } from '../base/error.js';
import { type Certificate, type CertRole, verifyCertificateAsync } from '../cert/certificate.js';
import { CertificateError } from '../cert/errors.js';
import { type SigningKeyPair, signAsync } from '../cert/sign.js';
import { presenceBytes } from '../cert/committee.js';
import { enrollBytes } from '../cert/statements.js';
import { type MemberIdentity, enrollProof } from '../secagg/index.js';
import {
  AuthorityErrorSchema,
  AuthorityInfoSchema,
  EnrollResponseSchema,
  type EnrollRequestJson,
  type PresenceRequestJson,
  certificateToJson,
  hex,
} from '../wire/authority.js';
import { bytesEqual } from '../base/bytes.js';

export type EnrollErrorCode = 'AUTHORITY_UNREACHABLE' | 'AUTHORITY_REFUSED' | 'AUTHORITY_NOT_PINNED';

export class EnrollError extends CodedError<EnrollErrorCode> {}

/** What a participant trusts: the authority's signing keys it pins (current and retired). */
export interface Trust {
  readonly authorities: readonly Uint8Array[];
}

export interface Credentials {
  readonly certificate: Certificate;
  readonly signing: SigningKeyPair;
}

export interface EnrollInput {
  /** Base URL of the authority, e.g. http://host:8080/authority */
  readonly url: string;
  /** The federation to enroll in (default: the one the authority names). */
  readonly federation?: string;
  readonly token: string;
  readonly identity: MemberIdentity;
  readonly signing: SigningKeyPair;
  readonly roles: readonly CertRole[];
  readonly participantId: string;
  readonly trust: Trust;
  readonly fetch?: typeof fetch;
}

async function call<T>(
  f: typeof fetch,
  url: string,
  init: RequestInit | undefined,
  schema: v.GenericSchema<unknown, T>,
): Promise<T> {
  let res: Response;
  try {
    res = await f(url, init);
  } catch (e) {
    throw new EnrollError('AUTHORITY_UNREACHABLE', `cannot reach the enrollment authority at ${url}: ${String(e)}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new EnrollError(
      'AUTHORITY_UNREACHABLE',
      `the enrollment authority at ${url} answered ${res.status} without JSON`,
    );
  }
  if (!res.ok) {
    const err = v.safeParse(AuthorityErrorSchema, body);
    const why = err.success ? `${err.output.error.code}: ${err.output.error.message}` : `HTTP ${res.status}`;
    throw new EnrollError('AUTHORITY_REFUSED', `the enrollment authority refused: ${why}`);
  }
  const out = v.safeParse(schema, body);
  if (!out.success) throw new EnrollError('AUTHORITY_REFUSED', `the enrollment authority's answer is malformed`);
  return out.output;
}

/** Enrolls and returns the certificate, verified under the pinned authority key. */
export async function enroll(input: EnrollInput): Promise<Credentials> {
  const f = input.fetch ?? globalThis.fetch.bind(globalThis);
  const base = input.url.replace(/\/+$/, '');
  const info = await call(f, `${base}/v1/authority`, undefined, AuthorityInfoSchema);
  if (!input.trust.authorities.some((k) => bytesEqual(k, info.publicKey)))
    throw new EnrollError(
      'AUTHORITY_NOT_PINNED',
      `the service at ${base} signs with a key this participant does not pin; refusing to enroll there`,
    );
  const federation = input.federation ?? info.federation;
  if (federation !== info.federation)
    throw new EnrollError(
      'AUTHORITY_REFUSED',
      `the authority at ${base} enrolls ${info.federation}, not ${federation}`,
    );
  const body = {
    federation,
    participantId: input.participantId,
    sealKey: input.identity.publicKey,
    signKey: input.signing.publicKey,
    roles: input.roles,
  };
  const bytes = enrollBytes(body);
  const req: EnrollRequestJson = {
    federation: body.federation,
    token: input.token,
    participantId: body.participantId,
    sealKey: hex(body.sealKey),
    signKey: hex(body.signKey),
    roles: [...body.roles],
    signature: hex(await signAsync(input.signing.secretKey, bytes)),
    proof: hex(await enrollProof(input.identity, info.enrollKey, bytes)),
  };
  const out = await call(
    f,
    `${base}/v1/enroll`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) },
    EnrollResponseSchema,
  );
  const certificate = out.certificate as Certificate;
  await verifyCertificateAsync(certificate, {
    authorities: input.trust.authorities,
    federation,
    now: Date.now(),
  });
  if (
    !bytesEqual(certificate.body.sealKey, input.identity.publicKey) ||
    !bytesEqual(certificate.body.signKey, input.signing.publicKey)
  )
    throw new CertificateError('BAD_SIGNATURE', "the certificate received does not name this participant's keys");
  return { certificate, signing: input.signing };
}

/** Tells the authority this volunteer is present, so it may be drawn (docs/protocol.md §24). */
export async function announcePresence(
  url: string,
  credentials: Credentials,
  f: typeof fetch = globalThis.fetch.bind(globalThis),
): Promise<void> {
  const cert = credentials.certificate;
  const time = Date.now();
  const signature = await signAsync(
    credentials.signing.secretKey,
    presenceBytes(cert.body.federation, cert.body.participantId, time),
  );
  const body: PresenceRequestJson = { certificate: certificateToJson(cert), time, signature: hex(signature) };
  await call(
    f,
    `${url.replace(/\/+$/, '')}/v1/present`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    v.strictObject({ ok: v.literal(true) }),
  );
}
