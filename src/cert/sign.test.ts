/**
 * Ed25519 verification (sign.ts) on both paths — WebCrypto where the platform has it, noble where
 * it has not — and the certificate checks built on it: the same answer for every input, valid,
 * bit-flipped, mis-sized or crafted (small-order and mixed-order keys, torsion in R), and the
 * asynchronous certificate check gives the synchronous one's codes, its cache included.
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { concatBytes } from '../base/bytes.js';
import { canonical } from './canonical.js';
import {
  CERTIFICATE_LABEL,
  type Certificate,
  type CertificateBody,
  type CertificateCheck,
  authorityId,
  certificateBytes,
  issueCertificate,
  verifyCertificate,
  verifyCertificateAsync,
} from './certificate.js';
import { CertificateError } from './errors.js';
import {
  createKeySigningKey,
  createSigningKey,
  sign,
  signAsync,
  verifySignature,
  verifySignatureSync,
} from './sign.js';
import {
  ANSWER_LABEL,
  COMPLAINT_LABEL,
  CONTRIBUTION_LABEL,
  ENROLL_LABEL,
  answerBytes,
  complaintBytes,
  contributionBytes,
  digest,
  enrollBytes,
} from './statements.js';

const seed = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7) & 0xff);
const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};
/** noble's own verify (its defaults), with a throw read as a refusal. */
const noble = (pk: Uint8Array, m: Uint8Array, s: Uint8Array): boolean => {
  try {
    return ed25519.verify(s, m, pk);
  } catch {
    return false;
  }
};

// ---- crafted points (RFC 8032 edge cases; "Taming the many EdDSAs", Chalkias et al. 2020) ----
const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array) => Point.Fn.create(le(sha512(concatBytes(r, a, m))));
/** A point of order 8. */
const T8 = Point.fromBytes(hexBytes(ED25519_TORSION_SUBGROUP[1]!));
/** R = identity, S = 0: under a small-order key it satisfies [S]B = R + [k]A for many messages. */
const ZERO_SIG = concatBytes(Point.ZERO.toBytes(), new Uint8Array(32));
/** The identity encoded with y = p + 1 (non-canonical). */
const NONCANONICAL_IDENTITY = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xee : i === 31 ? 0x7f : 0xff));

/** A signature by secret scalar a (public aB + torsion) with nonce point rB + torsion. */
function crafted(a: bigint, r: bigint, m: Uint8Array, keyTorsion: boolean, nonceTorsion: boolean) {
  const A = keyTorsion ? Point.BASE.multiply(a).add(T8) : Point.BASE.multiply(a);
  const R = nonceTorsion ? Point.BASE.multiply(r).add(T8) : Point.BASE.multiply(r);
  const pk = A.toBytes();
  const rb = R.toBytes();
  const k = challenge(rb, pk, m);
  return { pk, sig: concatBytes(rb, le32(Point.Fn.create(r + k * a))), k };
}

