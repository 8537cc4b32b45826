/**
 * The aggregation server's own signing key, certified by the enrollment authority
 * (docs/protocol.md §26): the server signs each round's descriptor digest and each record of its
 * hash-chained round log, so a transcript (docs/transcript.md) is the server's word, not
 * anybody's. The certificate binds, under the authority's key: the federation, the server's
 * Ed25519 public key and a validity interval. It has its own label, so it never verifies as a
 * participant certificate and grants no participant role.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../base/bytes.js';
import { canonical } from './canonical.js';
import { authorityId } from './certificate.js';
import { CertificateError } from './errors.js';
import { sign, verifySignature } from './sign.js';

export const SERVER_CERTIFICATE_LABEL = 'SpeakOnce/v1/server-certificate';
export const SERVER_DESCRIPTOR_LABEL = 'SpeakOnce/v1/server-descriptor';
export const ROUND_RECORD_LABEL = 'SpeakOnce/v1/round-record';

export interface ServerCertificateBody {
  readonly federation: string;
  /** The server's Ed25519 public key. */
  readonly signKey: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  /** SHA-256 of the issuing authority's Ed25519 public key. */
  readonly authority: Uint8Array;
}

export interface ServerCertificate {
  readonly body: ServerCertificateBody;
  readonly signature: Uint8Array;
}

/** How long a server certificate is valid (the server asks again before it runs out). */
export const SERVER_CERTIFICATE_MS = 30 * 24 * 3600_000;

export function serverCertificateBytes(b: ServerCertificateBody): Uint8Array {
  if (typeof b.federation !== 'string' || b.federation.length === 0 || b.federation.length > 128)
    throw new CertificateError('MALFORMED_CERTIFICATE', 'server certificate: federation must be 1–128 characters');
  for (const k of [b.signKey, b.authority])
    if (!(k instanceof Uint8Array) || k.length !== 32)
      throw new CertificateError('MALFORMED_CERTIFICATE', 'server certificate: keys must be 32 bytes');
  if (!Number.isSafeInteger(b.notBefore) || !Number.isSafeInteger(b.notAfter) || b.notAfter <= b.notBefore)
    throw new CertificateError('MALFORMED_CERTIFICATE', 'server certificate: validity must be notBefore < notAfter');
  return canonical(SERVER_CERTIFICATE_LABEL, [b.federation, b.signKey, b.notBefore, b.notAfter, b.authority]);
}

export function issueServerCertificate(authoritySecret: Uint8Array, body: ServerCertificateBody): ServerCertificate {
  return { body, signature: sign(authoritySecret, serverCertificateBytes(body)) };
}

/** Verifies a server certificate for one federation at time `now`; throws a typed CertificateError. */
export async function verifyServerCertificate(
  c: ServerCertificate,
  check: { authorities: readonly Uint8Array[]; federation: string; now: number },
): Promise<void> {
  const b = c.body;
  const key = check.authorities.find((k) => bytesEqual(authorityId(k), b.authority));
  if (!key) throw new CertificateError('UNKNOWN_AUTHORITY', 'the server certificate names an authority not pinned');
  if (!(await verifySignature(key, serverCertificateBytes(b), c.signature)))
    throw new CertificateError('BAD_SIGNATURE', "the server certificate does not verify under the authority's key");
  if (b.federation !== check.federation)
    throw new CertificateError('WRONG_FEDERATION', `the server certificate is for federation ${b.federation}`);
  if (check.now < b.notBefore)
    throw new CertificateError('CERTIFICATE_NOT_YET_VALID', 'the server certificate was not valid yet');
  if (check.now >= b.notAfter) throw new CertificateError('CERTIFICATE_EXPIRED', 'the server certificate had expired');
}

/** What the server signs for a round's descriptor: statement(federation, round, D). */
export function serverDescriptorBytes(federation: string, round: number, descriptorDigest: Uint8Array): Uint8Array {
  return canonical(SERVER_DESCRIPTOR_LABEL, [federation, round, descriptorDigest]);
}

/**
 * What the server signs for one record of its round log: statement(federation, round, prev,
 * SHA-256 of the record's JSON without its signature and checksum). `prev` is the hash of the
 * previous line (docs/transcript.md).
 */
export function roundRecordBytes(federation: string, round: number, prev: Uint8Array, body: string): Uint8Array {
  return canonical(ROUND_RECORD_LABEL, [federation, round, prev, sha256(new TextEncoder().encode(body))]);
}
