import { describe, expect, it } from 'vitest';
import { ETA, cbdFromBytes } from './cbd.js';
import { PRIMES } from './field.js';
import {
  type Residues,
  applyMask,
  centredValues,
  expandPublicRing,
  removeMask,
  sampleNoise,
  sampleSecret,
} from './mask.js';
import { N } from './ntt.js';
import { SecretRandom } from './random.js';
import { deterministicRng, seedOf } from '../../test/support/secagg.js';

const ctx = { federation: 'f', round: 3 };

describe('CBD(21) noise', () => {
  it('is centred, bounded by η, with variance η/2', async () => {
    const rng = deterministicRng(5);
    const e = await sampleNoise(rng, 200_000);
    let sum = 0;
    let sq = 0;
    let max = 0;
    for (const v of e) {
      max = Math.max(max, Math.abs(v));
      sum += v;
      sq += v * v;
    }
    expect(max).toBeLessThanOrEqual(ETA);
    expect(max).toBeGreaterThan(12); // the tails are reached
    expect(Math.abs(sum / e.length)).toBeLessThan(0.05);
    expect(sq / e.length).toBeGreaterThan(10.3);
    expect(sq / e.length).toBeLessThan(10.7);
  });

  it('reads 21 + 21 bits from 6 bytes', () => {
    expect(Array.from(cbdFromBytes(Uint8Array.of(0xff, 0xff, 0x1f, 0, 0, 0), 1))).toEqual([21]);
    expect(Array.from(cbdFromBytes(Uint8Array.of(0, 0, 0xe0, 0xff, 0xff, 0x03), 1))).toEqual([-21]);
    expect(Array.from(cbdFromBytes(Uint8Array.of(0, 0, 0, 0, 0, 0xfc), 1))).toEqual([0]); // top 6 bits unused
    expect(() => cbdFromBytes(new Uint8Array(5), 1)).toThrow(RangeError);
  });
});

describe('public ring', () => {
  it('is deterministic, domain-separated, and uniform-looking', async () => {
    const a = await expandPublicRing(seedOf(1), ctx, 3 * N);
    const b = await expandPublicRing(seedOf(1), ctx, 3 * N);
    const c = await expandPublicRing(seedOf(1), { ...ctx, round: 4 }, 3 * N);
    expect(a.blocks).toBe(3);
    expect(a.a[0]).toEqual(b.a[0]);
    expect(a.a[1]).toEqual(b.a[1]);
    expect(a.a[0]).not.toEqual(c.a[0]);
    for (const k of [0, 1] as const) {
      const v = a.a[k];
      expect(v.every((x) => x < PRIMES[k])).toBe(true);
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      expect(Math.abs(mean / PRIMES[k] - 0.5)).toBeLessThan(0.02);
    }
    // a shorter expansion is a prefix of a longer one (blocks are independent streams)
    const short = await expandPublicRing(seedOf(1), ctx, 10);
    expect(short.a[1]).toEqual(a.a[1].subarray(0, N));
  });
});

describe('seed-homomorphic mask', () => {
  it('Mask(s1) + Mask(s2) − Mask(s1 + s2) is noise within 3η', async () => {
    const L = 5000;
    const ring = await expandPublicRing(seedOf(2), ctx, L);
    const rngs = [1, 2, 3].map((i) => deterministicRng(i, 9));
    const s1 = await sampleSecret(rngs[0] as SecretRandom);
    const s2 = await sampleSecret(rngs[1] as SecretRandom);
    const s12: Residues = [
      s1[0].map((v, i) => (v + (s2[0][i] as number)) % PRIMES[0]),
      s1[1].map((v, i) => (v + (s2[1][i] as number)) % PRIMES[1]),
    ];
    const masks = await Promise.all(
      [s1, s2, s12].map(async (s, i) =>
        applyMask(undefined, s, ring, await sampleNoise(rngs[i] as SecretRandom, L), 2 ** 19, L),
      ),
    );
    const [m1, m2, m12] = masks.map(centredValues) as [Float64Array, Float64Array, Float64Array];
    let maxAbs = 0;
    let nonzero = 0;
    for (let i = 0; i < L; i++) {
      const d = (m1[i] as number) + (m2[i] as number) - (m12[i] as number);
      // residues are taken mod q: fold the difference back into the centred range
      const q = PRIMES[0] * PRIMES[1];
      const f = d > q / 2 ? d - q : d < -q / 2 ? d + q : d;
      maxAbs = Math.max(maxAbs, Math.abs(f));
      if (f !== 0) nonzero++;
    }
    expect(maxAbs).toBeLessThanOrEqual(3 * ETA);
    expect(nonzero).toBeGreaterThan(L / 2); // there is noise, and it is small
    // a mask alone is far from small: it hides the update
    expect(Math.max(...Array.from(m1.subarray(0, 100), Math.abs))).toBeGreaterThan(2 ** 40);
  });

  it('removeMask recovers Σx exactly from Σy and Σs', async () => {
    const L = 2 * N + 17;
    const ring = await expandPublicRing(seedOf(3), ctx, L);
    const xs = [1, 2, 3].map((k) => Int32Array.from({ length: L }, (_, i) => ((i * 31 + k * 977) % 65535) - 32767));
    const sumX = new Float64Array(L);
    const sumY: Residues = [new Uint32Array(L), new Uint32Array(L)];
    const sumS: Residues = [new Uint32Array(N), new Uint32Array(N)];
    for (const [i, x] of xs.entries()) {
      const rng = deterministicRng(i, 11);
      const s = await sampleSecret(rng);
      const y = applyMask(x, s, ring, await sampleNoise(rng, L), 2 ** 19, L);
      for (let c = 0; c < L; c++) sumX[c] = (sumX[c] as number) + (x[c] as number);
      for (const k of [0, 1] as const) {
        for (let c = 0; c < L; c++) sumY[k][c] = ((sumY[k][c] as number) + (y[k][c] as number)) % PRIMES[k];
        for (let c = 0; c < N; c++) sumS[k][c] = ((sumS[k][c] as number) + (s[k][c] as number)) % PRIMES[k];
      }
    }
    expect(removeMask(sumY, sumS, ring, 2 ** 19, L)).toEqual(sumX);
  });
});

describe('decoding', () => {
  it('decodes a zero sum to +0, never −0 (negative noise rounds to −0 otherwise)', async () => {
    const L = 500;
    const ring = await expandPublicRing(seedOf(4), ctx, L);
    const rng = deterministicRng(4, 4);
    const s = await sampleSecret(rng);
    const noise = await sampleNoise(rng, L);
    expect(noise.some((e) => e < 0)).toBe(true);
    const y = applyMask(new Int32Array(L), s, ring, noise, 2 ** 19, L);
    const out = removeMask(y, s, ring, 2 ** 19, L);
    expect(Array.from(out).every((v) => Object.is(v, 0))).toBe(true);
  });
});

describe('secret randomness', () => {
  it('is deterministic per seed and label, different across them', async () => {
    const a = new SecretRandom(seedOf(1));
    const b = new SecretRandom(seedOf(1));
    expect(await a.bytes('x', 64)).toEqual(await b.bytes('x', 64));
    expect(await a.bytes('x', 64)).not.toEqual(await a.bytes('y', 64));
    expect(await a.bytes('x', 64)).not.toEqual(await new SecretRandom(seedOf(2)).bytes('x', 64));
    expect(await SecretRandom.fresh().bytes('x', 32)).not.toEqual(await SecretRandom.fresh().bytes('x', 32));
    expect(() => new SecretRandom(new Uint8Array(16))).toThrow(RangeError);
  });
});
