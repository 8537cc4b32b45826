/**
 * The continuous Gaussian mechanism's exact privacy curve (docs/dp.md §5.3): Balle and Wang,
 * "Improving the Gaussian Mechanism for Differential Privacy: Analytical Calibration and Optimal
 * Denoising", ICML 2018, Theorem 8. For L2 sensitivity 1 and noise N(0, z²):
 *
 *   δ(ε) = Φ(1/(2z) − ε·z) − e^ε·Φ(−1/(2z) − ε·z),
 *
 * exact (the mechanism is (ε, δ)-DP iff δ ≥ δ(ε)); ε(δ) is found by bisection (δ(ε) decreases
 * in ε). T compositions of multiplier z are one Gaussian mechanism of multiplier z/√T.
 * Floating point is fine here: this is a reference curve, not the sampling path.
 */
import { DpParameterError } from './errors.js';

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * log erfc(x) for x ≥ 0 to ~1e-14 relative: the all-positive series erf(x) = (2/√π)·e^{−x²}·
 * Σ 2^n x^{2n+1}/(1·3·…·(2n+1)) below 2, the continued fraction of erfc above.
 */
export function logErfc(x: number): number {
  if (x < 0) throw new DpParameterError('logErfc takes x ≥ 0');
  if (x < 2) {
    let term = x;
    let sum = x;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return Math.log1p(-((2 / SQRT_PI) * Math.exp(-x * x) * sum));
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards.
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return -x * x - Math.log(SQRT_PI) - Math.log(f);
}

/** log Φ(−x) for x ≥ 0, Φ the standard normal CDF. */
function logPhiNeg(x: number): number {
  return logErfc(x / Math.SQRT2) - Math.LN2;
}

/** Φ(y) for any y. */
export function normalCdf(y: number): number {
  return y <= 0 ? Math.exp(logPhiNeg(-y)) : -Math.expm1(logPhiNeg(y));
}

/** e^a·Φ(y) without overflow. */
function expTimesCdf(a: number, y: number): number {
  return y <= 0 ? Math.exp(a + logPhiNeg(-y)) : Math.exp(a) * normalCdf(y);
}

function checkMultiplier(z: number): void {
  if (typeof z !== 'number' || !Number.isFinite(z) || z <= 0)
    throw new DpParameterError(`the noise multiplier must be a positive number, got ${z}`);
}

export function checkDelta(delta: number): void {
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1))
    throw new DpParameterError(`δ must be in (0, 1), got ${delta}`);
}

/** δ(ε) of the Gaussian mechanism with multiplier z (sensitivity 1). */
export function analyticGaussianDelta(epsilon: number, z: number): number {
  checkMultiplier(z);
  if (!(epsilon >= 0)) throw new DpParameterError(`ε must be ≥ 0, got ${epsilon}`);
  const a = 1 / (2 * z);
  return Math.max(0, normalCdf(a - epsilon * z) - expTimesCdf(epsilon, -a - epsilon * z));
}

/** The least ε with δ(ε) ≤ δ (bisection to 1e-12 relative). */
export function analyticGaussianEpsilon(delta: number, z: number): number {
  checkDelta(delta);
  checkMultiplier(z);
  if (analyticGaussianDelta(0, z) <= delta) return 0;
  let lo = 0;
  let hi = 1;
  while (analyticGaussianDelta(hi, z) > delta) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1e-12 * hi) {
    const mid = (lo + hi) / 2;
    if (analyticGaussianDelta(mid, z) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}
