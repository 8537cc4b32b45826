/**
 * Packed Shamir secret sharing over F_q1 and F_q2, separately (docs/protocol.md §11).
 *
 * A scheme (m, t, ρ) packs ρ secrets into one polynomial f of degree ≤ t − 1: f(−i) is the
 * i-th secret for i = 1..ρ, f(−i) for i = ρ+1..t is uniform randomness, and member j
 * (1 ≤ j ≤ m) receives f(j). Any t shares determine f; any t − ρ shares reveal nothing about
 * the secrets. The secret vector (N residues per prime) is cut into P = ⌈N/ρ⌉ polynomials,
 * zero-padded; a member's slice is P values mod q1 followed by P values mod q2.
 *
 * Sharing is linear, so a member's sum of slices is a share of the sum of the secrets.
 */
import { engine } from './engine.js';
import { InconsistentSharesError, MalformedInputError, ParameterError, ThresholdError } from './errors.js';
import { PRIMES, batchInvert, mulMod, reduce, subMod } from './field.js';
import type { Residues } from './mask.js';
import { N } from './ntt.js';

export interface SharingScheme {
  /** Committee size: members are evaluation points 1..m. */
  readonly m: number;
  /** Reconstruction threshold t_rec: polynomials have degree t − 1. */
  readonly tRec: number;
  /** Packing factor ρ: secrets per polynomial. */
  readonly rho: number;
}

/** Validates 1 ≤ ρ ≤ t − 1, t ≤ m, m ≥ 2, all integers. */
export function validateScheme(s: SharingScheme): void {
  const { m, tRec, rho } = s;
  if (![m, tRec, rho].every(Number.isSafeInteger))
    throw new ParameterError(`committee settings must be integers (m=${m}, t_rec=${tRec}, ρ=${rho})`);
  if (m < 2 || m > 4096) throw new ParameterError(`committee size m=${m} must be between 2 and 4096`);
  if (tRec > m) throw new ParameterError(`t_rec=${tRec} exceeds the committee size m=${m}`);
  if (rho < 1 || rho > tRec - 1) throw new ParameterError(`ρ=${rho} must satisfy 1 ≤ ρ ≤ t_rec − 1 = ${tRec - 1}`);
}

/** Number of polynomials per prime, P = ⌈N/ρ⌉. */
export function polyCount(s: SharingScheme): number {
  return Math.ceil(N / s.rho);
}

/** Length in residues of one member's slice (P per prime). */
export function sliceLength(s: SharingScheme): number {
  return 2 * polyCount(s);
}

/** Number of random residues per prime the sharing consumes: (t − ρ)·P. */
export function randomnessLength(s: SharingScheme): number {
  return (s.tRec - s.rho) * polyCount(s);
}

/**
 * The Lagrange matrix M (targets × nodes) with M[a][b] = L_b(target_a) for the basis
 * polynomials of `nodes`, over F_q. All field inverses are done by one batch inversion.
 */
export function lagrangeMatrix(nodes: readonly number[], targets: readonly number[], q: number): Float64Array {
  const t = nodes.length;
  const X = nodes.map((x) => reduce(x, q));
  const Z = targets.map((z) => reduce(z, q));
  // den_b = Π_{l≠b} (X_b − X_l); denominators[a·t + b] = (Z_a − X_b)·den_b.
  const den = X.map((xb, b) => X.reduce((acc, xl, l) => (l === b ? acc : mulMod(acc, subMod(xb, xl, q), q)), 1));
  const denominators = new Float64Array(Z.length * t);
  const numerators = new Float64Array(Z.length);
  Z.forEach((z, a) => {
    let num = 1;
    X.forEach((xb, b) => {
      const d = subMod(z, xb, q);
      if (d === 0) throw new MalformedInputError(`evaluation point ${targets[a]} is also a node`);
      num = mulMod(num, d, q);
      denominators[a * t + b] = mulMod(d, den[b] as number, q);
    });
    numerators[a] = num;
  });
  const inv = batchInvert(denominators, q);
  for (let a = 0; a < Z.length; a++) {
    for (let b = 0; b < t; b++) inv[a * t + b] = mulMod(numerators[a] as number, inv[a * t + b] as number, q);
  }
  return inv;
}

const shareMatrixCache = new Map<string, Float64Array[]>();

/** Per prime, the m × t matrix from the values at −1..−t to the shares at 1..m. */
function shareMatrices(s: SharingScheme): Float64Array[] {
  const key = `${s.m}/${s.tRec}`;
  let mats = shareMatrixCache.get(key);
  if (!mats) {
    const nodes = Array.from({ length: s.tRec }, (_, i) => -(i + 1));
    const targets = Array.from({ length: s.m }, (_, j) => j + 1);
    mats = PRIMES.map((q) => lagrangeMatrix(nodes, targets, q));
    shareMatrixCache.set(key, mats);
  }
  return mats;
}

/**
 * Shares the secret (N residues per prime) into m slices. `randomness[k]` holds the
 * (t − ρ)·P uniform residues mod q_k that fill the non-secret points.
 */
