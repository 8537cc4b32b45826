import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { canonical } from './canonical.js';
import {
  type Certificate,
  type CertificateBody,
  authorityId,
  certificateBytes,
  issueCertificate,
  verifyCertificate,
} from './certificate.js';
import { CertificateError } from './errors.js';

const authSk = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const authPk = ed25519.getPublicKey(authSk);
const otherSk = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const body: CertificateBody = {
  federation: 'fed-a',
  participantId: 'p0123456789abcdef',
  sealKey: new Uint8Array(32).fill(7),
  signKey: new Uint8Array(32).fill(9),
  roles: ['trainer'],
  notBefore: 1_000,
  notAfter: 2_000,
  authority: authorityId(authPk),
};
const check = { authorities: [authPk], federation: 'fed-a', role: 'trainer' as const, now: 1_500 };

function code(f: () => void): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CertificateError) return e.code;
    throw e;
  }
  return undefined;
}

describe('participant certificates', () => {
  const cert = issueCertificate(authSk, body);

  it('verifies for its federation, role and validity interval', () => {
    expect(code(() => verifyCertificate(cert, check))).toBeUndefined();
  });

  it('refuses expired, not yet valid, wrong federation and wrong role', () => {
    expect(code(() => verifyCertificate(cert, { ...check, now: 2_000 }))).toBe('CERTIFICATE_EXPIRED');
    expect(code(() => verifyCertificate(cert, { ...check, now: 999 }))).toBe('CERTIFICATE_NOT_YET_VALID');
    expect(code(() => verifyCertificate(cert, { ...check, federation: 'fed-b' }))).toBe('WRONG_FEDERATION');
    expect(code(() => verifyCertificate(cert, { ...check, role: 'member' }))).toBe('WRONG_ROLE');
  });

  it('refuses a certificate signed by an authority the verifier does not pin', () => {
    const forged = issueCertificate(otherSk, body);
    expect(code(() => verifyCertificate(forged, check))).toBe('BAD_SIGNATURE');
    const named = issueCertificate(otherSk, { ...body, authority: authorityId(ed25519.getPublicKey(otherSk)) });
    expect(code(() => verifyCertificate(named, check))).toBe('UNKNOWN_AUTHORITY');
  });

  it('refuses every single bit flip of the signed bytes or the signature', () => {
    const bytes = certificateBytes(body);
    for (let bit = 0; bit < bytes.length * 8; bit += 7) {
      const sig = Uint8Array.from(cert.signature);
      sig[(bit >> 3) % 64]! ^= 1 << (bit & 7);
      expect(code(() => verifyCertificate({ body, signature: sig }, check))).toBe('BAD_SIGNATURE');
    }
    // A changed field (here each key) breaks the signature, never verifies as another body.
    for (const field of ['sealKey', 'signKey'] as const) {
      const k = Uint8Array.from(body[field]);
      k[5]! ^= 0x10;
      const tampered: Certificate = { body: { ...body, [field]: k }, signature: cert.signature };
      expect(code(() => verifyCertificate(tampered, check))).toBe('BAD_SIGNATURE');
    }
    const roles: Certificate = { body: { ...body, roles: ['trainer', 'member'] }, signature: cert.signature };
    expect(code(() => verifyCertificate(roles, { ...check, role: 'member' }))).toBe('BAD_SIGNATURE');
  });

  it('refuses malformed bodies with a typed error', () => {
    expect(code(() => issueCertificate(authSk, { ...body, sealKey: new Uint8Array(31) }))).toBe(
      'MALFORMED_CERTIFICATE',
    );
    expect(code(() => issueCertificate(authSk, { ...body, roles: [] }))).toBe('MALFORMED_CERTIFICATE');
    expect(code(() => issueCertificate(authSk, { ...body, notAfter: body.notBefore }))).toBe('MALFORMED_CERTIFICATE');
    expect(code(() => verifyCertificate({ body, signature: new Uint8Array(63) }, check))).toBe('MALFORMED_CERTIFICATE');
  });

  it('canonical encoding: a fixed byte layout, distinct for distinct values and labels', () => {
    expect(Array.from(canonical('L', ['a', 1, Uint8Array.of(9), [2]]))).toEqual([
      1, 0x4c, 1, 0, 0, 0, 1, 0x61, 2, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 1, 9, 4, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0,
      2,
    ]);
    expect(canonical('L', ['ab', 'c'])).not.toEqual(canonical('L', ['a', 'bc']));
    expect(canonical('L', [[1], 2])).not.toEqual(canonical('L', [[1, 2]]));
    expect(canonical('A', [])).not.toEqual(canonical('B', []));
  });
});
