/**
 * The fast exact vector sampler of N_Z(0, σ²) (docs/dp.md §2.2): inversion of the magnitude's
 * cumulative distribution F(k) = P(|Y| ≤ k), k = 0..B, against a uniform U ∈ [0, 1) whose bits
 * are read lazily. The table holds ⌊2^64·F(k)⌋ exactly (built with rigorous bigint interval
 * arithmetic, exact.ts); a 32-bit word of U decides the magnitude unless it equals a table
 * entry's top word, then a second word, then (probability ~B·2^−64) the bits of U and of F are
 * extended 64 at a time until they differ. |Y| > B (probability < 2^−70) goes to an exact tail
 * sampler. A sign bit follows for |Y| > 0. No floating point on the sampling path.
 */
import { checkSigma2 } from './cks.js';
import { DpParameterError } from './errors.js';
import { type Rational, bernoulliExp, expNegBounds, isqrt, mulBounds } from './exact.js';
import type { WordStream } from './random.js';

/** Largest table (entries B + 1) the sampler builds: σ up to ≈ 4·10^5. */
export const MAX_TABLE_BOUND = 1 << 22;

export interface GaussianTable {
  readonly sigma2: Rational;
  /** Largest magnitude in the table: B = ⌊10σ⌋ + 2 (so P(|Y| > B) < e^−50). */
  readonly bound: number;
  /** ⌊2^64·F(k)⌋ split in its top and bottom 32 bits. */
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** guide[h] = the least k with hi[k] ≥ h·2^(32−g) (h = 0..2^g). */
  readonly guide: Uint32Array;
  readonly guideShift: number;
}

/** B = ⌊√(100·p/q)⌋ + 2 ≥ 10σ + 1. */
export function tableBound(sigma2: Rational): number {
  const b = isqrt((100n * sigma2.num) / sigma2.den) + 2n;
  if (b > BigInt(MAX_TABLE_BOUND))
    throw new DpParameterError(
      `σ is too large for the table sampler (bound ${b} > ${MAX_TABLE_BOUND}); use a larger granularity`,
    );
  return Number(b);
}

/**
 * ⌊2^bits·F(k)⌋ for k = from..B, computed with P fractional bits of interval arithmetic, or
 * undefined if the intervals are too wide to decide a floor (the caller doubles P).
 * w(k) = exp(−k²q/(2p)) by w(k+1) = w(k)·r(k), r(k) = exp(−(2k+1)q/(2p)), r(k+1) = r(k)·exp(−q/p);
 * the mass beyond B is summed term by term until the rest, at most 2w(k)·r(k)/(1 − r(k)), is
 * below 2^−(bits+24), and the normalizer Z = S(B) + tail is bounded on both sides.
 */
export function cdfFloors(sigma2: Rational, B: number, bits: number, P: number, from = 0): bigint[] | undefined {
  const { num: p, den: q } = sigma2;
  const one = 1n << BigInt(P);
  const [alo, ahi] = expNegBounds(q, 2n * p, P);
  const [blo, bhi] = expNegBounds(q, p, P);
  const slo: bigint[] = new Array<bigint>(B + 1);
  const shi: bigint[] = new Array<bigint>(B + 1);
  let [wlo, whi] = [one, one];
  let [rlo, rhi] = [alo, ahi];
  slo[0] = one;
  shi[0] = one;
  let tlo = 0n;
  let thi = 0n;
  const small = 1n << BigInt(Math.max(0, P - bits - 24));
  for (let k = 1; ; k++) {
    [wlo, whi] = mulBounds(wlo, whi, rlo, rhi, P);
    [rlo, rhi] = mulBounds(rlo, rhi, blo, bhi, P);
    if (k <= B) {
      slo[k] = (slo[k - 1] as bigint) + 2n * wlo;
      shi[k] = (shi[k - 1] as bigint) + 2n * whi;
      continue;
    }
    // Beyond B: the tail's terms, until the rest, Σ_{j>k} 2w(j) ≤ 2w(k)·r(k)/(1 − r(k)), is negligible.
    tlo += 2n * wlo;
    thi += 2n * whi;
    if (rhi >= one) return undefined;
    const rest = (2n * whi * rhi + (one - rhi) - 1n) / (one - rhi);
    if (rest < small) {
      thi += rest;
      break;
    }
  }
  const zlo = (slo[B] as bigint) + tlo;
  const zhi = (shi[B] as bigint) + thi;
  const out: bigint[] = [];
  const sh = BigInt(bits);
  for (let k = from; k <= B; k++) {
    const f1 = ((slo[k] as bigint) << sh) / zhi;
    const f2 = ((shi[k] as bigint) << sh) / zlo;
    if (f1 !== f2) return undefined;
    out.push(f1);
  }
  return out;
}

/** A floor of a transcendental F(k) is decided at some finite precision; 2^16 bits is a guard, never reached. */
function checkPrecision(P: number): number {
  if (P > 65536) throw new DpParameterError('the exact CDF did not resolve at 2^16 bits of precision');
  return P;
}

const tables = new Map<string, GaussianTable>();

