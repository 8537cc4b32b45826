/**
 * Long-term X25519 identities, and the proof of possession a participant gives when it joins
 * (docs/protocol.md §16).
 *
 * The server opens every connection with a fresh challenge C (the public half of an ephemeral
 * X25519 key c). A participant joining with public key P proves it holds the secret key p:
 *
 *   proof = HMAC-SHA256(key = X25519(p, C), "SpeakOnce/v1/join" ‖ C ‖ P)
 *
 * and the server recomputes it with X25519(c, P). Without this, anyone holding the join token
 * could join under another participant's public key (which round descriptors publish) and
 * take over or evict it.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, utf8 } from './encoding.js';
import type { MemberIdentity } from './member.js';
import { importX25519Secret, x25519PublicKey, x25519Shared } from './primitives.js';

/** An identity whose secret is held as raw bytes (Node, tests, browsers without WebCrypto X25519). */
export interface RawIdentity extends MemberIdentity {
  readonly secretKey: Uint8Array;
}

/** An identity whose secret is a WebCrypto key. */
export interface KeyIdentity extends MemberIdentity {
  readonly secretKey: CryptoKey;
}

/** A fresh identity from crypto.getRandomValues, or from a given 32-byte secret (tests). */
export function createIdentity(secretKey?: Uint8Array): RawIdentity {
  const sk = secretKey ? new Uint8Array(secretKey) : globalThis.crypto.getRandomValues(new Uint8Array(32));
  if (sk.length !== 32) throw new RangeError('X25519 secret key must be 32 bytes');
  return { secretKey: sk, publicKey: x25519PublicKey(sk) };
}

/**
 * A fresh identity whose secret is a WebCrypto X25519 key, non-extractable unless asked (tests
 * compare it with the same key as bytes). Rejects where WebCrypto has no X25519; the caller
 * falls back to {@link createIdentity}.
 */
export async function createKeyIdentity(extractable = false): Promise<KeyIdentity> {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto is not available (not a secure context?)');
  const pair = await s.generateKey({ name: 'X25519' }, extractable, ['deriveBits']);
  const publicKey = new Uint8Array(await s.exportKey('raw', pair.publicKey));
  if (publicKey.length !== 32) throw new Error('WebCrypto exported an X25519 public key that is not 32 bytes');
  return { secretKey: pair.privateKey, publicKey };
}

/** The same identity with its secret imported as a WebCrypto key (non-extractable unless asked). */
export async function toKeyIdentity(raw: RawIdentity, extractable = false): Promise<KeyIdentity> {
  return { secretKey: await importX25519Secret(raw.secretKey, extractable), publicKey: new Uint8Array(raw.publicKey) };
}

const JOIN_LABEL = utf8('SpeakOnce/v1/join');

function proofFrom(shared: Uint8Array, challenge: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return hmac(sha256, shared, concatBytes(JOIN_LABEL, challenge, publicKey));
}

/** The participant's proof for the server's challenge. */
export async function joinProof(me: MemberIdentity, challenge: Uint8Array): Promise<Uint8Array> {
  return proofFrom(await x25519Shared(me.secretKey, challenge), challenge, me.publicKey);
}

/** The server's check; false for a wrong proof, a malformed or a low-order public key. */
export async function verifyJoinProof(
  challengeSecret: Uint8Array,
  challenge: Uint8Array,
  publicKey: Uint8Array,
  proof: Uint8Array,
): Promise<boolean> {
  try {
    return bytesEqual(proofFrom(await x25519Shared(challengeSecret, publicKey), challenge, publicKey), proof);
  } catch {
    return false;
  }
}

const ENROLL_LABEL = utf8('SpeakOnce/v1/enroll-proof');

/**
 * Proof of possession of the sealing key for the enrollment authority (docs/protocol.md §23):
 *   proof = HMAC-SHA256(key = X25519(p, A), "SpeakOnce/v1/enroll-proof" ‖ A ‖ P ‖ request)
 * where A is the authority's X25519 enrollment key and `request` the canonical bytes of the
 * enrollment request (which name the signing key), so a proof never certifies another key.
 */
export async function enrollProof(
  me: MemberIdentity,
  authorityKey: Uint8Array,
  request: Uint8Array,
): Promise<Uint8Array> {
  const shared = await x25519Shared(me.secretKey, authorityKey);
  return hmac(sha256, shared, concatBytes(ENROLL_LABEL, authorityKey, me.publicKey, request));
}

/** The authority's check of {@link enrollProof}; false for a wrong proof or a malformed key. */
export async function verifyEnrollProof(
  authoritySecret: Uint8Array,
  authorityKey: Uint8Array,
  sealKey: Uint8Array,
  request: Uint8Array,
  proof: Uint8Array,
): Promise<boolean> {
  try {
    const shared = await x25519Shared(authoritySecret, sealKey);
    return bytesEqual(hmac(sha256, shared, concatBytes(ENROLL_LABEL, authorityKey, sealKey, request)), proof);
  } catch {
    return false;
  }
}
