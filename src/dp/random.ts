/**
 * Byte sources of the DP core (docs/dp.md §2). Secret randomness (the noise, the rounding) comes
 * from `crypto.getRandomValues` in production; known-answer tests inject a deterministic source
 * (ChaCha20 keystream of a 32-byte seed, RFC 8439 with a zero nonce). Everything downstream reads
 * the bytes as little-endian 32-bit words, in order, so a fixed byte stream fixes every output.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { DpParameterError } from './errors.js';

/** Fills `out` with the next bytes of the stream. */
export interface ByteSource {
  fill(out: Uint8Array<ArrayBuffer>): void;
}

/** The platform CSPRNG (`crypto.getRandomValues`, at most 65,536 bytes a call). */
export const cryptoSource: ByteSource = {
  fill(out: Uint8Array<ArrayBuffer>): void {
    for (let o = 0; o < out.length; o += 65536)
      globalThis.crypto.getRandomValues(out.subarray(o, Math.min(out.length, o + 65536)));
  },
};

/** Deterministic source: the ChaCha20 keystream of `seed` (32 bytes), nonce 0, from block 0. */
export function chachaSource(seed: Uint8Array): ByteSource {
  if (seed.length !== 32) throw new DpParameterError(`a ChaCha20 seed is 32 bytes, got ${seed.length}`);
  const key = new Uint8Array(seed);
  const nonce = new Uint8Array(12);
  let block = 0;
  let spare: Uint8Array = new Uint8Array(0);
  return {
    fill(out: Uint8Array): void {
      let o = 0;
      const take = Math.min(spare.length, out.length);
      out.set(spare.subarray(0, take));
      spare = spare.subarray(take);
      o += take;
      if (o === out.length) return;
      const blocks = Math.ceil((out.length - o) / 64);
      const ks = chacha20(key, nonce, new Uint8Array(blocks * 64), undefined, block);
      block += blocks;
      out.set(ks.subarray(0, out.length - o), o);
      spare = ks.subarray(out.length - o);
    },
  };
}

/** A source that replays fixed bytes (known-answer tests); throws when they run out. */
export function fixedSource(bytes: Uint8Array): ByteSource {
  let o = 0;
  return {
    fill(out: Uint8Array): void {
      if (o + out.length > bytes.length) throw new DpParameterError('the fixed byte source ran out');
      out.set(bytes.subarray(o, o + out.length));
      o += out.length;
    },
  };
}

const LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Buffered little-endian 32-bit words of a byte source. */
export class WordStream {
  private readonly bytes: Uint8Array<ArrayBuffer>;
  private readonly words: Uint32Array<ArrayBuffer>;
  private pos: number;

  constructor(
    private readonly source: ByteSource,
    bufferWords = 4096,
  ) {
    this.bytes = new Uint8Array(bufferWords * 4);
    this.words = new Uint32Array(this.bytes.buffer);
    this.pos = bufferWords;
  }

  /** The next word, uniform in [0, 2^32). */
  next(): number {
    if (this.pos === this.words.length) {
      this.source.fill(this.bytes);
      if (!LE) for (let i = 0; i < this.words.length; i++) this.words[i] = swap32(this.words[i] as number);
      this.pos = 0;
    }
    return this.words[this.pos++] as number;
  }

  /** Uniform integer in [0, n) for a bigint n ≥ 1: ⌈bits/32⌉ words, masked, rejection. */
  below(n: bigint): bigint {
    if (n <= 1n) return 0n;
    const bits = (n - 1n).toString(2).length;
    const words = Math.ceil(bits / 32);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(this.next());
      x &= mask;
      if (x < n) return x;
    }
  }
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}
