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

function nobleVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
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
  if (!(await hasWebCryptoEd25519())) return nobleVerify(publicKey, message, signature);
  const subtle = globalThis.crypto.subtle;
  const id = hex(publicKey);
  let key = imported.get(id);
  if (!key) {
    if (imported.size >= IMPORT_CACHE) imported.clear();
    key = subtle.importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']);
    imported.set(id, key);
  }
  try {
    return await subtle.verify({ name: 'Ed25519' }, await key, buf(signature), buf(message));
  } catch {
    imported.delete(id);
    return nobleVerify(publicKey, message, signature);
  }
}
