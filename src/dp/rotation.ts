/**
 * The randomized Walsh–Hadamard rotation (docs/dp.md §3.2; Kairouz, Liu, Steinke, ICML 2021,
 * §4.2): x ∈ R^L is padded with zeros to d = 2^⌈log2 L⌉, its signs flipped by a public ±1
 * diagonal D derived from the round's 32-byte seed, and transformed by the normalized Hadamard
 * matrix: y = H·D·x/√d. H·H = d·I, so the inverse is x = D·H·y/√d. The rotation is orthogonal:
 * it keeps L2 norms, and it spreads a vector's mass over the coordinates, so that rounding and
 * the field budget see small, even coordinates.
 *
 * Signs: ChaCha20 keystream (nonce 0) of the key SHA-256("SpeakOnce/v1/dp/rotation" ‖ seed);
 * coordinate i is negated when bit i mod 8 of keystream byte ⌊i/8⌋ is 1.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DpParameterError } from './errors.js';

const LABEL = new TextEncoder().encode('SpeakOnce/v1/dp/rotation');

/** d = the least power of two ≥ L (and ≥ 1). */
export function paddedLength(L: number): number {
  if (!Number.isSafeInteger(L) || L < 1 || L > 2 ** 30)
    throw new DpParameterError(`a rotated vector has 1..2^30 coordinates, got ${L}`);
  let d = 1;
  while (d < L) d *= 2;
  return d;
}

/** The d sign bits of the seed, as the keystream bytes (bit i of the vector = bit i%8 of byte i/8). */
export function signBytes(seed: Uint8Array, d: number): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new DpParameterError('the rotation seed must be 32 bytes');
  const key = sha256(new Uint8Array([...LABEL, ...seed]));
  return chacha20(key, new Uint8Array(12), new Uint8Array(Math.ceil(d / 8)));
}

/** x_i ← x_i·(1 − 2·bit_i), branch-free (the bits are random: a branch would mispredict half the time). */
function flipSigns(x: Float64Array, signs: Uint8Array): void {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * (1 - 2 * (((signs[i >>> 3] as number) >>> (i & 7)) & 1));
}

/**
 * In-place unnormalized fast Walsh–Hadamard transform of a power-of-two length: radix-4
 * butterflies (two levels per pass over memory), the levels below 4096 within 4096-blocks that
 * stay in the cache, then the rest over the whole array.
 */
export function fwht(x: Float64Array): void {
  const n = x.length;
  if (n & (n - 1)) throw new DpParameterError(`the Hadamard transform needs a power-of-two length, got ${n}`);
  const block = Math.min(n, 4096);
  for (let base = 0; base < n; base += block) levels(x, base, base + block, 1, block);
  if (n > block) levels(x, 0, n, block, n);
}

/** The butterfly levels of stride h = from, 2·from, …, to/2 over x[start..end): two at a time, then one if left. */
function levels(x: Float64Array, start: number, end: number, from: number, to: number): void {
  let h = from;
  for (; h * 4 <= to; h *= 4) {
    const h2 = 2 * h;
    const h3 = 3 * h;
    for (let i = start; i < end; i += 4 * h) {
      for (let j = i, e = i + h; j < e; j++) {
        const a0 = x[j] as number;
        const a1 = x[j + h] as number;
        const a2 = x[j + h2] as number;
        const a3 = x[j + h3] as number;
        const s01 = a0 + a1;
        const d01 = a0 - a1;
        const s23 = a2 + a3;
        const d23 = a2 - a3;
        x[j] = s01 + s23;
        x[j + h] = d01 + d23;
        x[j + h2] = s01 - s23;
        x[j + h3] = d01 - d23;
      }
    }
  }
  if (h < to) {
    for (let i = start; i < end; i += 2 * h) {
      for (let j = i, e = i + h; j < e; j++) {
        const a = x[j] as number;
        const b = x[j + h] as number;
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

/** y = H·D·pad(x)/√d (length d). */
export function rotate(x: ArrayLike<number>, seed: Uint8Array): Float64Array {
  return rotateScaled(x, seed, 1 / Math.sqrt(paddedLength(x.length)));
}

/** H·D·pad(s·x): the rotation with the scale s folded into its first pass (one array, no copies). */
export function rotateScaled(x: ArrayLike<number>, seed: Uint8Array, s: number): Float64Array {
  const d = paddedLength(x.length);
  const signs = signBytes(seed, d);
  const y = new Float64Array(d);
  for (let i = 0; i < x.length; i++)
    y[i] = (x[i] as number) * s * (1 - 2 * (((signs[i >>> 3] as number) >>> (i & 7)) & 1));
  fwht(y);
  return y;
}

/** The inverse: x = D·H·y/√d, truncated to the first L coordinates. */
export function unrotate(y: ArrayLike<number>, seed: Uint8Array, L: number): Float64Array {
  const d = y.length;
  if (paddedLength(L) !== d)
    throw new DpParameterError(`a rotated vector of ${L} coordinates has ${paddedLength(L)}, got ${d}`);
  const x = Float64Array.from(y);
  fwht(x);
  const s = 1 / Math.sqrt(d);
  for (let i = 0; i < d; i++) x[i] = (x[i] as number) * s;
  flipSigns(x, signBytes(seed, d));
  return x.subarray(0, L);
}
