/**
 * A participant's id: "p" and the first 16 hex digits of SHA-256 of its X25519 public key
 * (docs/protocol.md §16). The server, the enrollment authority and the participant derive it alike.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export function participantIdOf(publicKey: Uint8Array): string {
  let s = 'p';
  for (const x of sha256(publicKey).subarray(0, 8)) s += x.toString(16).padStart(2, '0');
  return s;
}
