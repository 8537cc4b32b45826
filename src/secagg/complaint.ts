/**
 * Judging one sealed slice against its trainer's key commitment (docs/protocol.md §25). The
 * same function serves the member that opens the slice with the key it derives and anyone who
 * checks a complaint with the key the member revealed:
 *
 *   'key'   H(okm) ≠ the signed commitment: the member cannot open what the trainer committed
 *           to (unprovable alone: it takes 2·t_rec − m members to say so, §25)
 *   'open'  H(okm) = commitment and AES-GCM under okm does not authenticate (proof)
 *   'slice' H(okm) = commitment, it opens, but the plaintext is not a slice: wrong length or an
 *           unreduced residue (proof)
 *   'ok'    it opens to a well-formed slice
 *
 * An honest trainer's slice is 'ok' under its committed key, and the commitment has one
 * preimage (SHA-256), so no member can reveal a key that proves a fault of an honest trainer.
 */
import { bytesEqual } from './encoding.js';
import { SealError } from './errors.js';
import { SLICE_KEY_BYTES, type SlotId, openSliceWithKey, sliceKeyCommitment } from './seal.js';
import { residuesInRange } from './shamir.js';

export type SliceFaultKind = 'key' | 'open' | 'slice';

export type SliceJudgement = { readonly kind: 'ok'; readonly values: Uint32Array } | { readonly kind: SliceFaultKind };

export async function judgeSlice(
  id: SlotId,
  sealed: Uint8Array,
  okm: Uint8Array,
  commitment: Uint8Array | undefined,
  sliceResidues: number,
): Promise<SliceJudgement> {
  if (okm.length !== SLICE_KEY_BYTES) return { kind: 'key' };
  if (commitment !== undefined && !bytesEqual(sliceKeyCommitment(okm), commitment)) return { kind: 'key' };
  let values: Uint32Array;
  try {
    values = await openSliceWithKey(id, sealed, okm);
  } catch (e) {
    if (e instanceof SealError) return { kind: 'open' };
    throw e;
  }
  if (values.length !== sliceResidues || !residuesInRange(values)) return { kind: 'slice' };
  return { kind: 'ok', values };
}

/** One slice a member could not use, with the key that proves it ('open', 'slice'). */
export interface SliceFault {
  readonly clientId: string;
  readonly kind: SliceFaultKind;
  /** The revealed slice key, for the provable kinds; absent for 'key'. */
  readonly okm?: Uint8Array;
}

/**
 * A member found slices it cannot use. Still a SealError (it refuses to answer), carrying what a
 * certified member turns into a signed complaint (§25).
 */
export class SliceFaultError extends SealError {
  readonly faults: readonly SliceFault[];
  constructor(faults: readonly SliceFault[]) {
    const named = faults.map((f) => `${f.clientId} (${FAULT_WORDS[f.kind]})`).join(', ');
    super(`slices that cannot be used: ${named}`);
    this.faults = faults;
  }
}

export const FAULT_WORDS: Readonly<Record<SliceFaultKind, string>> = {
  key: 'its slice key is not the one its trainer committed to',
  open: 'it does not open under the key its trainer committed to',
  slice: 'it opens to something that is not a slice',
};
