import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DpParameterError } from './errors.js';
import { rational } from './exact.js';
import { decodeSum, presampleNoise, privatize, sensitivity } from './pipeline.js';
import { WordStream, chachaSource } from './random.js';
import { clipL2, conditionalRound, roundedNormBound } from './rounding.js';
import { fwht, paddedLength, rotate, signBytes, unrotate } from './rotation.js';

const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const stream = (b: number): WordStream => new WordStream(chachaSource(seed(b)));
const norm = (x: ArrayLike<number>): number => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));

/** A deterministic pseudo-random vector (test input only). */
function vector(L: number, k = 1): Float64Array {
  return Float64Array.from({ length: L }, (_, i) => Math.sin(i * 12.9898 * k + 1) * (i % 7 === 0 ? 5 : 1));
}

describe('the randomized Hadamard rotation (docs/dp.md §3.2)', () => {
  it('pads to a power of two', () => {
    expect([1, 2, 3, 1000, 1024, 1025].map(paddedLength)).toEqual([1, 2, 4, 1024, 1024, 2048]);
    expect(() => paddedLength(0)).toThrow(DpParameterError);
  });

  it('fwht matches the Sylvester matrix on 8 points, and H·H = d·I', () => {
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = Float64Array.from(x);
    fwht(y);
    const H = (i: number, j: number): number => ((popcount(i & j) & 1) === 0 ? 1 : -1);
    for (let i = 0; i < 8; i++) expect(y[i]).toBe(x.reduce((s, v, j) => s + H(i, j) * v, 0));
    fwht(y);
    expect([...y]).toEqual([...x].map((v) => 8 * v));
  });

  it('inverse(rotate(x)) = x, the norm is kept, and large vectors use the blocked path', () => {
    for (const L of [1, 5, 1000, 10_000, 20_000]) {
      const x = vector(L);
      const y = rotate(x, seed(3));
      expect(y.length).toBe(paddedLength(L));
      expect(norm(y)).toBeCloseTo(norm(x), 9);
      const back = unrotate(y, seed(3), L);
      for (let i = 0; i < L; i++) expect(back[i]).toBeCloseTo(x[i] as number, 10);
    }
  });

  it('is deterministic from the seed, and another seed gives other signs', () => {
    const x = vector(300);
    expect([...rotate(x, seed(9))]).toEqual([...rotate(x, seed(9))]);
    expect([...rotate(x, seed(9))]).not.toEqual([...rotate(x, seed(10))]);
    // Known answer: the first sign bytes of seed 0x00…00, and the same from Node's own SHA-256 and ChaCha20.
    expect([...signBytes(seed(0), 32)]).toEqual(SIGNS_SEED0);
    const key = createHash('sha256').update('SpeakOnce/v1/dp/rotation').update(seed(7)).digest();
    const ks = createCipheriv('chacha20', key, new Uint8Array(16)).update(new Uint8Array(128));
    expect([...signBytes(seed(7), 1024)]).toEqual([...ks]);
  });

  it('spreads a spike: e_0 becomes ±1/√d everywhere', () => {
    const x = new Float64Array(1024);
    x[0] = 1;
    for (const v of rotate(x, seed(4))) expect(Math.abs(v)).toBeCloseTo(1 / 32, 12);
  });
});

