/**
 * Packed residues, the reference (docs/protocol.md §4.1; the public entry points are packing.ts): the masked vector on the wire, 26 bits a residue
 * instead of 32 (every residue is below q1, q2 < 2^26), so a parameter travels in 6.5 bytes.
 *
 *   packed(v) = the bit string v[0] ‖ v[1] ‖ … , each value as 26 bits least significant first,
 *               cut into bytes least significant bit first; the last byte padded with zeros.
 *
 * Unpacking is exact and canonical: a length other than ⌈26·count/8⌉, a value ≥ q, or a padding
 * bit set is a MalformedInputError (no two byte strings decode to the same vector).
 */
import { MalformedInputError } from './errors.js';

export const RESIDUE_BITS = 26;

export function packedLength(count: number): number {
  return Math.ceil((count * RESIDUE_BITS) / 8);
}

/** Four 26-bit values into the 13 bytes at out[o..o+13). */
function packGroup(out: Uint8Array, o: number, a: number, b: number, c: number, d: number): void {
  out[o] = a & 0xff;
  out[o + 1] = (a >>> 8) & 0xff;
  out[o + 2] = (a >>> 16) & 0xff;
  out[o + 3] = ((a >>> 24) & 0x03) | ((b & 0x3f) << 2);
  out[o + 4] = (b >>> 6) & 0xff;
  out[o + 5] = (b >>> 14) & 0xff;
  out[o + 6] = ((b >>> 22) & 0x0f) | ((c & 0x0f) << 4);
  out[o + 7] = (c >>> 4) & 0xff;
  out[o + 8] = (c >>> 12) & 0xff;
  out[o + 9] = ((c >>> 20) & 0x3f) | ((d & 0x03) << 6);
  out[o + 10] = (d >>> 2) & 0xff;
  out[o + 11] = (d >>> 10) & 0xff;
  out[o + 12] = (d >>> 18) & 0xff;
}

/** Packs residues (each < 2^26; larger values are a MalformedInputError). */
export function packResiduesTs(v: Uint32Array): Uint8Array {
  const n = v.length;
  const out = new Uint8Array(packedLength(n));
  const full = n - (n % 4);
  let bad = 0;
  for (let i = 0, o = 0; i < full; i += 4, o += 13) {
    const a = v[i] as number;
    const b = v[i + 1] as number;
    const c = v[i + 2] as number;
    const d = v[i + 3] as number;
    bad |= a | b | c | d;
    packGroup(out, o, a, b, c, d);
  }
  if (full < n) {
    const t = [0, 0, 0, 0];
    for (let i = full; i < n; i++) t[i - full] = v[i] as number;
    bad |= (t[0] as number) | (t[1] as number) | (t[2] as number) | (t[3] as number);
    const tmp = new Uint8Array(13);
    packGroup(tmp, 0, t[0] as number, t[1] as number, t[2] as number, t[3] as number);
    out.set(tmp.subarray(0, out.length - (full / 4) * 13), (full / 4) * 13);
  }
  if (bad >>> RESIDUE_BITS !== 0) throw new MalformedInputError('a residue does not fit in 26 bits');
  return out;
}

/** Unpacks `count` residues below q; refuses a wrong length, a value ≥ q or a set padding bit. */
export function unpackResiduesTs(b: Uint8Array, count: number, q: number, what = 'vector'): Uint32Array {
  if (b.length !== packedLength(count))
    throw new MalformedInputError(
      `${what}: ${b.length} bytes, ${packedLength(count)} expected for ${count} packed residues`,
    );
  const out = new Uint32Array(count);
  const full = count - (count % 4);
  let max = 0;
  let o = 0;
  for (let i = 0; i < full; i += 4, o += 13) {
    const a =
      (b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      (((b[o + 3] as number) & 0x03) << 24);
    const bb =
      ((b[o + 3] as number) >>> 2) |
      ((b[o + 4] as number) << 6) |
      ((b[o + 5] as number) << 14) |
      (((b[o + 6] as number) & 0x0f) << 22);
    const c =
      ((b[o + 6] as number) >>> 4) |
      ((b[o + 7] as number) << 4) |
      ((b[o + 8] as number) << 12) |
      (((b[o + 9] as number) & 0x3f) << 20);
    const d =
      ((b[o + 9] as number) >>> 6) |
      ((b[o + 10] as number) << 2) |
      ((b[o + 11] as number) << 10) |
      ((b[o + 12] as number) << 18);
    out[i] = a;
    out[i + 1] = bb;
    out[i + 2] = c;
    out[i + 3] = d;
    // the max of each lane, branch-free enough: one comparison per value
    if (a >= max) max = a;
    if (bb >= max) max = bb;
    if (c >= max) max = c;
    if (d >= max) max = d;
  }
  if (full < count) {
    const tmp = new Uint8Array(13);
    tmp.set(b.subarray(o));
    const rest = unpackResiduesTs(tmp, 4, 1 << RESIDUE_BITS, what);
    for (let i = full; i < count; i++) {
      const x = rest[i - full] as number;
      out[i] = x;
      if (x >= max) max = x;
    }
    // bits beyond the last value (inside the last byte) must be zero
    for (let i = count - full; i < 4; i++)
      if (rest[i] !== 0) throw new MalformedInputError(`${what}: padding bits of the packed residues are not zero`);
  }
  if (count > 0 && max >= q) throw new MalformedInputError(`${what}: a residue is not reduced mod ${q}`);
  return out;
}
