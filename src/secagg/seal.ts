/**
 * Sealing of share slices to committee members (docs/protocol.md §12):
 *
 *   ss   = X25519(ephemeral secret of the trainer, member's long-term public key)
 *   ad   = "SpeakOnce/v1/slice" ‖ lp(federation) ‖ u64(round) ‖ lp(client id) ‖ u32(member)
 *   okm  = HKDF-SHA256(ikm = ss, salt = ephemeral public ‖ member public, info = "SpeakOnce/v1/seal" ‖ ad, 44)
 *   key  = okm[0..32), nonce = okm[32..44)
 *   sealed = AES-256-GCM(key, nonce, ad, slice as little-endian u32) (ciphertext ‖ tag)
 *
 * Every (round, client, member) gets its own key and nonce, so a GCM nonce never repeats
 * under one key, and a slice replayed into another round, client or member does not open.
 *
 * Slice keys (docs/protocol.md §25): okm (key ‖ nonce, 44 bytes) is what a member reveals in a
 * complaint; the trainer signs its commitment SHA-256("SpeakOnce/v1/slice-key" ‖ okm), so a
 * revealed key is checkable by anyone and a member cannot reveal any other.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, lpString, u32be, utf8 } from './encoding.js';
import { MalformedInputError, SealError } from './errors.js';
import { type X25519Secret, gcmOpen, gcmSeal, x25519Shared } from './primitives.js';
import { type RoundContext, encodeContext } from './random.js';

export interface SlotId {
  readonly ctx: RoundContext;
  readonly clientId: string;
  /** Member index j, 1-based. */
  readonly memberIndex: number;
}

export function sliceAssociatedData(id: SlotId): Uint8Array {
  return concatBytes(utf8('SpeakOnce/v1/slice'), encodeContext(id.ctx), lpString(id.clientId), u32be(id.memberIndex));
}

/** Bytes of a slice key: the AES-256-GCM key and its 12-byte nonce (okm of §12). */
export const SLICE_KEY_BYTES = 44;

function deriveOkm(
  shared: Uint8Array,
  ephemeralPublic: Uint8Array,
  memberPublic: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  return hkdf(
    sha256,
    shared,
    concatBytes(ephemeralPublic, memberPublic),
    concatBytes(utf8('SpeakOnce/v1/seal'), ad),
    SLICE_KEY_BYTES,
  );
}

/** The commitment to a slice key that a certified trainer signs (§25). */
export function sliceKeyCommitment(okm: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8('SpeakOnce/v1/slice-key'), okm));
}

export function encodeSlice(values: Uint32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint32(4 * i, values[i] as number, true);
  return out;
}

export function decodeSlice(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) throw new MalformedInputError('slice length is not a multiple of 4 bytes');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint32(4 * i, true);
  return out;
}

export async function sealSlice(
  id: SlotId,
  slice: Uint32Array,
  ephemeralSecret: Uint8Array,
  ephemeralPublic: Uint8Array,
  memberPublic: Uint8Array,
): Promise<Uint8Array> {
  return (await sealSliceKeyed(id, slice, ephemeralSecret, ephemeralPublic, memberPublic)).sealed;
}

/** Seals a slice and returns its slice key too (the trainer commits to it, §25). */
export async function sealSliceKeyed(
  id: SlotId,
  slice: Uint32Array,
  ephemeralSecret: Uint8Array,
  ephemeralPublic: Uint8Array,
  memberPublic: Uint8Array,
): Promise<{ sealed: Uint8Array; okm: Uint8Array }> {
  const ad = sliceAssociatedData(id);
  const okm = deriveOkm(await x25519Shared(ephemeralSecret, memberPublic), ephemeralPublic, memberPublic, ad);
  const sealed = await gcmSeal(okm.subarray(0, 32), okm.subarray(32), ad, encodeSlice(slice));
  return { sealed, okm };
}

/** The slice key a member derives for a slot: X25519(msk, epk) through the §12 HKDF. */
export async function memberSliceKey(
  id: SlotId,
  ephemeralPublic: Uint8Array,
  memberSecret: X25519Secret,
  memberPublic: Uint8Array,
): Promise<Uint8Array> {
  if (ephemeralPublic.length !== 32) throw new SealError(`ephemeral public key of ${id.clientId} must be 32 bytes`);
  const ad = sliceAssociatedData(id);
  return deriveOkm(await x25519Shared(memberSecret, ephemeralPublic), ephemeralPublic, memberPublic, ad);
}

/** Opens a sealed slice under a known slice key; a tag that does not verify is a SealError. */
export async function openSliceWithKey(id: SlotId, sealed: Uint8Array, okm: Uint8Array): Promise<Uint32Array> {
  if (okm.length !== SLICE_KEY_BYTES) throw new SealError(`a slice key is ${SLICE_KEY_BYTES} bytes`);
  try {
    return decodeSlice(await gcmOpen(okm.subarray(0, 32), okm.subarray(32), sliceAssociatedData(id), sealed));
  } catch (e) {
    if (e instanceof SealError)
      throw new SealError(`slice from ${id.clientId} to member ${id.memberIndex} does not authenticate`);
    throw e;
  }
}

/** Opens a slice addressed to this member; throws SealError if it does not authenticate. */
export async function openSlice(
  id: SlotId,
  sealed: Uint8Array,
  ephemeralPublic: Uint8Array,
  memberSecret: X25519Secret,
  memberPublic: Uint8Array,
): Promise<Uint32Array> {
  return openSliceWithKey(id, sealed, await memberSliceKey(id, ephemeralPublic, memberSecret, memberPublic));
}
