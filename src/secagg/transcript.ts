/**
 * Hashes that bind a round's survivor set (docs/protocol.md §13).
 *
 *   digest(contribution) = SHA-256("SpeakOnce/v1/contribution" ‖ ephemeral public ‖ u32(m) ‖
 *                                  for each member j: u32(len) ‖ sealed slice j)
 *   H_S = SHA-256("SpeakOnce/v1/survivors" ‖ lp(federation) ‖ u64(round) ‖ u32(|S|) ‖
 *                 for each survivor in sorted id order: lp(id) ‖ digest)
 *
 * The digest covers what members sum (the sealed seed shares), not the masked vector, which
 * only the server ever adds up. A member recomputes H_S from its job and echoes it, so the
 * server can keep only answers that summed the same set.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, lpString, u32be, utf8 } from './encoding.js';
import { MalformedInputError } from './errors.js';
import { sha256Digest } from './primitives.js';
import { type RoundContext, encodeContext } from './random.js';

/** An incremental SHA-256 (noble's `sha256.create()`, or Node's `createHash('sha256')`). */
export interface Sha256Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

export async function contributionDigest(
  ephemeralPublic: Uint8Array,
  sealed: readonly Uint8Array[],
  hasher?: () => Sha256Hasher,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [utf8('SpeakOnce/v1/contribution'), ephemeralPublic, u32be(sealed.length)];
  for (const s of sealed) parts.push(u32be(s.length), s);
  if (hasher) {
    // Incremental: no concatenated copy, and a native hash when the caller provides one.
    const h = hasher();
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  }
  return sha256Digest(concatBytes(...parts));
}

export interface SurvivorEntry {
  readonly clientId: string;
  readonly digest: Uint8Array;
}

/** Byte-wise order of UTF-16 ids (plain `<`), the canonical order of survivor lists. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function survivorHash(ctx: RoundContext, survivors: readonly SurvivorEntry[]): Uint8Array {
  const parts: Uint8Array[] = [utf8('SpeakOnce/v1/survivors'), encodeContext(ctx), u32be(survivors.length)];
  for (let i = 0; i < survivors.length; i++) {
    const s = survivors[i] as SurvivorEntry;
    if (i > 0 && compareIds((survivors[i - 1] as SurvivorEntry).clientId, s.clientId) >= 0)
      throw new MalformedInputError('survivor list is not sorted and unique');
    if (s.digest.length !== 32) throw new MalformedInputError(`digest of ${s.clientId} must be 32 bytes`);
    parts.push(lpString(s.clientId), s.digest);
  }
  return sha256(concatBytes(...parts));
}
