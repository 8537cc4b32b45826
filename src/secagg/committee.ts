/**
 * Committee sizing (docs/protocol.md §15). The committee is a uniform sample of m out of
 * n participants; the numbers of corrupt and of dropping members in it are hypergeometric.
 * c_max and d_max are the smallest bounds whose tails are ≤ 2^-σ (σ = 40 by default), and
 *   t_rec = m − d_max,   ρ = t_rec − c_max  (must be ≥ 1).
 * Small federations cannot reach such tails; there the operator gives (m, t_rec, ρ) and
 * `explicitCommittee` validates them. Subset safety 2·t_rec > m + c_max (no two disjoint
 * reconstructions for different survivor sets) is reported, not enforced.
 */
import { ParameterError } from './errors.js';
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
  /** Participants the committee is drawn from. */
  n: number;
  /** Committee size; default min(128, n). */
  m?: number;
  /** Assumed fraction of corrupt participants (default 0.05). */
  corruptFraction?: number;
  /** Assumed fraction of participants that drop out (default 0.10). */
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
  const m = input.m ?? Math.min(128, n);
  if (!Number.isSafeInteger(m) || m < 2 || m > n)
    throw new ParameterError(`committee size m must be an integer in 2..n=${n}, got ${m}`);
  const fc = fraction('corruptFraction', input.corruptFraction ?? 0.05);
  const fd = fraction('dropoutFraction', input.dropoutFraction ?? 0.1);
  const sigma = input.sigma ?? 40;
  if (!(sigma > 0 && sigma <= 128)) throw new ParameterError(`sigma must be in (0, 128], got ${sigma}`);
  // At least one corrupt member is always assumed: with c_max = 0, ρ = t_rec would let one share leak.
  const cMax = Math.max(1, tailBound(n, Math.ceil(fc * n), m, sigma));
  const dMax = tailBound(n, Math.ceil(fd * n), m, sigma);
  const tRec = m - dMax;
  const rho = tRec - cMax;
  if (rho < 1) {
    throw new ParameterError(
      `a committee of ${m} out of ${n} cannot tolerate ${(fc * 100).toFixed(1)} % corrupt and ${(fd * 100).toFixed(1)} % dropping members at 2^-${sigma} ` +
        `(c_max=${cMax}, d_max=${dMax}, t_rec=${tRec}); enlarge the committee or set m, t_rec and ρ explicitly`,
    );
  }
  return { m, tRec, rho, cMax, dMax, subsetSafe: 2 * tRec > m + cMax };
}

/** Validates operator-given settings (t_rec ≤ m, 1 ≤ ρ ≤ t_rec − 1) and derives the bounds. */
export function explicitCommittee(s: SharingScheme): CommitteeSettings {
  validateScheme(s);
  const cMax = s.tRec - s.rho;
  return { m: s.m, tRec: s.tRec, rho: s.rho, cMax, dMax: s.m - s.tRec, subsetSafe: 2 * s.tRec > s.m + cMax };
}
