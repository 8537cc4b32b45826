/** Long-term X25519 identities of committee members. */
import { x25519PublicKey } from './primitives.js';
import type { MemberIdentity } from './member.js';

/** A fresh identity from crypto.getRandomValues, or from a given 32-byte secret (tests). */
export function createIdentity(secretKey?: Uint8Array): MemberIdentity {
  const sk = secretKey ? new Uint8Array(secretKey) : globalThis.crypto.getRandomValues(new Uint8Array(32));
  if (sk.length !== 32) throw new RangeError('X25519 secret key must be 32 bytes');
  return { secretKey: sk, publicKey: x25519PublicKey(sk) };
}