describe('verifySignature', () => {
  const keys = [createSigningKey(seed(1)), createSigningKey(seed(2)), createSigningKey()];
  const messages = [new Uint8Array(0), Uint8Array.of(0), new Uint8Array(32).fill(0xa5), seed(3), new Uint8Array(1000)];

  it('accepts every valid signature, like noble, on both paths', async () => {
    for (const k of keys)
      for (const m of messages) {
        const s = sign(k.secretKey, m);
        expect(noble(k.publicKey, m, s)).toBe(true);
        expect(verifySignatureSync(k.publicKey, m, s)).toBe(true);
        expect(await verifySignature(k.publicKey, m, s)).toBe(true);
      }
  });

  it('refuses every bit flip of the message, the signature and the key, like noble, on both paths', async () => {
    const k = keys[0]!;
    const m = seed(4);
    const s = sign(k.secretKey, m);
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [];
    for (let bit = 0; bit < m.length * 8; bit++) cases.push([`message bit ${bit}`, k.publicKey, flip(m, bit), s]);
    for (let bit = 0; bit < 512; bit++) cases.push([`signature bit ${bit}`, k.publicKey, m, flip(s, bit)]);
    for (let bit = 0; bit < 256; bit++) cases.push([`key bit ${bit}`, flip(k.publicKey, bit), m, s]);
    for (const [what, pk, msg, sig] of cases) {
      const got = [noble(pk, msg, sig), verifySignatureSync(pk, msg, sig), await verifySignature(pk, msg, sig)];
      expect(got, what).toEqual([false, false, false]);
    }
  });

  it('returns false, never throws, for keys and signatures of the wrong length', async () => {
    const k = keys[1]!;
    const m = Uint8Array.of(1, 2, 3);
    const s = sign(k.secretKey, m);
    const cases: [Uint8Array, Uint8Array][] = [
      [k.publicKey.subarray(0, 31), s],
      [concatBytes(k.publicKey, Uint8Array.of(0)), s],
      [new Uint8Array(0), s],
      [k.publicKey, s.subarray(0, 63)],
      [k.publicKey, concatBytes(s, Uint8Array.of(0))],
      [k.publicKey, new Uint8Array(0)],
    ];
    for (const [pk, sig] of cases) {
      expect(noble(pk, m, sig)).toBe(false);
      expect(verifySignatureSync(pk, m, sig)).toBe(false);
      await expect(verifySignature(pk, m, sig)).resolves.toBe(false);
    }
  });

  it('refuses small-order and non-canonical keys on both paths (a signature under them would verify for any message)', async () => {
    const small = [...ED25519_TORSION_SUBGROUP.map(hexBytes), NONCANONICAL_IDENTITY];
    for (const pk of small)
      for (const m of [Uint8Array.of(1), Uint8Array.of(2), seed(5)]) {
        expect(verifySignatureSync(pk, m, ZERO_SIG)).toBe(false);
        expect(await verifySignature(pk, m, ZERO_SIG)).toBe(false);
      }
  });

  it('checks the cofactorless equation of RFC 8032 on both paths: mixed-order keys and torsion in R', async () => {
    let mixedAccepted = 0;
    for (let i = 0; i < 16; i++) {
      const m = Uint8Array.of(i);
      // R with a torsion component: [S]B ≠ R + [k]A, whatever k.
      const t = crafted(1234567n + BigInt(i), 7654321n, m, false, true);
      expect(verifySignatureSync(t.pk, m, t.sig)).toBe(false);
      expect(await verifySignature(t.pk, m, t.sig)).toBe(false);
      // A key with a torsion component: [S]B = R + [k]A only when 8 divides k.
      const x = crafted(1234567n + BigInt(i), 7654321n, m, true, false);
      const want = x.k % 8n === 0n;
      if (want) mixedAccepted++;
      expect(verifySignatureSync(x.pk, m, x.sig)).toBe(want);
      expect(await verifySignature(x.pk, m, x.sig)).toBe(want);
    }
    expect(mixedAccepted).toBeLessThan(16);
  });

  it('refuses S ≥ L (a malleated signature) on both paths', async () => {
    const k = keys[0]!;
    const m = Uint8Array.of(9);
    const s = sign(k.secretKey, m);
    const high = concatBytes(s.subarray(0, 32), le32(le(s.subarray(32)) + L));
    expect(noble(k.publicKey, m, high)).toBe(false);
    expect(verifySignatureSync(k.publicKey, m, high)).toBe(false);
    expect(await verifySignature(k.publicKey, m, high)).toBe(false);
  });

  describe('without WebCrypto Ed25519', () => {
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.resetModules();
    });

    it('falls back to the same answers', async () => {
      const k = keys[0]!;
      const m = seed(6);
      const s = sign(k.secretKey, m);
      const x = crafted(99n, 77n, m, false, true);
      const small = hexBytes(ED25519_TORSION_SUBGROUP[0]!);
      vi.resetModules();
      vi.stubGlobal('crypto', {});
      const fresh = await import('./sign.js');
      expect(await fresh.verifySignature(k.publicKey, m, s)).toBe(true);
      expect(await fresh.verifySignature(k.publicKey, flip(m, 3), s)).toBe(false);
      expect(await fresh.verifySignature(k.publicKey, m, flip(s, 300))).toBe(false);
      expect(await fresh.verifySignature(small, m, ZERO_SIG)).toBe(false);
      expect(await fresh.verifySignature(x.pk, m, x.sig)).toBe(false);
    });
  });
});

// ---- certificates: the asynchronous check against the synchronous one --------------------------

const authSk = seed(10);
const authPk = ed25519.getPublicKey(authSk);
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
const check: CertificateCheck = { authorities: [authPk], federation: 'fed-a', role: 'trainer', now: 1_500 };
const cert = issueCertificate(authSk, body);

function codeOf(f: () => void): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CertificateError) return e.code;
    throw e;
  }
  return undefined;
}

async function asyncCodeOf(p: Promise<void>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CertificateError) return e.code;
    throw e;
  }
  return undefined;
}

