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

/** Whether the platform verifies Ed25519; one probe per process, shared by concurrent callers. */
let webcrypto: Promise<boolean> | undefined;
/** The probe's answer once it has settled. */
let webcryptoSettled: boolean | undefined;

/** An imported verification key: the import under way, and the key once it is there. */
interface Imported {
  readonly promise: Promise<CryptoKey>;
  key?: CryptoKey;
}
const imported = new Map<string, Imported>();
const IMPORT_CACHE = 4096;

/**
 * Forgets the imported WebCrypto verification keys (the next verify under each key imports it
 * again). For benchmarks of a first round with new participants; verification results do not
 * depend on it.
 */
export function forgetImportedKeys(): void {
  imported.clear();
}

/** WebCrypto's parameter type (our byte arrays never live on shared memory). */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x] as string;
  return s;
}

function hasWebCryptoEd25519(): Promise<boolean> {
  // The promise, not its value, is remembered: a member verifying a whole job at once starts
  // hundreds of verifications before the first probe returns, and each would probe again.
  webcrypto ??= probeWebCryptoEd25519().then((ok) => (webcryptoSettled = ok));
  return webcrypto;
}

async function probeWebCryptoEd25519(): Promise<boolean> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return false;
  try {
    const k = createSigningKey(new Uint8Array(32).fill(1));
    const m = Uint8Array.of(1, 2, 3);
    const key = await subtle.importKey('raw', buf(k.publicKey), { name: 'Ed25519' }, false, ['verify']);
    return await subtle.verify({ name: 'Ed25519' }, key, buf(sign(k.secretKey, m)), m);
  } catch {
    return false;
  }
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

/**
 * Whether `signature` is a valid Ed25519 signature of `message` under `publicKey`; never throws.
 * Under a key imported before, the WebCrypto job starts before this returns, so a caller that
 * checks many signatures at once keeps the platform's crypto threads busy while it goes on.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return Promise.resolve(false);
  if (webcryptoSettled === true) {
    const id = hex(publicKey);
    const key = imported.get(id)?.key;
    if (key) return webVerify(key, id, publicKey, message, signature);
  }
  return verifyImporting(publicKey, message, signature);
}

async function verifyImporting(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (!(await hasWebCryptoEd25519())) return verifySignatureSync(publicKey, message, signature);
  const id = hex(publicKey);
  let entry = imported.get(id);
  if (!entry) {
    if (!acceptableKey(publicKey)) return false; // checked once per key: the cache holds only good ones
    if (imported.size >= IMPORT_CACHE) imported.clear();
    const e: Imported = {
      promise: globalThis.crypto.subtle.importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']),
    };
    e.promise.then(
      (k) => (e.key = k),
      () => undefined,
    );
    imported.set(id, e);
    entry = e;
  }
  let key: CryptoKey;
  try {
    key = await entry.promise;
  } catch {
    imported.delete(id);
    return verifySignatureSync(publicKey, message, signature);
  }
  return webVerify(key, id, publicKey, message, signature);
}

async function webVerify(
  key: CryptoKey,
  id: string,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    return await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, buf(signature), buf(message));
  } catch {
    imported.delete(id);
    return verifySignatureSync(publicKey, message, signature);
  }
}
