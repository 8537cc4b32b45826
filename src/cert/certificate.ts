/**
 * Participant certificates issued by the enrollment authority (docs/protocol.md §22). A
 * certificate binds, under the authority's Ed25519 key (which the
 * aggregation server never holds): the federation, the participant id, its X25519 sealing key,
 * its Ed25519 signing key (a separate key: the sealing key also answers the join challenge),
 * its roles, and a validity interval in milliseconds since the epoch.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes } from '../base/bytes.js';
import { canonical } from './canonical.js';
import { CertificateError } from './errors.js';
import { verifySignature, verifySignatureSync } from './sign.js';

export const CERTIFICATE_LABEL = 'SpeakOnce/v1/certificate';

export type CertRole = 'trainer' | 'member';

export interface CertificateBody {
  readonly federation: string;
  readonly participantId: string;
  /** X25519 public key that slices are sealed to. */
  readonly sealKey: Uint8Array;
  /** Ed25519 public key that the participant's contributions and answers verify under. */
  readonly signKey: Uint8Array;
  readonly roles: readonly CertRole[];
  readonly notBefore: number;
  readonly notAfter: number;
  /** SHA-256 of the issuing authority's Ed25519 public key. */
  readonly authority: Uint8Array;
}

export interface Certificate {
  readonly body: CertificateBody;
  /** Ed25519 signature of the authority over {@link certificateBytes}. */
  readonly signature: Uint8Array;
}

const ROLES: readonly CertRole[] = ['trainer', 'member'];

/** The signed bytes: label, then the body's fields in the order of the interface above. */
export function certificateBytes(b: CertificateBody): Uint8Array {
  checkBody(b);
  const roles = ROLES.filter((r) => b.roles.includes(r));
  return canonical(CERTIFICATE_LABEL, [
    b.federation,
    b.participantId,
    b.sealKey,
    b.signKey,
    roles,
    b.notBefore,
    b.notAfter,
    b.authority,
  ]);
}

/** The id under which an authority key is named in certificates: SHA-256 of the public key. */
export function authorityId(authorityPublicKey: Uint8Array): Uint8Array {
  return sha256(authorityPublicKey);
}

export function issueCertificate(authoritySecretKey: Uint8Array, body: CertificateBody): Certificate {
  return { body, signature: ed25519.sign(certificateBytes(body), authoritySecretKey) };
}

export interface CertificateCheck {
  /** The authority keys the verifier pins (current and, during a rotation, the previous one). */
  readonly authorities: readonly Uint8Array[];
  readonly federation: string;
  /** The role the certificate must grant for this use. */
  readonly role?: CertRole;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/** Verifies a certificate for one use; throws a typed CertificateError naming the failed check. */
export function verifyCertificate(cert: Certificate, check: CertificateCheck): void {
  const key = precheck(cert, check);
  postcheck(cert, check, verifySignatureSync(key, certificateBytes(cert.body), cert.signature));
}

/**
 * The same checks with the platform's fast Ed25519 (sign.ts). `verified` remembers certificates
 * whose signature already verified (keyed by their signed bytes and signature), so a member
 * that sees the same trainers every round verifies each certificate's signature once; the
 * validity, federation and role checks run every time.
 */
export async function verifyCertificateAsync(
  cert: Certificate,
  check: CertificateCheck,
  verified?: Set<string>,
): Promise<void> {
  const key = precheck(cert, check);
  const bytes = certificateBytes(cert.body);
  const id = verified ? cacheKey(bytes, cert.signature, key) : '';
  let ok = verified?.has(id) ?? false;
  if (!ok) {
    ok = await verifySignature(key, bytes, cert.signature);
    if (ok && verified) {
      if (verified.size > 100_000) verified.clear();
      verified.add(id);
    }
  }
  postcheck(cert, check, ok);
}

/** SHA-256 of the certificate's signed bytes and signature: how statements name a certificate. */
export function certificateDigest(cert: Certificate): Uint8Array {
  return sha256(concatBytes(certificateBytes(cert.body), cert.signature));
}

function cacheKey(bytes: Uint8Array, sig: Uint8Array, key: Uint8Array): string {
  const d = sha256(concatBytes(bytes, sig, key));
  let s = '';
  for (const x of d) s += x.toString(16).padStart(2, '0');
  return s;
}

function precheck(cert: Certificate, check: CertificateCheck): Uint8Array {
  const b = cert.body;
  checkBody(b);
  if (!(cert.signature instanceof Uint8Array) || cert.signature.length !== 64) {
    throw new CertificateError('MALFORMED_CERTIFICATE', 'certificate signature must be 64 bytes');
  }
  const key = check.authorities.find((k) => bytesEqual(authorityId(k), b.authority));
  if (!key)
    throw new CertificateError(
      'UNKNOWN_AUTHORITY',
      `certificate of ${b.participantId} names an authority this client does not pin`,
    );
  return key;
}

function postcheck(cert: Certificate, check: CertificateCheck, signatureOk: boolean): void {
  const b = cert.body;
  if (!signatureOk)
    throw new CertificateError(
      'BAD_SIGNATURE',
      `certificate of ${b.participantId} does not verify under the authority's key`,
    );
  if (b.federation !== check.federation) {
    throw new CertificateError(
      'WRONG_FEDERATION',
      `certificate of ${b.participantId} is for federation ${b.federation}, not ${check.federation}`,
    );
  }
  if (check.now < b.notBefore)
    throw new CertificateError('CERTIFICATE_NOT_YET_VALID', `certificate of ${b.participantId} is not valid yet`);
  if (check.now >= b.notAfter)
    throw new CertificateError(
      'CERTIFICATE_EXPIRED',
      `certificate of ${b.participantId} expired at ${new Date(b.notAfter).toISOString()}`,
    );
  if (check.role && !b.roles.includes(check.role)) {
    throw new CertificateError('WRONG_ROLE', `certificate of ${b.participantId} does not grant the ${check.role} role`);
  }
}

function checkBody(b: CertificateBody): void {
  const bad = (why: string) => new CertificateError('MALFORMED_CERTIFICATE', `certificate: ${why}`);
  if (typeof b.federation !== 'string' || b.federation.length === 0 || b.federation.length > 128)
    throw bad('federation must be 1–128 characters');
  if (typeof b.participantId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(b.participantId))
    throw bad('participant id must be 1–128 printable ASCII characters');
  for (const [name, k] of [
    ['sealKey', b.sealKey],
    ['signKey', b.signKey],
    ['authority', b.authority],
  ] as const) {
    if (!(k instanceof Uint8Array) || k.length !== 32) throw bad(`${name} must be 32 bytes`);
  }
  const roles: readonly unknown[] = Array.isArray(b.roles) ? (b.roles as readonly unknown[]) : [];
  if (
    roles.length === 0 ||
    roles.some((r) => !(ROLES as readonly unknown[]).includes(r)) ||
    new Set(roles).size !== roles.length
  ) {
    throw bad('roles must be a non-empty set of trainer, member');
  }
  if (
    !Number.isSafeInteger(b.notBefore) ||
    !Number.isSafeInteger(b.notAfter) ||
    b.notBefore < 0 ||
    b.notAfter <= b.notBefore
  ) {
    throw bad('validity must be 0 ≤ notBefore < notAfter (ms since the epoch)');
  }
}
