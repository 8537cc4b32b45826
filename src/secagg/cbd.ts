/**
 * Centred binomial noise CBD(η = 21) (docs/protocol.md §9): e = popcount(a) − popcount(b)
 * for two independent 21-bit strings a, b, so e ∈ [−21, 21] with variance η/2.
 *
 * Each coefficient consumes 6 bytes B0..B5 read as a 48-bit little-endian integer X:
 * a = X & (2^21 − 1), b = (X >> 21) & (2^21 − 1); the top 6 bits are unused. The noise is one
 * integer per coefficient and is reduced mod each prime afterwards (independent noise per
 * prime would break the CRT decoding).
 */
export const ETA = 21;
export const CBD_BYTES = 6;

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** `count` noise values from `count·6` bytes. */
export function cbdFromBytes(bytes: Uint8Array, count: number): Int8Array {
  if (bytes.length < count * CBD_BYTES)
    throw new RangeError(`CBD needs ${count * CBD_BYTES} bytes, got ${bytes.length}`);
  const out = new Int8Array(count);
  for (let i = 0, o = 0; i < count; i++, o += CBD_BYTES) {
    const b0 = bytes[o] as number;
    const b1 = bytes[o + 1] as number;
    const b2 = bytes[o + 2] as number;
    const b3 = bytes[o + 3] as number;
    const b4 = bytes[o + 4] as number;
    const b5 = bytes[o + 5] as number;
    const a = b0 | (b1 << 8) | ((b2 & 0x1f) << 16);
    const b = (b2 >>> 5) | (b3 << 3) | (b4 << 11) | ((b5 & 0x03) << 19);
    out[i] = popcount(a) - popcount(b);
  }
  return out;
}
