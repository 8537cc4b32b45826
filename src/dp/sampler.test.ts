import { describe, expect, it } from 'vitest';
import { checkSigma2, sampleCks } from './cks.js';
import { DpParameterError } from './errors.js';
import { expNegBounds, rational } from './exact.js';
import { WordStream, chachaSource, fixedSource } from './random.js';
import { gaussianTable, sampleGaussianVector, sampleInto } from './table.js';

/** pmf of N_Z(0, σ²) in doubles (test oracle only). */
function pmf(sigma: number): (y: number) => number {
  const B = Math.ceil(40 * sigma) + 10;
  let z = 0;
  for (let y = -B; y <= B; y++) z += Math.exp((-y * y) / (2 * sigma * sigma));
  return (y) => Math.exp((-y * y) / (2 * sigma * sigma)) / z;
}

/** Pearson's χ² of the samples against the pmf, cells merged until each expects ≥ 20. */
function chiSquare(samples: ArrayLike<number>, sigma: number): { stat: number; df: number } {
  const p = pmf(sigma);
  const n = samples.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(samples[i] as number, (counts.get(samples[i] as number) ?? 0) + 1);
  const R = Math.ceil(12 * sigma) + 5;
  // Cells: (−∞, y0], then [y, y'] runs each expecting ≥ 20, up to [.., +∞).
  let stat = 0;
  let cells = 0;
  let obs = 0;
  let exp = 0;
  let below = 0;
  for (let y = -R; y <= R; y++) below += p(y);
  // Mass outside [−R, R] is counted in the last cell.
  for (let y = -R; y <= R; y++) {
    obs += counts.get(y) ?? 0;
    exp += n * p(y);
    if (exp >= 20 && y < R) {
      stat += (obs - exp) ** 2 / exp;
      cells++;
      obs = 0;
      exp = 0;
    }
  }
  let outside = 0;
  for (const [y, c] of counts) if (Math.abs(y) > R) outside += c;
  obs += outside;
  exp += n * (1 - below);
  stat += (obs - exp) ** 2 / exp;
  cells++;
  return { stat, df: cells - 1 };
}

