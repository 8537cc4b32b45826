/**
 * Packed residues (docs/protocol.md §4.1): the masked vector on the wire, 26 bits a residue
 * instead of 32 (every residue is below q1, q2 < 2^26), so a parameter travels in 6.5 bytes.
 *
 *   packed(v) = the bit string v[0] ‖ v[1] ‖ … , each value as 26 bits least significant first,
 *               cut into bytes least significant bit first; the last byte padded with zeros.
 *
 * Unpacking is exact and canonical: a length other than ⌈26·count/8⌉, a value ≥ q, or a padding
 * bit set is a MalformedInputError (no two byte strings decode to the same vector). The work is
 * the arithmetic engine's (engine.ts; the reference is packing-ts.ts): the same bytes either way.
 */
import { engine } from './engine.js';

export { RESIDUE_BITS, packedLength } from './packing-ts.js';

/** Packs residues (each < 2^26; larger values are a MalformedInputError). */
export function packResidues(v: Uint32Array): Uint8Array {
  return engine().pack(v);
}

/** Unpacks `count` residues below q; refuses a wrong length, a value ≥ q or a set padding bit. */
export function unpackResidues(b: Uint8Array, count: number, q: number, what = 'vector'): Uint32Array {
  return engine().unpack(b, count, q, what);
}
