/**
 * The privacy accountant (docs/dp.md §5): Rényi DP of each round, added over rounds, converted
 * to (ε, δ).
 *
 * One round of the distributed discrete Gaussian (Kairouz, Liu, Steinke, "The Distributed
 * Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation", ICML 2021,
 * Theorem 1 / Proposition 14): K honest trainers each add N_Z(0, σ²)^d (σ ≥ 1/2) to an update of
 * L2 sensitivity Δ₂ and L1 sensitivity Δ₁; with s₂ = Δ₂/(√K·σ), s₁ = Δ₁/(√K·σ) and
 * τ = 10·Σ_{k=1}^{K−1} exp(−2π²σ²·k/(k+1)), the sum is (α, ε(α))-RDP for every α > 1 with
 *
 *   ε(α) = min( α·s₂²/2 + τ·d,  α/2·(s₂² + 2·s₁·τ + τ²·d),  α/2·(s₂ + τ·√d)² ).
 *
 * K = 1 gives τ = 0 and the discrete Gaussian's own bound α·Δ₂²/(2σ²) (CKS 2020, Prop. 5).
 * Conversion (Canonne, Kamath, Steinke 2020, Prop. 12; Balle et al. 2020, Thm. 21):
 *
 *   ε = min_α  ε_RDP(α) + log((α − 1)/α) − (log δ + log α)/(α − 1),
 *
 * over the grid α = 1 + 10^(j/100), j = −300..500 (any α gives a valid bound; the grid only
 * decides how tight it is). No amplification by sampling is claimed.
 */
import { DpParameterError } from './errors.js';
import { checkDelta } from './gaussian.js';

/** The RDP orders of the accountant. */
export const ORDERS: readonly number[] = Array.from({ length: 801 }, (_, j) => 1 + 10 ** ((j - 300) / 100));

export interface DdgRound {
  /** L2 sensitivity Δ₂ in integer units (pipeline.sensitivity). */
  readonly l2: number;
  /** L1 sensitivity Δ₁ (default min(√d·Δ₂, Δ₂²): integer vectors have ‖x‖₁ ≤ ‖x‖₂²). */
  readonly l1?: number;
  /** Each honest trainer's noise variance σ² (integer units²), σ ≥ 1/2. */
  readonly sigma2: number;
  /** K: honest survivors whose noise is counted (never more than |S| − colluders). */
  readonly honest: number;
  /** d: coordinates (after padding). */
  readonly dim: number;
}

export function checkDdgRound(r: DdgRound): void {
  const pos = (n: string, v: number): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new DpParameterError(`${n} must be a positive number, got ${v}`);
  };
  pos('Δ₂', r.l2);
  if (r.l1 !== undefined) pos('Δ₁', r.l1);
  pos('σ²', r.sigma2);
  if (r.sigma2 < 0.25) throw new DpParameterError(`the DDG bound needs σ ≥ 1/2, got σ² = ${r.sigma2}`);
  if (!Number.isSafeInteger(r.honest) || r.honest < 1)
    throw new DpParameterError(`K (honest survivors) must be a positive integer, got ${r.honest}`);
  if (!Number.isSafeInteger(r.dim) || r.dim < 1)
    throw new DpParameterError(`d must be a positive integer, got ${r.dim}`);
}

/** τ of DDG Theorem 1. */
export function ddgTau(sigma2: number, honest: number): number {
  let tau = 0;
  const c = -2 * Math.PI * Math.PI * sigma2;
  for (let k = 1; k < honest; k++) tau += Math.exp((c * k) / (k + 1));
  return 10 * tau;
}

/** ε(α) of one DDG round. */
export function ddgRdp(r: DdgRound, alpha: number): number {
  const sd = Math.sqrt(r.honest * r.sigma2);
  const l1 = r.l1 ?? Math.min(Math.sqrt(r.dim) * r.l2, r.l2 * r.l2);
  const s2 = r.l2 / sd;
  const s1 = l1 / sd;
  const tau = ddgTau(r.sigma2, r.honest);
  return Math.min(
    (alpha * s2 * s2) / 2 + tau * r.dim,
    (alpha / 2) * (s2 * s2 + 2 * s1 * tau + tau * tau * r.dim),
    (alpha / 2) * (s2 + tau * Math.sqrt(r.dim)) ** 2,
  );
}

/** ε(α) of the continuous Gaussian mechanism with multiplier z: α/(2z²). */
export function gaussianRdp(z: number, alpha: number): number {
  return alpha / (2 * z * z);
}

/** (ε, δ) from RDP values at ORDERS (CKS 2020, Prop. 12). */
export function rdpToEpsilon(rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  checkDelta(delta);
  let best = Infinity;
  let order = NaN;
  rdp.forEach((e, i) => {
    const a = ORDERS[i] as number;
    const eps = e + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best) {
      best = eps;
      order = a;
    }
  });
  return { epsilon: Math.max(0, best), order };
}

/** Composition by addition of RDP curves, round by round. */
export class RdpAccountant {
  private readonly rdp = new Float64Array(ORDERS.length);
  private count = 0;

  get rounds(): number {
    return this.count;
  }

  /** Charges `times` rounds of the mechanism whose RDP curve is `curve`. */
  compose(curve: (alpha: number) => number, times = 1): this {
    if (!Number.isSafeInteger(times) || times < 0)
      throw new DpParameterError(`times must be a non-negative integer, got ${times}`);
    ORDERS.forEach((a, i) => {
      this.rdp[i] = (this.rdp[i] as number) + times * curve(a);
    });
    this.count += times;
    return this;
  }

  composeDdg(r: DdgRound, times = 1): this {
    checkDdgRound(r);
    return this.compose((a) => ddgRdp(r, a), times);
  }

  epsilon(delta: number): { epsilon: number; order: number } {
    return rdpToEpsilon([...this.rdp], delta);
  }

  /** An independent copy (to price a round before charging it). */
  clone(): RdpAccountant {
    const c = new RdpAccountant();
    c.rdp.set(this.rdp);
    c.count = this.count;
    return c;
  }
}

/** ε after T DDG rounds at δ. */
export function ddgEpsilon(r: DdgRound, rounds: number, delta: number): number {
  return new RdpAccountant().composeDdg(r, rounds).epsilon(delta).epsilon;
}
