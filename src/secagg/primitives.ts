/**
 * The symmetric and key-agreement primitives the protocol uses (docs/protocol.md §5), each with
 * two implementations that give the same bytes: WebCrypto (fast, native; in browsers only in
 * secure contexts) and @noble (pure JS, everywhere). WebCrypto is used when it works;
 * `useBackend('noble')` forces the fallback (tests check both agree).
 *
 * - AES-256-CTR keystream: 16-byte counter block = 8-byte nonce ‖ 64-bit big-endian block
 *   counter starting at 0 (WebCrypto `length: 64`; noble increments the whole block, which
 *   is the same while the low 64 bits do not wrap).
 * - AES-256-GCM with a 12-byte nonce and 16-byte tag appended.
 * - X25519 (RFC 7748); all-zero shared secrets (low-order points) are refused.
 */
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SealError } from './errors.js';

export type Backend = 'webcrypto' | 'noble';

let forced: Backend | undefined;
let probe: Promise<{ aes: boolean; x25519: boolean }> | undefined;

/** Force one backend (tests, or environments whose WebCrypto misbehaves); undefined = auto. */
export function useBackend(backend: Backend | undefined): void {
  forced = backend;
}

function subtle(): SubtleCrypto | undefined {
  return globalThis.crypto?.subtle;
}

async function detect(): Promise<{ aes: boolean; x25519: boolean }> {
  const s = subtle();
  if (!s) return { aes: false, x25519: false };
  let aes = false;
  let x = false;
  try {
    const k = await s.importKey('raw', new Uint8Array(32), 'AES-CTR', false, ['encrypt']);
    await s.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, k, new Uint8Array(16));
    aes = true;
  } catch {
    aes = false;
  }
  try {
    const pair = await s.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    await s.deriveBits({ name: 'X25519', public: pair.publicKey }, pair.privateKey, 256);
    x = true;
  } catch {
    x = false;
  }
  return { aes, x25519: x };
}

async function caps(): Promise<{ aes: boolean; x25519: boolean }> {
  if (forced === 'noble') return { aes: false, x25519: false };
  probe ??= detect();
  return probe;
}

/** Which implementation each primitive uses here (for logs and benchmarks). */
export async function activeBackends(): Promise<{ aes: Backend; x25519: Backend }> {
  const c = await caps();
  return { aes: c.aes ? 'webcrypto' : 'noble', x25519: c.x25519 ? 'webcrypto' : 'noble' };
}

const zeroCache = new Map<number, Uint8Array<ArrayBuffer>>();
function zeros(n: number): Uint8Array<ArrayBuffer> {
  let z = zeroCache.get(n);
  if (!z) {
    z = new Uint8Array(n);
    if (zeroCache.size > 16) zeroCache.clear();
    zeroCache.set(n, z);
  }
  return z;
}

function counterBlock(nonce8: Uint8Array): Uint8Array<ArrayBuffer> {
  if (nonce8.length !== 8) throw new RangeError('keystream nonce must be 8 bytes');
  const iv = new Uint8Array(16);
  iv.set(nonce8, 0);
  return iv;
}

/** An AES-256-CTR keystream generator bound to one key (the imported key is cached). */
export class KeyStream {
  private readonly key: Uint8Array<ArrayBuffer>;
  private cryptoKey: Promise<CryptoKey> | undefined;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('AES-256 key must be 32 bytes');
    this.key = new Uint8Array(key);
  }

  /** `length` keystream bytes for the 8-byte nonce, from block counter 0. */
  async bytes(nonce8: Uint8Array, length: number): Promise<Uint8Array<ArrayBuffer>> {
    const iv = counterBlock(nonce8);
    const c = await caps();
    const s = subtle();
    if (c.aes && s) {
      this.cryptoKey ??= s.importKey('raw', this.key, 'AES-CTR', false, ['encrypt']);
      const out = await s.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, await this.cryptoKey, zeros(length));
      return new Uint8Array(out);
    }
    return new Uint8Array(ctr(this.key, iv).encrypt(zeros(length)));
  }
}

/** AES-256-GCM encryption; returns ciphertext ‖ 16-byte tag. */
export async function gcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const c = await caps();
  const s = subtle();
  if (c.aes && s) {
    const k = await s.importKey('raw', new Uint8Array(key), 'AES-GCM', false, ['encrypt']);
    const out = await s.encrypt(
      { name: 'AES-GCM', iv: new Uint8Array(nonce), additionalData: new Uint8Array(ad), tagLength: 128 },
      k,
      new Uint8Array(plaintext),
    );
    return new Uint8Array(out);
  }
  return new Uint8Array(gcm(key, nonce, ad).encrypt(plaintext));
}

/** AES-256-GCM decryption; throws SealError when the tag does not verify. */
export async function gcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (sealed.length < 16) throw new SealError('sealed slice shorter than its tag');
  const c = await caps();
  const s = subtle();
  try {
    if (c.aes && s) {
      const k = await s.importKey('raw', new Uint8Array(key), 'AES-GCM', false, ['decrypt']);
      const out = await s.decrypt(
        { name: 'AES-GCM', iv: new Uint8Array(nonce), additionalData: new Uint8Array(ad), tagLength: 128 },
        k,
        new Uint8Array(sealed),
      );
      return new Uint8Array(out);
    }
    return new Uint8Array(gcm(key, nonce, ad).decrypt(sealed));
  } catch {
    throw new SealError('sealed slice does not authenticate');
  }
}