/** The code of both checks (with and without a cache), asserting they agree. */
async function codes(c: Certificate, k: CertificateCheck, cache = new Set<string>()): Promise<string | undefined> {
  const sync = codeOf(() => verifyCertificate(c, k));
  expect(await asyncCodeOf(verifyCertificateAsync(c, k))).toBe(sync);
  expect(await asyncCodeOf(verifyCertificateAsync(c, k, cache))).toBe(sync);
  return sync;
}

/** The body with one field changed by one bit (or its nearest equivalent). */
const tampered: [string, CertificateBody][] = [
  ['federation', { ...body, federation: 'fed-c' }],
  ['participantId', { ...body, participantId: 'p0123456789abcdeg' }],
  ['sealKey', { ...body, sealKey: flip(body.sealKey, 17) }],
  ['signKey', { ...body, signKey: flip(body.signKey, 200) }],
  ['roles', { ...body, roles: ['trainer', 'member'] }],
  ['notBefore', { ...body, notBefore: body.notBefore - 1 }],
  ['notAfter', { ...body, notAfter: body.notAfter + 1 }],
];

describe('signAsync (a signer over bytes or a WebCrypto CryptoKey)', () => {
  const m = new TextEncoder().encode('a contribution statement');

  it('signs bytes exactly as sign() does', async () => {
    const k = createSigningKey(new Uint8Array(32).fill(9));
    expect(await signAsync(k.secretKey, m)).toEqual(sign(k.secretKey, m));
  });

  it('a non-extractable Ed25519 CryptoKey signs, and verifySignature accepts it on both paths', async () => {
    const k = await createKeySigningKey();
    expect(k.secretKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', k.secretKey)).rejects.toThrow();
    const s = await signAsync(k.secretKey, m);
    expect(s).toHaveLength(64);
    expect(await verifySignature(k.publicKey, m, s)).toBe(true);
    expect(verifySignatureSync(k.publicKey, m, s)).toBe(true);
    expect(await verifySignature(k.publicKey, Uint8Array.of(1), s)).toBe(false);
  });

  it('a CryptoKey gives the signature of the same key as bytes (Ed25519 is deterministic)', async () => {
    const k = await createKeySigningKey(true); // extractable, only to compare with its bytes
    const seed = new Uint8Array(await crypto.subtle.exportKey('pkcs8', k.secretKey)).slice(-32);
    const raw = createSigningKey(seed);
    expect(raw.publicKey).toEqual(k.publicKey);
    expect(await signAsync(k.secretKey, m)).toEqual(sign(raw.secretKey, m));
  });
});

describe('verifyCertificateAsync', () => {
  it('gives the codes of verifyCertificate: valid, expired, not yet valid, federation, role, authority, shape', async () => {
    expect(await codes(cert, check)).toBeUndefined();
    expect(await codes(cert, { ...check, now: 2_000 })).toBe('CERTIFICATE_EXPIRED');
    expect(await codes(cert, { ...check, now: 999 })).toBe('CERTIFICATE_NOT_YET_VALID');
    expect(await codes(cert, { ...check, federation: 'fed-b' })).toBe('WRONG_FEDERATION');
    expect(await codes(cert, { ...check, role: 'member' })).toBe('WRONG_ROLE');
    expect(await codes(cert, { ...check, authorities: [ed25519.getPublicKey(seed(11))] })).toBe('UNKNOWN_AUTHORITY');
    expect(await codes({ body, signature: cert.signature.subarray(0, 63) }, check)).toBe('MALFORMED_CERTIFICATE');
    expect(await codes({ body: { ...body, roles: [] }, signature: cert.signature }, check)).toBe(
      'MALFORMED_CERTIFICATE',
    );
  });

  it('refuses a change of every body field and every signature bit flip with BAD_SIGNATURE, like verifyCertificate', async () => {
    for (const [field, b] of tampered) {
      // The role or federation check would answer first for some fields: check the one the body claims.
      const k: CertificateCheck = { ...check, federation: b.federation };
      expect(await codes({ body: b, signature: cert.signature }, k), field).toBe('BAD_SIGNATURE');
    }
    const otherAuthority = { ...body, authority: flip(body.authority, 0) };
    expect(await codes({ body: otherAuthority, signature: cert.signature }, check)).toBe('UNKNOWN_AUTHORITY');
    for (let bit = 0; bit < 512; bit++)
      expect(await codes({ body, signature: flip(cert.signature, bit) }, check), `bit ${bit}`).toBe('BAD_SIGNATURE');
  });

  it('its cache never lets a bad certificate pass, nor skips the validity, federation and role checks', async () => {
    const cache = new Set<string>();
    await verifyCertificateAsync(cert, check, cache);
    expect(cache.size).toBe(1);
    for (const bit of [0, 255, 256, 511]) {
      const bad = { body, signature: flip(cert.signature, bit) };
      expect(await asyncCodeOf(verifyCertificateAsync(bad, check, cache))).toBe('BAD_SIGNATURE');
    }
    for (const [field, b] of tampered) {
      const k: CertificateCheck = { ...check, federation: b.federation };
      expect(await asyncCodeOf(verifyCertificateAsync({ body: b, signature: cert.signature }, k, cache)), field).toBe(
        'BAD_SIGNATURE',
      );
    }
    expect(cache.size).toBe(1);
    expect(await asyncCodeOf(verifyCertificateAsync(cert, { ...check, now: 2_000 }, cache))).toBe(
      'CERTIFICATE_EXPIRED',
    );
    expect(await asyncCodeOf(verifyCertificateAsync(cert, { ...check, federation: 'fed-b' }, cache))).toBe(
      'WRONG_FEDERATION',
    );
    expect(await asyncCodeOf(verifyCertificateAsync(cert, { ...check, role: 'member' }, cache))).toBe('WRONG_ROLE');
    expect(await asyncCodeOf(verifyCertificateAsync(cert, check, cache))).toBeUndefined();
  });

  it('agrees with verifyCertificate under a small-order authority key (a signature that fits every body)', async () => {
    const identity = hexBytes(ED25519_TORSION_SUBGROUP[0]!);
    const forged: Certificate = { body: { ...body, authority: authorityId(identity) }, signature: ZERO_SIG };
    expect(await codes(forged, { ...check, authorities: [identity] })).toBe('BAD_SIGNATURE');
  });
});

// ---- statements: one label per kind -------------------------------------------------------------

describe('signed statements', () => {
  const signer = createSigningKey(seed(20));
  const h = (n: number) => new Uint8Array(32).fill(n);
  const statements: [string, string, Uint8Array][] = [
    [
      'enroll',
      ENROLL_LABEL,
      enrollBytes({ federation: 'f', participantId: 'p1', sealKey: h(1), signKey: h(2), roles: ['member'] }),
    ],
    [
      'contribution',
      CONTRIBUTION_LABEL,
      contributionBytes({
        federation: 'f',
        round: 3,
        descriptorDigest: h(3),
        maskedDigest: h(4),
        ephemeralPublic: h(5),
        sliceDigests: [h(6), h(7)],
        keyCommitments: [h(10), h(11)],
      }),
    ],
    [
      'answer',
      ANSWER_LABEL,
      answerBytes({ federation: 'f', round: 3, memberIndex: 1, survivorHash: h(8), answerDigest: digest(h(9)) }),
    ],
    [
      'complaint',
      COMPLAINT_LABEL,
      complaintBytes({
        federation: 'f',
        round: 3,
        memberIndex: 1,
        survivorHash: h(8),
        faults: [{ trainer: 'p1', kind: 'open', key: new Uint8Array(44) }],
      }),
    ],
    ['certificate', CERTIFICATE_LABEL, certificateBytes({ ...body, authority: authorityId(signer.publicKey) })],
  ];

  it('every statement starts with its own label, and the labels are distinct', () => {
    expect(new Set(statements.map(([, label]) => label)).size).toBe(statements.length);
    for (const [, label, bytes] of statements) {
      expect(bytes[0]).toBe(label.length);
      expect(new TextDecoder().decode(bytes.subarray(1, 1 + label.length))).toBe(label);
    }
  });

  it('a signature over one kind never verifies as another, even over the same fields', async () => {
    for (const [kind, label, bytes] of statements) {
      const sig = sign(signer.secretKey, bytes);
      expect(await verifySignature(signer.publicKey, bytes, sig)).toBe(true);
      const fields = bytes.subarray(1 + label.length);
      for (const [other, otherLabel, otherBytes] of statements) {
        if (other === kind) continue;
        // The other kind's statement, and this statement's very fields under the other label.
        const relabelled = concatBytes(canonical(otherLabel, []), fields);
        expect(await verifySignature(signer.publicKey, otherBytes, sig), `${kind} as ${other}`).toBe(false);
        expect(await verifySignature(signer.publicKey, relabelled, sig), `${kind} relabelled ${other}`).toBe(false);
      }
    }
  });
});
