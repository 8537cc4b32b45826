/**
 * Committee sizing (docs/protocol.md §15). The committee is a uniform sample of m out of the
 * V volunteers of n participants (V = n unless given); the numbers of corrupt and of dropping
 * members in it are hypergeometric, the corrupt ones counted in the worst case that every
 * corrupt participant volunteered. c_max and d_max are the smallest bounds whose tails are
 * ≤ 2^-σ (σ = 40 by default), and
 *   t_rec = m − d_max,   ρ = t_rec − c_max  (must be ≥ 1).
 * Small federations cannot reach such tails; there the operator gives (m, t_rec, ρ) and
 * `explicitCommittee` validates them. Subset safety 2·t_rec > m + c_max (no two disjoint
 * reconstructions for different survivor sets) is reported by both; the core's arithmetic
 * accepts unsafe schemes, and refusing them is the server's policy (`requireSubsetSafe`).
 */
import { ParameterError, SubsetSafetyError } from './errors.js';
import { type SharingScheme, validateScheme } from './shamir.js';

export interface CommitteeSettings extends SharingScheme {
  /** Largest number of corrupt members privacy tolerates (= t_rec − ρ). */
  readonly cMax: number;
  /** Largest number of silent members the round tolerates (= m − t_rec). */
  readonly dMax: number;
  /** 2·t_rec > m + c_max. */
  readonly subsetSafe: boolean;
}

export interface SizingInput {
  /** Participants (the corrupt ones are a fraction of these). */
  n: number;
  /**
   * Volunteers V the committee is drawn from, 2..n (default n: every participant may be drawn).
   * Up to K_c = ⌈corruptFraction·n⌉ of them are assumed corrupt (every corrupt participant
   * volunteers), at most V.
   */
  pool?: number;
  /** Committee size; default min(128, pool). */
  m?: number;
  /** Assumed fraction of corrupt participants (default 0.05). */
  corruptFraction?: number;
  /** Assumed fraction of participants, and so of volunteers, that drop out (default 0.10). */
  dropoutFraction?: number;
  /** Statistical security: tails ≤ 2^-sigma (default 40). */
  sigma?: number;
}

const LOG_FACT = [0];
function logFactorial(n: number): number {
  if (n < 1024) {
    for (let i = LOG_FACT.length; i <= n; i++) LOG_FACT[i] = (LOG_FACT[i - 1] as number) + Math.log(i);
    return LOG_FACT[n] as number;
  }
  // Stirling series; absolute error < 1e-16 for n ≥ 1024.
  const inv = 1 / n;
  const inv2 = inv * inv;
  return (
    n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv / 12 - (inv * inv2) / 360 + (inv * inv2 * inv2) / 1260
  );
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** P(X > c) for X ~ Hypergeometric(population n, K marked, m draws), for every c. */
export function hypergeometricTails(n: number, K: number, m: number): Float64Array {
  const lo = Math.max(0, m - (n - K));
  const hi = Math.min(K, m);
  const tails = new Float64Array(m + 1);
  const lTotal = logChoose(n, m);
  let acc = 0;
  for (let k = m; k >= 0; k--) {
    tails[k] = acc; // P(X > k)
    if (k >= lo && k <= hi) acc += Math.exp(logChoose(K, k) + logChoose(n - K, m - k) - lTotal);
  }
  return tails;
}

/** Smallest c with P(X > c) ≤ 2^-sigma. */
export function tailBound(n: number, K: number, m: number, sigma: number): number {
  const tails = hypergeometricTails(n, K, m);
  const eps = 2 ** -sigma;
  for (let c = 0; c <= m; c++) if ((tails[c] as number) <= eps) return c;
  return m;
}

function fraction(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v >= 1) throw new ParameterError(`${name} must be in [0, 1), got ${v}`);
  return v;
}

