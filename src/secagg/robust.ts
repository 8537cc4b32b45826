/**
 * Robust unmasking: Reed–Solomon decoding of the committee's packed-Shamir answers
 * (docs/protocol.md §14.1).
 *
 * Every member's answer is, per prime q_k and per polynomial p, the value f_{k,p}(j) of a
 * polynomial of degree < t_rec. With n answers, a wrong answer is *detected* as soon as
 * n ≥ t_rec + 1 and up to e = ⌊(n − t_rec)/2⌋ wrong answers are *corrected*, the faulty
 * members named.
 *
 * Locating errors on all P polynomials would cost P Berlekamp–Welch solves. A member's
 * error vector E_j is instead folded into one value per prime with fresh random weights c_p:
 * g_k(j) = Σ_p c_p·f_{k,p}(j) is again a polynomial of degree < t_rec, and Σ_p c_p·E_{j,p} = 0
 * for a non-zero E_j with probability 1/q_k ≈ 2^-26, over randomness the members cannot see.
 * Berlekamp–Welch on the folded values names the faulty members; the secrets are then
 * reconstructed from the others with the full cross-check of every value and the zero
 * padding ({@link reconstruct}), so a member the fold missed is still detected, never used.
 */
import { InconsistentSharesError, ThresholdError } from './errors.js';
import { PRIMES, invMod, mulMod, reduce, subMod } from './field.js';
import type { Residues } from './mask.js';
import {
  type IndexedShare,
  type SharingScheme,
  checkShares,
  lagrangeMatrix,
  polyCount,
  reconstruct,
  validateScheme,
} from './shamir.js';

export interface RobustResult {
  /** Σs: N residues per prime. */
  readonly secrets: Residues;
  /** Members whose answers were wrong, ascending (empty when all agreed). */
  readonly faulty: readonly number[];
  /** Members whose answers were used or cross-checked, ascending. */
  readonly used: readonly number[];
  /** True when at least one answer beyond t_rec checked the others (n > t_rec). */
  readonly checked: boolean;
}

/** Uniform random residues below q; injectable for tests. */
export type FoldRandom = (count: number, q: number) => Float64Array;

/** Fresh weights from the platform CSPRNG (rejection sampling below q < 2^26). */
export const cryptoFoldRandom: FoldRandom = (count, q) => {
  const out = new Float64Array(count);
  const buf = new Uint32Array(count);
  let filled = 0;
  while (filled < count) {
    crypto.getRandomValues(buf);
    for (let i = 0; i < buf.length && filled < count; i++) {
      const v = (buf[i] as number) >>> 6; // 26 bits
      if (v < q) out[filled++] = v;
    }
  }
  return out;
};

/** Largest number of wrong answers that n answers can correct: ⌊(n − t_rec)/2⌋. */
export function correctable(n: number, tRec: number): number {
  return Math.max(0, Math.floor((n - tRec) / 2));
}

/**
 * Reconstructs Σs from the answers, correcting up to {@link correctable} wrong ones.
 * Throws ThresholdError with fewer than t_rec answers (or fewer than t_rec left once the faulty
 * are set aside), and InconsistentSharesError when the answers are wrong in a way that cannot
 * be corrected (more than ⌊(n − t_rec)/2⌋ faulty members).
 */
export function robustReconstruct(
  shares: readonly IndexedShare[],
  s: SharingScheme,
  random: FoldRandom = cryptoFoldRandom,
): RobustResult {
  validateScheme(s);
  checkShares(shares, s);
  const n = shares.length;
  if (n < s.tRec) throw new ThresholdError(n, s.tRec);
  const sorted = [...shares].sort((a, b) => a.index - b.index);
  const xs = sorted.map((sh) => sh.index);
  const P = polyCount(s);
  const faulty = new Set<number>();
  if (n > s.tRec) {
    for (const k of [0, 1] as const) {
      const q = PRIMES[k];
      const c = random(P, q);
      const ys = sorted.map((sh) => fold(sh.values, k * P, P, c, q));
      const bad = locateErrors(xs, ys, s.tRec, correctable(n, s.tRec), q);
      if (bad === undefined) {
        throw new InconsistentSharesError(
          xs,
          `more than ${correctable(n, s.tRec)} of ${n} answers are wrong: cannot correct`,
        );
      }
      for (const j of bad) faulty.add(j);
    }
  }
  const good = sorted.filter((sh) => !faulty.has(sh.index));
  if (good.length < s.tRec)
    throw new ThresholdError(good.length, s.tRec, `members ${[...faulty].join(', ')} answered wrongly`);
  const secrets = reconstruct(good, s);
  return {
    secrets,
    faulty: [...faulty].sort((a, b) => a - b),
    used: good.map((sh) => sh.index),
    checked: good.length > s.tRec,
  };
}

/** Σ_p c_p·v[off + p] mod q. */
function fold(v: Uint32Array, off: number, P: number, c: Float64Array, q: number): number {
  let acc = 0;
  for (let p = 0; p < P; p++) {
    acc += mulMod(c[p] as number, v[off + p] as number, q); // < P·q < 2^38: exact
  }
  return acc % q;
}

