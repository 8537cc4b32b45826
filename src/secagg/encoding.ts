/** Byte encodings for domain separation, associated data and hashing (docs/protocol.md §4). */
import { bytesEqual, concatBytes } from '../base/bytes.js';

export { bytesEqual, concatBytes };
const te = new TextEncoder();

export function utf8(s: string): Uint8Array {
  return te.encode(s);
}

export function u16be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** 64-bit big-endian encoding of a non-negative safe integer. */
export function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
  const out = new Uint8Array(8);
  out.set(u32be(Math.floor(n / 2 ** 32)), 0);
  out.set(u32be(n % 2 ** 32), 4);
  return out;
}

/** A length-prefixed UTF-8 string (u16 length), so concatenations stay unambiguous. */
export function lpString(s: string): Uint8Array {
  const b = utf8(s);
  return concatBytes(u16be(b.length), b);
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(h: string): Uint8Array {
  if (h.length % 2 !== 0 || /[^0-9a-f]/i.test(h)) throw new RangeError('bad hex string');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