/** Wilson–Hilferty: the χ² quantile at one-sided normal quantile z. */
function chiCritical(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** A word stream that replays these 32-bit words (little-endian bytes), then runs out. */
function words(ws: number[]): WordStream {
  const b = new Uint8Array(ws.length * 4);
  const dv = new DataView(b.buffer);
  ws.forEach((w, i) => dv.setUint32(4 * i, w >>> 0, true));
  return new WordStream(fixedSource(b), 1);
}

const seeded = (byte: number): WordStream => new WordStream(chachaSource(new Uint8Array(32).fill(byte)));

describe('exp(−x) bounds', () => {
  it('bracket exp(−x) within a few units at P bits', () => {
    for (const [a, b] of [
      [0n, 1n],
      [1n, 1n],
      [37n, 7n],
      [1n, 2000000n],
      [123456789n, 1000n],
    ] as const) {
      const [lo, hi] = expNegBounds(a, b, 80);
      const x = Number(a) / Number(b);
      expect(hi - lo).toBeLessThan(200n);
      expect(Number(lo) / 2 ** 80).toBeLessThanOrEqual(Math.exp(-x) * (1 + 1e-15) + 1e-300);
      expect(Number(hi) / 2 ** 80).toBeGreaterThanOrEqual(Math.exp(-x) * (1 - 1e-15));
    }
  });
});

describe('the table sampler (docs/dp.md §2.2)', () => {
  it.each([1, 3, 100])('χ² at σ = %d accepts the right σ and rejects σ·1.05', (sigma) => {
    const n = 60_000;
    const x = sampleGaussianVector(rational(BigInt(sigma * sigma), 1n), seeded(sigma), n);
    const right = chiSquare(x, sigma);
    expect(right.stat).toBeLessThan(chiCritical(right.df, 3.72)); // p ≈ 10^-4
    const wrongUp = chiSquare(x, sigma * 1.05);
    const wrongDown = chiSquare(x, sigma / 1.05);
    expect(wrongUp.stat).toBeGreaterThan(chiCritical(wrongUp.df, 3.72));
    expect(wrongDown.stat).toBeGreaterThan(chiCritical(wrongDown.df, 3.72));
  });

  it('mean 0 and variance σ² (σ² = 2.5, 10^5 samples)', () => {
    const n = 100_000;
    const x = sampleGaussianVector(rational(5n, 2n), seeded(7), n);
    let m = 0;
    let v = 0;
    for (const y of x) {
      m += y;
      v += y * y;
    }
    // Var(Y) of N_Z(0, σ²) is below σ² by < 10^-100 here; SE of the mean 0.005, of the variance 0.011.
    expect(Math.abs(m / n)).toBeLessThan(0.025);
    expect(Math.abs(v / n - 2.5)).toBeLessThan(0.06);
  });

  it('the table holds ⌊2^64·F(k)⌋: F(0) = 1/Z at σ = 1', () => {
    const t = gaussianTable(rational(1n, 1n));
    const p0 = pmf(1)(0);
    const f0 = (t.hi[0] as number) / 2 ** 32;
    expect(Math.abs(f0 - p0)).toBeLessThan(1e-9);
    expect(t.bound).toBe(12);
    for (let k = 1; k <= t.bound; k++) expect(t.hi[k]).toBeGreaterThanOrEqual(t.hi[k - 1] as number);
  });

  it('known answers for fixed words: inversion of U, then a sign bit', () => {
    const t = gaussianTable(rational(1n, 1n));
    // U = 0 → |Y| = 0 (no sign bit read); U just above F(0) → 1 with sign bit 0 → +1; with sign 1 → −1.
    expect([...sampleInto(t, words([0]), new Int32Array(1))]).toEqual([0]);
    const above0 = (t.hi[0] as number) + 1;
    expect([...sampleInto(t, words([above0, 0]), new Int32Array(1))]).toEqual([1]);
    expect([...sampleInto(t, words([above0, 1]), new Int32Array(1))]).toEqual([-1]);
    // U just above F(2): |Y| = 3; the second sample reuses the sign word's next bit.
    const above2 = (t.hi[2] as number) + 1;
    expect([...sampleInto(t, words([above2, 0b10, above0]), new Int32Array(2))]).toEqual([3, -1]);
    // A tie on the top word is decided by the second word against lo[k].
    const k = 1;
    const tie = words([t.hi[k] as number, (t.lo[k] as number) + 1, 0]);
    expect(sampleInto(t, tie, new Int32Array(1))[0]).toBe(2);
  });

  it('a tie on all 64 bits reads 64 more bits of U and compares them with F at 128 bits', () => {
    const t = gaussianTable(rational(1n, 1n));
    const k = 1;
    const u = [t.hi[k] as number, t.lo[k] as number];
    // U's next 64 bits all zero: U ≤ F(1) (F(1)'s bits beyond 64 are not all zero) → |Y| = 1;
    // all ones: U > F(1) → |Y| = 2. Then a sign word of 0 → positive.
    expect(sampleInto(t, words([...u, 0, 0, 0]), new Int32Array(1))[0]).toBe(1);
    expect(sampleInto(t, words([...u, 0xffffffff, 0xffffffff, 0]), new Int32Array(1))[0]).toBe(2);
  });

  it('U above F(B) goes to the exact tail: |Y| > B', () => {
    const t = gaussianTable(rational(1n, 1n));
    // 128 one-bits exceed ⌊2^128·F(k)⌋ for every k ≤ B = 12; the tail then draws from ChaCha20.
    const head = new Uint8Array(16).fill(0xff);
    const rest = chachaSource(new Uint8Array(32).fill(9));
    let used = 0;
    const source = {
      fill(out: Uint8Array<ArrayBuffer>): void {
        const n = Math.min(out.length, head.length - used);
        out.set(head.subarray(used, used + n));
        used += n;
        if (n < out.length) rest.fill(out.subarray(n));
      },
    };
    const y = sampleInto(t, new WordStream(source, 4), new Int32Array(1))[0] as number;
    expect(Math.abs(y)).toBeGreaterThan(t.bound);
    expect(Math.abs(y)).toBeLessThan(t.bound + 10);
  });

  it('known answers for a ChaCha20 seed (regression of the whole path)', () => {
    const x = sampleGaussianVector(rational(10000n, 1n), seeded(1), 8);
    expect([...x]).toEqual(KAT_TABLE_SIGMA100);
  });
});

describe('the CKS reference sampler (docs/dp.md §2.1)', () => {
  it.each([1, 3, 100])('χ² at σ = %d (20,000 samples) accepts σ and rejects σ·1.05', (sigma) => {
    const n = 20_000;
    const rs = seeded(100 + sigma);
    const s2 = rational(BigInt(sigma * sigma), 1n);
    const x = Int32Array.from({ length: n }, () => Number(sampleCks(rs, s2)));
    const right = chiSquare(x, sigma);
    expect(right.stat).toBeLessThan(chiCritical(right.df, 3.72));
    const wrong = chiSquare(x, sigma * 1.05);
    expect(wrong.stat).toBeGreaterThan(chiCritical(wrong.df, 3.09));
  });

  it('known answers for a ChaCha20 seed', () => {
    const rs = seeded(2);
    const x = Array.from({ length: 8 }, () => Number(sampleCks(rs, rational(9n, 4n))));
    expect(x).toEqual(KAT_CKS_SIGMA15);
  });

  it('refuses σ² ≤ 0', () => {
    expect(() => checkSigma2({ num: 0n, den: 1n })).toThrow(DpParameterError);
    expect(() => rational(1n, 0n)).toThrow(DpParameterError);
  });
});

const KAT_TABLE_SIGMA100 = [16, -14, 95, -128, -108, -115, 28, 71];
const KAT_CKS_SIGMA15 = [-2, -1, 1, 3, -2, 0, 0, -1];
