/**
 * Randomness of the protocol, all drawn from AES-256-CTR keystreams (docs/protocol.md §5, §7, §8;
 * SHAKE128 is ~10× slower here). Keys come from HKDF-SHA256 with domain separation:
 *
 *   public ring:  key = HKDF(ikm = public seed, salt = "SpeakOnce/v1",
 *                            info = "public-a" ‖ lp(federation) ‖ u64(round)), nonce = u64(block)
 *   secrets:      key = HKDF(ikm = secret seed, salt = "SpeakOnce/v1", info = "secret/" ‖ label),
 *                 nonce = u64(index)
 *
 * Uniform residues mod q: the keystream is read as little-endian 32-bit words, the low 26 bits
 * are kept, and values ≥ q are rejected (acceptance ≈ 0.99994 for q1, 0.99963 for q2).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, lpString, u64be, utf8 } from './encoding.js';
import { KeyStream } from './primitives.js';

const SALT = utf8('SpeakOnce/v1');
const MASK26 = 0x3ffffff;

/** Fill `out[offset..offset+count)` with uniform residues mod q from the keystream words
 * starting at `word`; returns the next unread word index, or −1 if the bytes ran out. */
export function rejectionSample(
  bytes: Uint8Array,
  word: number,
  q: number,
  out: Uint32Array | Float64Array,
  offset: number,
  count: number,
): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const le = littleEndian;
  let w = word;
  let filled = 0;
  while (filled < count) {
    if (w >= words.length) return -1;
    const raw = words[w++] as number;
    const v = (le ? raw : swap32(raw)) & MASK26;
    if (v < q) out[offset + filled++] = v;
  }
  return w;
}

const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * Uniform residues for several primes from one keystream: `counts[k]` residues mod
 * `primes[k]`, drawn in order. The keystream starts with 64 words of slack per 4096 and is
 * regenerated twice as long if rejections exhaust it, so the output depends only on the key.
 */
export async function uniformFromStream(
  stream: KeyStream,
  nonce: Uint8Array,
  primes: readonly number[],
  counts: readonly number[],
): Promise<Uint32Array[]> {
  const total = counts.reduce((a, b) => a + b, 0);
  let words = total + 64 + Math.ceil(total / 64);
  for (;;) {
    const bytes = await stream.bytes(nonce, words * 4);
    const outs = counts.map((c) => new Uint32Array(c));
    let w = 0;
    let ok = true;
    for (let k = 0; k < primes.length && ok; k++) {
      w = rejectionSample(bytes, w, primes[k] as number, outs[k] as Uint32Array, 0, counts[k] as number);
      ok = w >= 0;
    }
    if (ok) return outs;
    words *= 2;
  }
}

export interface RoundContext {
  /** Federation identifier (domain separation between federations). */
  federation: string;
  /** Round number, a non-negative safe integer. */
  round: number;
}

export function encodeContext(ctx: RoundContext): Uint8Array {
  return concatBytes(lpString(ctx.federation), u64be(ctx.round));
}

/** The AES key of a round's public ring elements. */
export function publicRingKey(publicSeed: Uint8Array, ctx: RoundContext): Uint8Array {
  if (publicSeed.length !== 32) throw new RangeError('public seed must be 32 bytes');
  return hkdf(sha256, publicSeed, SALT, concatBytes(utf8('public-a'), encodeContext(ctx)), 32);
}

/**
 * Secret randomness of one party for one round, deterministic from a 32-byte seed. In
 * production the seed comes from `crypto.getRandomValues` (`SecretRandom.fresh()`); tests and
 * known-answer vectors inject a fixed seed. Each label must be used for one purpose only.
 */
export class SecretRandom {
  private readonly seed: Uint8Array;
  private readonly streams = new Map<string, KeyStream>();

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new RangeError('secret seed must be 32 bytes');
    this.seed = new Uint8Array(seed);
  }

  static fresh(): SecretRandom {
    const seed = new Uint8Array(32);
    globalThis.crypto.getRandomValues(seed);
    return new SecretRandom(seed);
  }

  stream(label: string): KeyStream {
    let s = this.streams.get(label);
    if (!s) {
      s = new KeyStream(hkdf(sha256, this.seed, SALT, utf8(`secret/${label}`), 32));
      this.streams.set(label, s);
    }
    return s;
  }

  /** `length` secret bytes for (label, index). */
  bytes(label: string, length: number, index = 0): Promise<Uint8Array<ArrayBuffer>> {
    return this.stream(label).bytes(u64be(index), length);
  }

  /** Secret 32-bit words (e.g. for stochastic rounding). */
  async words(label: string, count: number, index = 0): Promise<Uint32Array> {
    const b = await this.bytes(label, count * 4, index);
    return new Uint32Array(b.buffer, 0, count);
  }

  /** Uniform secret residues, `counts[k]` of them mod `primes[k]`. */
  uniform(label: string, primes: readonly number[], counts: readonly number[], index = 0): Promise<Uint32Array[]> {
    return uniformFromStream(this.stream(label), u64be(index), primes, counts);
  }
}
