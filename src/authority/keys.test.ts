/**
 * The authority's key file (keys.ts): created once with mode 0600 and the same keys on every
 * load, refused when malformed (never replaced), and rotated so that certificates of the old key
 * keep verifying until `acceptUntil` and no longer after, while every certificate expires at its
 * notAfter. Time is the `now` parameters; nothing sleeps.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Certificate, type CertificateCheck, verifyCertificate } from '../cert/certificate.js';
import { CertificateError } from '../cert/errors.js';
import { enrollRequest, testParticipant } from '../../test/support/enrollment.js';
import { type AuthorityKeys, AuthorityError, loadOrCreateKeys, memoryKeys, rotateKeys, toHex } from './keys.js';
import { EnrollmentAuthority } from './service.js';

const HOUR = 3600_000;
const T0 = Date.UTC(2030, 0, 1);
const FEDERATION = 'fed-keys';
const TOKEN = 'tok';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakonce-keys-'));
  file = join(dir, 'authority.json');
});

const mode = (path: string) => statSync(path).mode & 0o777;
const pins = (k: AuthorityKeys) => [k.signPublic, ...k.retired.map((r) => r.publicKey)];

function refusal(f: () => unknown): AuthorityError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthorityError);
    return e as AuthorityError;
  }
  throw new Error('expected an AuthorityError, nothing was thrown');
}

function certCode(cert: Certificate, check: CertificateCheck): string | undefined {
  try {
    verifyCertificate(cert, check);
  } catch (e) {
    if (e instanceof CertificateError) return e.code;
    throw e;
  }
  return undefined;
}

/** A certificate for participant `n` from an authority holding `keys` at time `now`. */
async function certify(keys: AuthorityKeys, n: number, now: number): Promise<Certificate> {
  const auth = new EnrollmentAuthority(keys, {
    federation: FEDERATION,
    token: TOKEN,
    certificateMs: 10 * HOUR,
    now: () => now,
  });
  return auth.enroll(
    await enrollRequest(testParticipant(n), { federation: FEDERATION, token: TOKEN, enrollKey: keys.enrollPublic }),
  );
}