/** The table of σ² (built once per σ², then cached; ~0.1 s per 10^4 entries). */
export function gaussianTable(sigma2: Rational): GaussianTable {
  checkSigma2(sigma2);
  const key = `${sigma2.num}/${sigma2.den}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const B = tableBound(sigma2);
  let floors: bigint[] | undefined;
  for (let P = 128; !floors; P *= 2) floors = cdfFloors(sigma2, B, 64, checkPrecision(P));
  const hi = new Uint32Array(B + 1);
  const lo = new Uint32Array(B + 1);
  floors.forEach((f, k) => {
    hi[k] = Number(f >> 32n);
    lo[k] = Number(f & 0xffffffffn);
  });
  let g = 4;
  while (g < 16 && 2 ** g < 4 * (B + 1)) g++;
  const guideShift = 32 - g;
  const guide = new Uint32Array(2 ** g + 1);
  let k = 0;
  for (let h = 0; h <= 2 ** g; h++) {
    const v = h * 2 ** guideShift;
    while (k <= B && (hi[k] as number) < v) k++;
    guide[h] = k;
  }
  const t: GaussianTable = { sigma2, bound: B, hi, lo, guide, guideShift };
  tables.set(key, t);
  return t;
}

/**
 * Fills `out` with independent N_Z(0, σ²) values read from `rs` (docs/dp.md §2.2), or adds them
 * to its values when `add` is true.
 */
export function sampleInto(t: GaussianTable, rs: WordStream, out: Int32Array, add = false): Int32Array {
  const { hi, guide, guideShift, bound: B } = t;
  let signs = 0;
  let signBits = 0;
  for (let i = 0; i < out.length; i++) {
    const u = rs.next();
    // The least k with hi[k] ≥ u, in [guide[h], guide[h + 1]].
    const h = u >>> guideShift;
    let a = guide[h] as number;
    let b = guide[h + 1] as number;
    while (a < b) {
      const m = (a + b) >>> 1;
      if ((hi[m] as number) < u) a = m + 1;
      else b = m;
    }
    let k = a;
    if (k > B || hi[k] === u) k = resolve(t, rs, u, k);
    if (k === 0) {
      if (!add) out[i] = 0;
      continue;
    }
    if (signBits === 0) {
      signs = rs.next();
      signBits = 32;
    }
    // −k when the sign bit is 1, k when 0, without a branch: (k XOR −b) + b.
    const bit = signs & 1;
    out[i] = (add ? (out[i] as number) : 0) + ((k ^ -bit) + bit);
    signs >>>= 1;
    signBits--;
  }
  return out;
}

/** N values of N_Z(0, σ²). */
export function sampleGaussianVector(sigma2: Rational, rs: WordStream, n: number): Int32Array {
  return sampleInto(gaussianTable(sigma2), rs, new Int32Array(n));
}

/** The magnitude when the first word u ties with hi[k] (or exceeds every entry): a second word. */
function resolve(t: GaussianTable, rs: WordStream, u: number, k: number): number {
  const { hi, lo, bound: B } = t;
  const v = rs.next();
  let j = k;
  while (j <= B && hi[j] === u && (lo[j] as number) < v) j++;
  if (j > B) return tail(t, rs);
  if (hi[j] !== u || lo[j] !== v) return j;
  return extend(t, rs, (BigInt(u) << 32n) | BigInt(v), j);
}

/**
 * U's first 64 bits equal ⌊2^64·F(j)⌋ and every earlier F is below U: read 64 more bits of U
 * and compute F to that precision, until U's prefix differs from F(m)'s at the least m not below it.
 */
function extend(t: GaussianTable, rs: WordStream, prefix: bigint, j: number): number {
  let bits = 64;
  for (;;) {
    prefix = (prefix << 64n) | (BigInt(rs.next()) << 32n) | BigInt(rs.next());
    bits += 64;
    let floors: bigint[] | undefined;
    for (let P = bits + 64; !floors; P *= 2) floors = cdfFloors(t.sigma2, t.bound, bits, checkPrecision(P), j);
    let m = 0;
    while (m < floors.length && (floors[m] as bigint) < prefix) m++;
    if (m === floors.length) return tail(t, rs);
    if (floors[m] !== prefix) return j + m;
    j += m;
  }
}

/**
 * |Y| conditioned on |Y| > B, exactly: g ~ Geometric(ρ), ρ = exp(−(2B+3)/(2σ²)), accepted with
 * probability exp(−g(g−1)/(2σ²)); then |Y| = B + 1 + g (docs/dp.md §2.2).
 */
function tail(t: GaussianTable, rs: WordStream): number {
  const { num: p, den: q } = t.sigma2;
  const B = BigInt(t.bound);
  for (;;) {
    let g = 0n;
    while (bernoulliExp(rs, (2n * B + 3n) * q, 2n * p)) g++;
    if (g > 0n && !bernoulliExp(rs, g * (g - 1n) * q, 2n * p)) continue;
    const m = B + 1n + g;
    if (m > 0x7fffffffn) throw new DpParameterError('a tail sample does not fit in 31 bits');
    return Number(m);
  }
}
