/**
 * Ed25519 signing keys of participants and of the enrollment authority (docs/protocol.md §22).
 * Signing uses @noble/curves; verification prefers the platform's WebCrypto Ed25519 (Node ≥ 20,
 * current Chromium), ~10× faster than a pure-JS verify, and falls back to noble where the
 * platform has none. Both implement RFC 8032 (cofactorless verification, the same results for
 * every valid or malformed input the tests try).
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export interface SigningKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A fresh Ed25519 key pair (or one from a given 32-byte seed, for tests and vectors). */
export function createSigningKey(seed?: Uint8Array): SigningKeyPair {
  const secretKey = seed ? new Uint8Array(seed) : ed25519.utils.randomSecretKey();
  if (secretKey.length !== 32) throw new RangeError('Ed25519 secret key must be 32 bytes');
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
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

function nobleVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
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
  if (!(await hasWebCryptoEd25519())) return nobleVerify(publicKey, message, signature);
  const id = hex(publicKey);
  let entry = imported.get(id);
  if (!entry) {
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
    return nobleVerify(publicKey, message, signature);
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
    return nobleVerify(publicKey, message, signature);
  }
}