describe('loadOrCreateKeys', () => {
  it('creates the key file with mode 0600, matching key pairs, and the same keys on every reload', () => {
    expect(existsSync(file)).toBe(false);
    const k = loadOrCreateKeys(file, T0);
    expect(existsSync(file)).toBe(true);
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['authority.json']); // no temporary file left behind
    expect(k.signPublic).toEqual(ed25519.getPublicKey(k.signSecret));
    expect(k.enrollPublic).toEqual(x25519.getPublicKey(k.enrollSecret));
    expect(k.retired).toEqual([]);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toEqual({
      version: 1,
      current: {
        sign: { secretKey: toHex(k.signSecret), publicKey: toHex(k.signPublic) },
        enroll: { secretKey: toHex(k.enrollSecret), publicKey: toHex(k.enrollPublic) },
        createdAt: T0,
      },
      retired: [],
    });
    const before = readFileSync(file, 'utf8');
    expect(loadOrCreateKeys(file, T0 + HOUR)).toEqual(k);
    expect(loadOrCreateKeys(file)).toEqual(k);
    expect(readFileSync(file, 'utf8')).toBe(before);
    // Another file, other keys.
    expect(loadOrCreateKeys(join(dir, 'other.json'), T0).signPublic).not.toEqual(k.signPublic);
    expect(memoryKeys().signPublic).not.toEqual(k.signPublic);
  });

  it.each([
    ['not JSON', '{"version": 1, "current": ', /^cannot read authority key file .*authority\.json: SyntaxError/],
    ['empty', '', /^cannot read authority key file /],
    ['an array', '[]', /^authority key file .*authority\.json is malformed: /],
    ['another version', (f: Record<string, unknown>) => ({ ...f, version: 2 }), /is malformed: /],
    ['no retired list', (f: Record<string, unknown>) => ({ version: f.version, current: f.current }), /is malformed/],
    ['an unknown field', (f: Record<string, unknown>) => ({ ...f, extra: 1 }), /is malformed/],
    [
      'a short secret key',
      (f: { current: { sign: { secretKey: string } } }) => {
        f.current.sign.secretKey = f.current.sign.secretKey.slice(2);
        return f;
      },
      /is malformed/,
    ],
    [
      'uppercase hex',
      (f: { current: { enroll: { publicKey: string } } }) => {
        f.current.enroll.publicKey = f.current.enroll.publicKey.toUpperCase().replace(/[0-9]/g, 'A');
        return f;
      },
      /is malformed/,
    ],
    [
      'a retired key without acceptUntil',
      (f: { retired: unknown[]; current: { sign: { publicKey: string } } }) => {
        f.retired = [{ publicKey: f.current.sign.publicKey }];
        return f;
      },
      /is malformed/,
    ],
  ])('refuses a key file that is %s (UNREADABLE_KEY_FILE) and leaves it as it was', (_, content, message) => {
    loadOrCreateKeys(file, T0);
    const text =
      typeof content === 'string'
        ? content
        : JSON.stringify((content as (f: never) => unknown)(JSON.parse(readFileSync(file, 'utf8')) as never));
    writeFileSync(file, text);
    const e = refusal(() => loadOrCreateKeys(file, T0));
    expect(e.code).toBe('UNREADABLE_KEY_FILE');
    expect(e.message).toMatch(message);
    expect(e.message).toContain(file);
    expect(refusal(() => rotateKeys(file, T0 + HOUR, T0)).code).toBe('UNREADABLE_KEY_FILE');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('rotateKeys refuses a missing file (UNREADABLE_KEY_FILE) and creates none', () => {
    const e = refusal(() => rotateKeys(file, T0 + HOUR, T0));
    expect(e.code).toBe('UNREADABLE_KEY_FILE');
    expect(e.message).toContain(file);
    expect(existsSync(file)).toBe(false);
  });
});

describe('rotateKeys', () => {
  it('makes fresh current keys and lists the old signing key as retired until acceptUntil', () => {
    const old = loadOrCreateKeys(file, T0);
    const next = rotateKeys(file, T0 + 10 * HOUR, T0 + HOUR);
    expect(next.signPublic).not.toEqual(old.signPublic);
    expect(next.enrollPublic).not.toEqual(old.enrollPublic);
    expect(next.signPublic).toEqual(ed25519.getPublicKey(next.signSecret));
    expect(next.retired).toEqual([{ publicKey: old.signPublic, acceptUntil: T0 + 10 * HOUR }]);
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['authority.json']);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      current: { createdAt: number };
      retired: { publicKey: string; acceptUntil: number }[];
    };
    expect(saved.current.createdAt).toBe(T0 + HOUR);
    expect(saved.retired).toEqual([{ publicKey: toHex(old.signPublic), acceptUntil: T0 + 10 * HOUR }]);
    expect(loadOrCreateKeys(file, T0 + HOUR)).toEqual(next);
  });

  it('keeps every retired key still accepted, and drops those past their acceptUntil', () => {
    const k0 = loadOrCreateKeys(file, T0);
    const k1 = rotateKeys(file, T0 + 10 * HOUR, T0 + HOUR);
    const k2 = rotateKeys(file, T0 + 12 * HOUR, T0 + 2 * HOUR);
    expect(k2.retired.map((r) => r.publicKey)).toEqual([k0.signPublic, k1.signPublic]);
    const k3 = rotateKeys(file, T0 + 20 * HOUR, T0 + 11 * HOUR);
    expect(k3.retired).toEqual([
      { publicKey: k1.signPublic, acceptUntil: T0 + 12 * HOUR },
      { publicKey: k2.signPublic, acceptUntil: T0 + 20 * HOUR },
    ]);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { retired: unknown[] };
    expect(saved.retired).toHaveLength(2);
  });

  it('a certificate of the old key verifies under the pins [new, old] until acceptUntil, then is refused; certificates expire', async () => {
    const acceptUntil = T0 + 10 * HOUR;
    const k0 = loadOrCreateKeys(file, T0);
    const old = await certify(k0, 1, T0);
    expect(old.body.notAfter).toBe(T0 + 10 * HOUR);
    expect(old.body.notBefore).toBe(T0 - 60_000);
    const check = (authorities: readonly Uint8Array[], now: number): CertificateCheck => ({
      authorities,
      federation: FEDERATION,
      role: 'trainer',
      now,
    });

    const t1 = T0 + HOUR;
    const k1 = rotateKeys(file, acceptUntil, t1);
    expect(pins(k1)).toEqual([k1.signPublic, k0.signPublic]);
    expect(certCode(old, check(pins(k1), t1))).toBeUndefined();
    // A client that pins only the new key refuses it; one that pins only the old key refuses new ones.
    expect(certCode(old, check([k1.signPublic], t1))).toBe('UNKNOWN_AUTHORITY');
    const fresh = await certify(k1, 2, t1);
    expect(certCode(fresh, check(pins(k1), t1))).toBeUndefined();
    expect(certCode(fresh, check([k0.signPublic], t1))).toBe('UNKNOWN_AUTHORITY');

    // The last millisecond before acceptUntil: the reloaded file still pins the old key.
    const last = loadOrCreateKeys(file, acceptUntil - 1);
    expect(pins(last)).toEqual([k1.signPublic, k0.signPublic]);
    expect(certCode(old, check(pins(last), acceptUntil - 1))).toBeUndefined();

    // From acceptUntil on, the old key is no longer pinned.
    const after = loadOrCreateKeys(file, acceptUntil);
    expect(after.retired).toEqual([]);
    expect(pins(after)).toEqual([k1.signPublic]);
    expect(certCode(old, check(pins(after), acceptUntil))).toBe('UNKNOWN_AUTHORITY');
    expect(certCode(fresh, check(pins(after), acceptUntil))).toBeUndefined();

    // Expiry: a verifier that still pinned the old key refuses its certificate at notAfter.
    expect(certCode(old, check(pins(k1), old.body.notAfter))).toBe('CERTIFICATE_EXPIRED');
    expect(certCode(fresh, check(pins(after), fresh.body.notAfter - 1))).toBeUndefined();
    expect(certCode(fresh, check(pins(after), fresh.body.notAfter))).toBe('CERTIFICATE_EXPIRED');
  });

  it('the rotated authority refuses a proof of possession made for the old enrollment key', async () => {
    const k0 = loadOrCreateKeys(file, T0);
    const k1 = rotateKeys(file, T0 + 10 * HOUR, T0 + HOUR);
    const auth = new EnrollmentAuthority(k1, { federation: FEDERATION, token: TOKEN, now: () => T0 + HOUR });
    const stale = await enrollRequest(testParticipant(3), {
      federation: FEDERATION,
      token: TOKEN,
      enrollKey: k0.enrollPublic,
    });
    await expect(auth.enroll(stale)).rejects.toMatchObject({
      code: 'BAD_ENROLLMENT',
      message: 'no proof of possession of the sealing key',
    });
    expect(auth.issued.size).toBe(0);
  });
});
