/**
 * Ed25519 signing keys of participants and of the enrollment authority (docs/protocol.md §22).
 * Signing uses @noble/curves; verification prefers the platform's WebCrypto Ed25519 (Node ≥ 20,
 * current Chromium), ~10× faster than a pure-JS verify, and falls back to noble's curve
 * arithmetic where the platform has none. Both paths give one answer for every input, so honest
 * verifiers on different platforms never disagree about a signature a dishonest signer crafted:
 *   - the public key must be a canonical encoding of a point that is not of small order (under a
 *     small-order key, one signature verifies for many messages; WebCrypto alone accepts them);
 *   - S < L, and the cofactorless equation of RFC 8032: encode([S]B − [k]A) = R, as WebCrypto
 *     (OpenSSL, BoringSSL) checks it (noble's own verify is cofactored, and accepts torsion).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes } from '../base/bytes.js';

export interface SigningKeyPair {
  /**
   * The 32-byte Ed25519 seed, or a WebCrypto Ed25519 private key (in browsers, non-extractable
   * where the browser can: docs/threat-model.md, "Browser keys"). Sign with {@link signAsync}.
   */
  readonly secretKey: Uint8Array | CryptoKey;
  readonly publicKey: Uint8Array;
}

/** A signing key held as bytes (Node, the authority, tests; browsers without WebCrypto Ed25519). */
export interface RawSigningKeyPair extends SigningKeyPair {
  readonly secretKey: Uint8Array;
}

/** A fresh Ed25519 key pair (or one from a given 32-byte seed, for tests and vectors). */
export function createSigningKey(seed?: Uint8Array): RawSigningKeyPair {
  const secretKey = seed ? new Uint8Array(seed) : ed25519.utils.randomSecretKey();
  if (secretKey.length !== 32) throw new RangeError('Ed25519 secret key must be 32 bytes');
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * A fresh Ed25519 key pair whose secret is a WebCrypto key, non-extractable unless asked (tests
 * compare it with the same key as bytes). Rejects where WebCrypto has no Ed25519; the caller
 * falls back to {@link createSigningKey}.
 */
export async function createKeySigningKey(extractable = false): Promise<SigningKeyPair & { secretKey: CryptoKey }> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is not available (not a secure context?)');
  const pair = await subtle.generateKey({ name: 'Ed25519' }, extractable, ['sign', 'verify']);
  const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  if (publicKey.length !== 32) throw new Error('WebCrypto exported an Ed25519 public key that is not 32 bytes');
  return { secretKey: pair.privateKey, publicKey };
}

/**
 * Signs with either kind of secret: @noble/curves for bytes (the same signature as
 * {@link sign}), WebCrypto's Ed25519 for a CryptoKey (deterministic as well, RFC 8032).
 */
export async function signAsync(secretKey: Uint8Array | CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  if (secretKey instanceof Uint8Array) return sign(secretKey, message);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('an Ed25519 CryptoKey needs WebCrypto, which is not available here');
  return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, secretKey, buf(message)));
}

let webcrypto: boolean | undefined;
const imported = new Map<string, Promise<CryptoKey>>();
const IMPORT_CACHE = 4096;

/** WebCrypto's parameter type (our byte arrays never live on shared memory). */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

async function hasWebCryptoEd25519(): Promise<boolean> {
  if (webcrypto !== undefined) return webcrypto;
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return (webcrypto = false);
  try {
    const k = createSigningKey(new Uint8Array(32).fill(1));
    const m = Uint8Array.of(1, 2, 3);
    const key = await subtle.importKey('raw', buf(k.publicKey), { name: 'Ed25519' }, false, ['verify']);
    webcrypto = await subtle.verify({ name: 'Ed25519' }, key, buf(sign(k.secretKey, m)), m);
  } catch {
    webcrypto = false;
  }
  return webcrypto;
}

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

function littleEndian(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number);
  return n;
}

/** Whether the key is a canonical encoding of a curve point that is not of small order. */
function acceptableKey(publicKey: Uint8Array): boolean {
  try {
    return !Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

/**
 * The same answer as {@link verifySignature}, synchronously, in pure JS (the fallback, and the
 * check of certificates where no promise fits). Never throws.
 */
export function verifySignatureSync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const A = Point.fromBytes(publicKey, false);
    if (A.isSmallOrder()) return false;
    const r = signature.subarray(0, 32);
    const s = littleEndian(signature.subarray(32));
    if (s >= L) return false;
    const k = Point.Fn.create(littleEndian(sha512(concatBytes(r, publicKey, message))));
    return bytesEqual(Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k)).toBytes(), r);
  } catch {
    return false;
  }
}

/** Whether `signature` is a valid Ed25519 signature of `message` under `publicKey`; never throws. */
export async function verifySignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!(await hasWebCryptoEd25519())) return verifySignatureSync(publicKey, message, signature);
  const subtle = globalThis.crypto.subtle;
  const id = hex(publicKey);
  let key = imported.get(id);
  if (!key) {
    if (!acceptableKey(publicKey)) return false; // checked once per key: the cache holds only good ones
    if (imported.size >= IMPORT_CACHE) imported.clear();
    key = subtle.importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']);
    imported.set(id, key);
  }
  try {
    return await subtle.verify({ name: 'Ed25519' }, await key, buf(signature), buf(message));
  } catch {
    imported.delete(id);
    return verifySignatureSync(publicKey, message, signature);
  }
}