/**
 * The points at which `ys` disagree with the unique polynomial of degree < t that agrees with
 * all but at most `eMax` of them (Berlekamp–Welch, trying e = 0, 1, …, eMax: the first e that
 * decodes finds the true polynomial, because any two decodings agree on ≥ n − 2·eMax ≥ t
 * points). Undefined when no such polynomial exists.
 */
export function locateErrors(
  xs: readonly number[],
  ys: readonly number[],
  t: number,
  eMax: number,
  q: number,
): number[] | undefined {
  if (consistent(xs, ys, t, q)) return [];
  for (let e = 1; e <= eMax; e++) {
    const poly = berlekampWelch(xs, ys, t, e, q);
    if (!poly) continue;
    const bad = xs.filter((x, i) => evalPoly(poly, x, q) !== ys[i]);
    if (bad.length <= e) return bad;
  }
  return undefined;
}

/** True when all points lie on the polynomial through the first t (O((n − t)·t), the common case). */
function consistent(xs: readonly number[], ys: readonly number[], t: number, q: number): boolean {
  const extra = xs.slice(t);
  if (extra.length === 0) return true;
  const M = lagrangeMatrix(xs.slice(0, t), extra, q);
  return extra.every((_, a) => {
    let acc = 0;
    for (let b = 0; b < t; b++) acc += mulMod(M[a * t + b] as number, ys[b] as number, q);
    return acc % q === ys[t + a];
  });
}

/**
 * Solves Q(x_i) = y_i·E(x_i) for Q of degree < t + e and E monic of degree e, and returns
 * Q / E when E divides Q (undefined otherwise or when the system has no solution).
 */
function berlekampWelch(
  xs: readonly number[],
  ys: readonly number[],
  t: number,
  e: number,
  q: number,
): number[] | undefined {
  const n = xs.length;
  const cols = t + 2 * e; // Q: t + e coefficients, E: e non-leading coefficients
  if (n < cols) return undefined;
  // Row i: [x^0..x^(t+e−1) | −y·x^0..−y·x^(e−1) | y·x^e]
  const rows: Float64Array[] = xs.map((x0, i) => {
    const x = reduce(x0, q);
    const y = ys[i] as number;
    const row = new Float64Array(cols + 1);
    let pw = 1;
    for (let a = 0; a < t + e; a++) {
      row[a] = pw;
      if (a < e) row[t + e + a] = subMod(0, mulMod(y, pw, q), q);
      if (a === e) row[cols] = mulMod(y, pw, q);
      pw = mulMod(pw, x, q);
    }
    return row;
  });
  const sol = solve(rows, cols, q);
  if (!sol) return undefined;
  const Qc = Array.from(sol.subarray(0, t + e));
  const Ec = [...Array.from(sol.subarray(t + e, cols)), 1];
  return divideExact(Qc, Ec, q, t);
}

/** Gaussian elimination mod q; any solution of the (possibly underdetermined) system, or undefined. */
function solve(rows: Float64Array[], cols: number, q: number): Float64Array | undefined {
  const m = rows.length;
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < cols && r < m; c++) {
    let p = r;
    while (p < m && (rows[p] as Float64Array)[c] === 0) p++;
    if (p === m) continue;
    [rows[r], rows[p]] = [rows[p] as Float64Array, rows[r] as Float64Array];
    const pr = rows[r] as Float64Array;
    const inv = invMod(pr[c] as number, q);
    for (let j = c; j <= cols; j++) pr[j] = mulMod(pr[j] as number, inv, q);
    for (let i = 0; i < m; i++) {
      if (i === r) continue;
      const row = rows[i] as Float64Array;
      const f = row[c] as number;
      if (f === 0) continue;
      for (let j = c; j <= cols; j++) row[j] = subMod(row[j] as number, mulMod(f, pr[j] as number, q), q);
    }
    pivots.push(c);
    r++;
  }
  // Inconsistent: a zero row with a non-zero right-hand side.
  for (let i = r; i < m; i++) if ((rows[i] as Float64Array)[cols] !== 0) return undefined;
  const x = new Float64Array(cols); // free variables = 0
  pivots.forEach((c, i) => (x[c] = (rows[i] as Float64Array)[cols] as number));
  return x;
}

/** Q / E (coefficients low to high) if the division is exact and the quotient has degree < t. */
function divideExact(Qc: number[], Ec: number[], q: number, t: number): number[] | undefined {
  const rem = [...Qc];
  const dE = Ec.length - 1; // E is monic
  const out = new Array<number>(Math.max(0, rem.length - dE)).fill(0);
  for (let i = rem.length - 1; i >= dE; i--) {
    const coef = rem[i] as number;
    out[i - dE] = coef;
    if (coef === 0) continue;
    for (let j = 0; j <= dE; j++)
      rem[i - dE + j] = subMod(rem[i - dE + j] as number, mulMod(coef, Ec[j] as number, q), q);
  }
  for (let i = 0; i < dE; i++) if (rem[i] !== 0) return undefined;
  for (let i = t; i < out.length; i++) if (out[i] !== 0) return undefined;
  return out.slice(0, t);
}

function evalPoly(c: readonly number[], x0: number, q: number): number {
  const x = reduce(x0, q);
  let acc = 0;
  for (let i = c.length - 1; i >= 0; i--) acc = (mulMod(acc, x, q) + (c[i] as number)) % q;
  return acc;
}