export function share(secret: Residues, randomness: Residues, s: SharingScheme): Uint32Array[] {
  validateScheme(s);
  const P = polyCount(s);
  const { m, tRec: t, rho } = s;
  const rnd = t - rho;
  for (const k of [0, 1] as const) {
    if (secret[k].length !== N) throw new MalformedInputError(`secret must have ${N} residues per prime`);
    if (randomness[k].length !== rnd * P)
      throw new MalformedInputError(`sharing randomness must have ${rnd * P} residues per prime`);
  }
  const mats = shareMatrices(s);
  const slices = Array.from({ length: m }, () => new Uint32Array(2 * P));
  // values[p·t + i] = f_p(−(i+1)): ρ secrets (zero padded), then t − ρ random residues
  const values = new Uint32Array(P * t);
  for (const k of [0, 1] as const) {
    const sec = secret[k];
    const r = randomness[k];
    for (let p = 0; p < P; p++) {
      for (let i = 0; i < rho; i++) {
        const idx = p * rho + i;
        values[p * t + i] = idx < N ? (sec[idx] as number) : 0;
      }
      for (let i = rho; i < t; i++) values[p * t + i] = r[p * rnd + (i - rho)] as number;
    }
    // the shares f_p(j) = Σ_i L_i(j)·f_p(−(i+1)), by the engine (docs/protocol.md §6.1)
    const ev = engine().evalShares(k, mats[k] as Float64Array, values, m, t, P);
    for (let j = 0; j < m; j++) (slices[j] as Uint32Array).set(ev.subarray(j * P, (j + 1) * P), k * P);
  }
  return slices;
}

/** One member's (summed) share: its evaluation point and slice. */
export interface IndexedShare {
  readonly index: number;
  readonly values: Uint32Array;
}

export function checkShares(shares: readonly IndexedShare[], s: SharingScheme): void {
  const seen = new Set<number>();
  const len = sliceLength(s);
  for (const sh of shares) {
    if (!Number.isSafeInteger(sh.index) || sh.index < 1 || sh.index > s.m)
      throw new MalformedInputError(`member index ${sh.index} outside 1..${s.m}`);
    if (seen.has(sh.index)) throw new MalformedInputError(`member index ${sh.index} given twice`);
    seen.add(sh.index);
    if (sh.values.length !== len)
      throw new MalformedInputError(`share of member ${sh.index} has ${sh.values.length} residues, expected ${len}`);
    if (!residuesInRange(sh.values))
      throw new MalformedInputError(`share of member ${sh.index} has a residue out of range`);
  }
}

/**
 * Reconstructs the N secrets per prime from the first t shares; any further shares are
 * checked against the same polynomials, and the zero padding must decode to zero, so a
 * member answering garbage is detected instead of corrupting the result.
 */
export function reconstruct(shares: readonly IndexedShare[], s: SharingScheme): Residues {
  validateScheme(s);
  checkShares(shares, s);
  const { tRec: t, rho } = s;
  if (shares.length < t) throw new ThresholdError(shares.length, t);
  const P = polyCount(s);
  const used = shares.slice(0, t);
  const extra = shares.slice(t);
  const nodes = used.map((sh) => sh.index);
  const secretTargets = Array.from({ length: rho }, (_, i) => -(i + 1));
  const out: Residues = [new Uint32Array(N), new Uint32Array(N)];
  const bad = new Set<number>();
  for (const k of [0, 1] as const) {
    const q = PRIMES[k];
    const mu = lagrangeMatrix(nodes, secretTargets, q);
    const check = extra.length
      ? lagrangeMatrix(
          nodes,
          extra.map((e) => e.index),
          q,
        )
      : undefined;
    for (let p = 0; p < P; p++) {
      const off = k * P + p;
      for (let i = 0; i < rho; i++) {
        let acc = 0;
        for (let j = 0; j < t; j++)
          acc += mulMod(mu[i * t + j] as number, (used[j] as IndexedShare).values[off] as number, q);
        const v = acc % q;
        const idx = p * rho + i;
        if (idx < N) out[k][idx] = v;
        else if (v !== 0) nodes.forEach((n) => bad.add(n));
      }
      if (check) {
        extra.forEach((e, a) => {
          let acc = 0;
          for (let j = 0; j < t; j++)
            acc += mulMod(check[a * t + j] as number, (used[j] as IndexedShare).values[off] as number, q);
          if (acc % q !== e.values[off]) bad.add(e.index);
        });
      }
    }
  }
  if (bad.size) throw new InconsistentSharesError([...bad].sort((a, b) => a - b));
  return out;
}

/** True if the first half of `v` is reduced mod q1 and the second mod q2 (the slice layout). */
export function residuesInRange(v: Uint32Array): boolean {
  const P = v.length / 2;
  for (let i = 0; i < v.length; i++) if ((v[i] as number) >= (PRIMES[i < P ? 0 : 1] as number)) return false;
  return true;
}

/** Adds slice `v` into `acc` (mod q1 for the first half, q2 for the second). */
export function addSliceInto(acc: Uint32Array, v: Uint32Array): void {
  const P = acc.length / 2;
  for (let i = 0; i < acc.length; i++) {
    const q = PRIMES[i < P ? 0 : 1] as number;
    const x = (acc[i] as number) + (v[i] as number);
    acc[i] = x >= q ? x - q : x;
  }
}