/** X25519 public key of a 32-byte secret key. */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

// PKCS#8 prefix of an X25519 private key (RFC 8410): SEQUENCE { 0, AlgId 1.3.101.110, OCTET STRING { OCTET STRING(32) } }.
const PKCS8_X25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/** PKCS#8 (RFC 8410) encoding of a 32-byte X25519 secret key. */
function pkcs8X25519(secretKey: Uint8Array): Uint8Array<ArrayBuffer> {
  const der = new Uint8Array(48);
  der.set(PKCS8_X25519, 0);
  der.set(secretKey, 16);
  return der;
}

/**
 * A 32-byte X25519 secret as a WebCrypto private key (deriveBits only), non-extractable unless
 * asked: the same key as the bytes, for tests and for moving a raw identity under WebCrypto.
 */
export async function importX25519Secret(secretKey: Uint8Array, extractable = false): Promise<CryptoKey> {
  if (secretKey.length !== 32) throw new RangeError('X25519 secret key must be 32 bytes');
  const s = subtle();
  if (!s) throw new Error('WebCrypto is not available here');
  return s.importKey('pkcs8', pkcs8X25519(secretKey), { name: 'X25519' }, extractable, ['deriveBits']);
}

/** Imported private keys, cached per secret so a member opening n slices imports once. */
const privCache = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importPrivate(s: SubtleCrypto, secretKey: Uint8Array): Promise<CryptoKey> {
  let k = privCache.get(secretKey);
  if (!k) {
    k = s.importKey('pkcs8', pkcs8X25519(secretKey), { name: 'X25519' }, false, ['deriveBits']);
    privCache.set(secretKey, k);
  }
  return k;
}

/**
 * An X25519 secret: 32 raw bytes, or a WebCrypto private key (in browsers, non-extractable:
 * the page can use it but never read it; docs/threat-model.md, "Browser keys").
 */
export type X25519Secret = Uint8Array | CryptoKey;

/** Whether the secret is a WebCrypto key rather than raw bytes. */
export function isCryptoKey(secret: Uint8Array | CryptoKey): secret is CryptoKey {
  return !(secret instanceof Uint8Array);
}

async function sharedFromKey(privateKey: CryptoKey, publicKey: Uint8Array): Promise<Uint8Array> {
  const s = subtle();
  if (!s) throw new SealError('an X25519 CryptoKey needs WebCrypto, which is not available here');
  const pub = await s.importKey('raw', new Uint8Array(publicKey), { name: 'X25519' }, false, []);
  return new Uint8Array(await s.deriveBits({ name: 'X25519', public: pub }, privateKey, 256));
}

/**
 * X25519(secret, publicKey); throws SealError on a low-order or malformed public key. A
 * CryptoKey secret always goes through WebCrypto's deriveBits (whatever the backend), and gives
 * the same bytes as the same key held as bytes.
 */
export async function x25519Shared(secretKey: X25519Secret, publicKey: Uint8Array): Promise<Uint8Array> {
  if (isCryptoKey(secretKey)) {
    if (publicKey.length !== 32) throw new SealError('X25519 keys must be 32 bytes');
    let shared: Uint8Array;
    try {
      shared = await sharedFromKey(secretKey, publicKey);
    } catch {
      throw new SealError('X25519 key agreement failed (invalid or low-order public key)');
    }
    if (shared.every((b) => b === 0)) throw new SealError('X25519 shared secret is zero (low-order public key)');
    return shared;
  }
  if (secretKey.length !== 32 || publicKey.length !== 32) throw new SealError('X25519 keys must be 32 bytes');
  const c = await caps();
  const s = subtle();
  let shared: Uint8Array;
  try {
    if (c.x25519 && s) {
      const priv = await importPrivate(s, secretKey);
      const pub = await s.importKey('raw', new Uint8Array(publicKey), { name: 'X25519' }, false, []);
      shared = new Uint8Array(await s.deriveBits({ name: 'X25519', public: pub }, priv, 256));
    } else {
      shared = x25519.getSharedSecret(secretKey, publicKey);
    }
  } catch {
    throw new SealError('X25519 key agreement failed (invalid or low-order public key)');
  }
  if (shared.every((b) => b === 0)) throw new SealError('X25519 shared secret is zero (low-order public key)');
  return shared;
}

/** SHA-256, natively where WebCrypto exists (servers hash many sealed slices). */
export async function sha256Digest(data: Uint8Array): Promise<Uint8Array> {
  const s = subtle();
  if (s && forced !== 'noble') return new Uint8Array(await s.digest('SHA-256', new Uint8Array(data)));
  return sha256(data);
}

/**
 * SHA-256 of a byte string: WebCrypto's native digest (off the main thread in Node and in the
 * browser) where the platform has it, @noble/hashes otherwise. Same bytes either way.
 */
export async function sha256Async(data: Uint8Array): Promise<Uint8Array> {
  const s = forced === 'noble' ? undefined : subtle();
  if (s) {
    try {
      return new Uint8Array(await s.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
    } catch {
      /* fall through to noble */
    }
  }
  return sha256(data);
}