/** Committee thresholds from the hypergeometric tails. */
export function sizeCommittee(input: SizingInput): CommitteeSettings {
  const { n } = input;
  if (!Number.isSafeInteger(n) || n < 2) throw new ParameterError(`participants n must be an integer ≥ 2, got ${n}`);
  const pool = input.pool ?? n;
  if (!Number.isSafeInteger(pool) || pool < 2 || pool > n)
    throw new ParameterError(`volunteer pool V must be an integer in 2..n=${n}, got ${pool}`);
  const m = input.m ?? Math.min(128, pool);
  if (!Number.isSafeInteger(m) || m < 2 || m > pool)
    throw new ParameterError(`committee size m must be an integer in 2..${pool === n ? 'n' : 'V'}=${pool}, got ${m}`);
  const fc = fraction('corruptFraction', input.corruptFraction ?? 0.05);
  const fd = fraction('dropoutFraction', input.dropoutFraction ?? 0.1);
  const sigma = input.sigma ?? 40;
  if (!(sigma > 0 && sigma <= 128)) throw new ParameterError(`sigma must be in (0, 128], got ${sigma}`);
  // Worst case: every corrupt participant volunteered (K_c of the V, at most V).
  const corrupt = Math.min(pool, Math.ceil(fc * n));
  // At least one corrupt member is always assumed: with c_max = 0, ρ = t_rec would let one share leak.
  const cMax = Math.max(1, tailBound(pool, corrupt, m, sigma));
  const dMax = tailBound(pool, Math.ceil(fd * pool), m, sigma);
  const tRec = m - dMax;
  const rho = tRec - cMax;
  if (rho < 1) {
    const from = pool === n ? `${n}` : `${pool} volunteers of ${n} participants`;
    throw new ParameterError(
      `a committee of ${m} out of ${from} cannot tolerate ${(fc * 100).toFixed(1)} % corrupt and ${(fd * 100).toFixed(1)} % dropping members at 2^-${sigma} ` +
        `(c_max=${cMax}, d_max=${dMax}, t_rec=${tRec}); enlarge the committee or set m, t_rec and ρ explicitly`,
    );
  }
  return { m, tRec, rho, cMax, dMax, subsetSafe: 2 * tRec > m + cMax };
}

/** Validates operator-given settings (t_rec ≤ m, 1 ≤ ρ ≤ t_rec − 1) and derives the bounds. */
export function explicitCommittee(s: SharingScheme): CommitteeSettings {
  validateScheme(s);
  const cMax = s.tRec - s.rho;
  return { m: s.m, tRec: s.tRec, rho: s.rho, cMax, dMax: s.m - s.tRec, subsetSafe: isSubsetSafe(s) };
}

/**
 * Subset safety of a scheme as any party sees it, e.g. a participant from a round descriptor:
 * 2·t_rec > m + c_max with c_max = t_rec − ρ (equivalently t_rec + ρ > m).
 */
export function isSubsetSafe(s: SharingScheme): boolean {
  return 2 * s.tRec > s.m + (s.tRec - s.rho);
}

/**
 * The smallest subset-safe scheme with the same tolerances (d_max silent, c_max corrupt
 * members): t_rec > d_max + c_max is needed, so t_rec = d_max + c_max + 1, m = t_rec + d_max,
 * ρ = t_rec − c_max = d_max + 1.
 */
export function subsetSafeAlternative(s: Pick<CommitteeSettings, 'cMax' | 'dMax'>): SharingScheme {
  const tRec = s.dMax + s.cMax + 1;
  return { m: tRec + s.dMax, tRec, rho: s.dMax + 1 };
}

/**
 * Throws a SubsetSafetyError (NOT_SUBSET_SAFE) naming the inequality with its numbers and a
 * subset-safe scheme with the same tolerances, unless the settings are subset-safe.
 */
export function requireSubsetSafe(s: CommitteeSettings): void {
  if (s.subsetSafe) return;
  const alt = subsetSafeAlternative(s);
  throw new SubsetSafetyError(
    `committee ${s.m},${s.tRec},${s.rho} is not subset-safe: 2·t_rec = ${2 * s.tRec} must exceed m + c_max = ${s.m + s.cMax}; ` +
      `the same tolerance (d_max = ${s.dMax} silent, c_max = ${s.cMax} corrupt members) needs e.g. ${alt.m},${alt.tRec},${alt.rho}`,
  );
}