describe('clipping and conditional rounding (docs/dp.md §3.1, §3.3)', () => {
  it('clips to C and leaves short vectors alone', () => {
    const x = vector(100);
    expect(norm(clipL2(x, 1))).toBeCloseTo(1, 12);
    const small = clipL2(x, 1e6);
    expect([...small]).toEqual([...x]);
    expect(() => clipL2([1, Number.NaN], 1)).toThrow(DpParameterError);
    expect(() => clipL2([1], 0)).toThrow(DpParameterError);
  });

  it('the DDG bound: c + √d at β = 0, the smaller √ form for β > 0', () => {
    expect(roundedNormBound(100, 0, 10_000)).toBe(200);
    const b = roundedNormBound(100, Math.exp(-0.5), 10_000);
    expect(b).toBeCloseTo(Math.sqrt(100 ** 2 + 2500 + 1 * (100 + 50)), 12);
    expect(() => roundedNormBound(1, 1, 4)).toThrow(DpParameterError);
  });

  it('rounded values are neighbours of x/γ, unbiased, and within the norm bound', () => {
    const L = 4096;
    const x = clipL2(vector(L), 1);
    const gamma = 1 / 256;
    const bound = roundedNormBound(1 / gamma, Math.exp(-0.5), L);
    const rs = stream(5);
    const sum = new Float64Array(L);
    const R = 50;
    for (let r = 0; r < R; r++) {
      const { values } = conditionalRound(x, gamma, bound, rs);
      expect(norm(values)).toBeLessThanOrEqual(bound);
      let strangers = 0;
      for (let i = 0; i < L; i++) {
        const v = (x[i] as number) / gamma;
        if (values[i] !== Math.floor(v) && values[i] !== Math.ceil(v)) strangers++;
        sum[i] = (sum[i] as number) + (values[i] as number);
      }
      expect(strangers).toBe(0);
    }
    // Unbiased: the mean rounding error over coordinates and draws is ~0 (SE ≈ 0.5/√(L·R) ≈ 0.001).
    let err = 0;
    for (let i = 0; i < L; i++) err += (sum[i] as number) / R - (x[i] as number) / gamma;
    expect(Math.abs(err / L)).toBeLessThan(0.005);
  });

  it('redraws until the bound holds, and says so when it cannot', () => {
    const x = new Float64Array(64).fill(0.5);
    // ‖x‖ = 4; every rounding is a vector of 0s and 1s: a bound of 4 needs ≤ 16 ones of 64.
    const rs = stream(6);
    const { values, tries } = conditionalRound(x, 1, 4.5, rs, 10_000);
    expect(norm(values)).toBeLessThanOrEqual(4.5);
    expect(tries).toBeGreaterThan(1);
    expect(() => conditionalRound(x, 1, 1, rs, 5)).toThrow(/missed the norm bound/);
  });
});

describe('privatize and decodeSum', () => {
  it('a sum of privatized updates decodes to the sum of the clipped updates plus noise of the right size', () => {
    const L = 3000;
    const n = 5;
    const e = { clip: 1, gamma: 1 / 512, beta: Math.exp(-0.5), sigma2: rational(400n, 1n) };
    const d = paddedLength(L);
    const sum = new Int32Array(d);
    const truth = new Float64Array(L);
    for (let k = 0; k < n; k++) {
      const u = vector(L, k + 2);
      const c = clipL2(u, e.clip);
      for (let i = 0; i < L; i++) truth[i] = (truth[i] as number) + (c[i] as number);
      const { values } = privatize(u, e, seed(8), stream(20 + k));
      expect(values.length).toBe(d);
      for (let i = 0; i < d; i++) sum[i] = (sum[i] as number) + (values[i] as number);
    }
    const got = decodeSum(sum, e, seed(8), L);
    // The error is γ·(rounding + noise) rotated back: per coordinate sd ≈ γ·√(n·(σ² + 1/4)) ≈ 0.088.
    let se = 0;
    for (let i = 0; i < L; i++) se += ((got[i] as number) - (truth[i] as number)) ** 2;
    const rms = Math.sqrt(se / L);
    const expected = e.gamma * Math.sqrt(n * (400 + 0.25));
    expect(rms).toBeGreaterThan(expected * 0.8);
    expect(rms).toBeLessThan(expected * 1.2);
    expect(sensitivity(e, L)).toBeGreaterThan(512);
  });
});

describe('presampled noise', () => {
  it('privatize with noise drawn ahead equals rounding plus that noise, and checks its length', () => {
    const L = 1000;
    const e = { clip: 1, gamma: 1 / 64, beta: Math.exp(-0.5), sigma2: rational(100n, 1n) };
    const u = vector(L, 3);
    const noise = presampleNoise(e, L, stream(30));
    expect(noise.length).toBe(1024);
    // The same rounding words with and without the noise: the difference is exactly the noise.
    const withNoise = privatize(u, e, seed(1), stream(31), noise).values;
    const zero = privatize(u, e, seed(1), stream(31), new Int32Array(1024)).values;
    expect([...withNoise].map((v, i) => v - (zero[i] as number))).toEqual([...noise]);
    expect(() => privatize(u, e, seed(1), stream(31), new Int32Array(1000))).toThrow(DpParameterError);
  });
});

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

const SIGNS_SEED0 = [93, 195, 71, 45];
