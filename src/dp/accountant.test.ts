import { describe, expect, it } from 'vitest';
import { ORDERS, RdpAccountant, ddgEpsilon, ddgRdp, ddgTau, gaussianRdp, rdpToEpsilon } from './accountant.js';
import {
  type DdgSetup,
  ceilRational,
  checkFieldBudget,
  ddgRoundFor,
  epsilonFor,
  fieldBound,
  noiseMultiplierFor,
  noiseShare,
} from './calibrate.js';
import { DpBudgetError, DpParameterError, DpUnreachableError } from './errors.js';
import { rational } from './exact.js';
import { analyticGaussianDelta, analyticGaussianEpsilon, normalCdf } from './gaussian.js';

/** δ(ε) of N(0, z²) vs N(1, z²) by numerical integration of max(0, p1 − e^ε·p0) (independent of the closed form). */
function deltaByIntegration(eps: number, z: number): number {
  const pdf = (x: number, m: number): number => Math.exp(-((x - m) ** 2) / (2 * z * z)) / (z * Math.sqrt(2 * Math.PI));
  const h = z / 2000;
  let s = 0;
  for (let x = -12 * z; x <= 1 + 12 * z; x += h) s += Math.max(0, pdf(x, 1) - Math.exp(eps) * pdf(x, 0)) * h;
  return s;
}

const SETUP: DdgSetup = { clip: 1, gamma: 1 / 4096, beta: Math.exp(-0.5), length: 2 ** 20, honest: 100 };

describe('the analytic Gaussian mechanism (docs/dp.md §5.3)', () => {
  it('Φ at known points', () => {
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 14);
    expect(normalCdf(1.5)).toBeCloseTo(0.9331927987311419, 14);
    expect(normalCdf(-5) / 2.866515718791939e-7).toBeCloseTo(1, 12);
    expect(normalCdf(-30) / 4.906713927148187e-198).toBeCloseTo(1, 10);
  });

  it.each([
    [0.5, 1],
    [2, 1],
    [1, 3],
  ])('δ(ε = %d) at z = %d matches numerical integration', (eps, z) => {
    expect(analyticGaussianDelta(eps, z)).toBeCloseTo(deltaByIntegration(eps, z), 7);
  });

  it('ε(δ) inverts δ(ε) and grows as z shrinks', () => {
    const e = analyticGaussianEpsilon(1e-5, 3.7);
    expect(analyticGaussianDelta(e, 3.7)).toBeCloseTo(1e-5, 12);
    expect(e).toBeGreaterThan(analyticGaussianEpsilon(1e-5, 4));
    expect(analyticGaussianEpsilon(0.99, 100)).toBe(0);
    expect(() => analyticGaussianEpsilon(0, 1)).toThrow(DpParameterError);
  });
});

describe('the RDP accountant (docs/dp.md §5)', () => {
  const cases: [number, number, number][] = [
    [1, 1, 1e-5],
    [1, 100, 1e-5],
    [5, 100, 1e-5],
    [10, 1000, 1e-6],
    [0.8, 20, 1e-5],
    [2, 10, 1e-3],
  ];

  it.each(cases)('z = %d, T = %d, δ = %d: exact Gaussian ε ≤ DDG ε ≤ 1.2 × it (large σ)', (z, T, delta) => {
    const exact = analyticGaussianEpsilon(delta, z / Math.sqrt(T));
    const ddg = epsilonFor('ddg', z, T, delta, SETUP);
    expect(ddg).toBeGreaterThanOrEqual(exact);
    expect(ddg).toBeLessThanOrEqual(1.2 * exact);
  });

  it('a single discrete Gaussian (K = 1, τ = 0) is charged α·Δ²/(2σ²), the Gaussian RDP', () => {
    const r = { l2: 10, sigma2: 400, honest: 1, dim: 1000 };
    expect(ddgTau(400, 1)).toBe(0);
    for (const a of [1.5, 2, 10, 100]) expect(ddgRdp(r, a)).toBeCloseTo(gaussianRdp(2, a), 12);
  });

  it('τ charges small shares: σ² = 0.3 over 10 honest trainers costs more than the ideal sum', () => {
    const tiny = { l2: 3, sigma2: 0.3, honest: 10, dim: 1000 };
    expect(ddgTau(0.3, 10)).toBeGreaterThan(1e-3);
    expect(ddgEpsilon(tiny, 1, 1e-5)).toBeGreaterThan(ddgEpsilon({ ...tiny, sigma2: 3, honest: 1 }, 1, 1e-5));
    expect(() => ddgRdp({ ...tiny, sigma2: 0.2 }, 2)).not.toThrow();
    expect(() => new RdpAccountant().composeDdg({ ...tiny, sigma2: 0.2 })).toThrow(DpParameterError);
  });

  it('ε decreases in z and δ, increases in T', () => {
    const e = (z: number, T: number, d: number): number => epsilonFor('ddg', z, T, d, SETUP);
    expect(e(1, 10, 1e-5)).toBeGreaterThan(e(1.1, 10, 1e-5));
    expect(e(1, 10, 1e-5)).toBeLessThan(e(1, 11, 1e-5));
    expect(e(1, 10, 1e-5)).toBeGreaterThan(e(1, 10, 1e-4));
    const g = (z: number, T: number, d: number): number => epsilonFor('gaussian', z, T, d);
    expect(g(1, 10, 1e-5)).toBeGreaterThan(g(1.1, 10, 1e-5));
    expect(g(1, 10, 1e-5)).toBeLessThan(g(1, 11, 1e-5));
  });

  it('composition adds RDP: T rounds one at a time equal T at once', () => {
    const r = ddgRoundFor(1.2, SETUP);
    const a = new RdpAccountant();
    for (let t = 0; t < 7; t++) a.composeDdg(r);
    expect(a.rounds).toBe(7);
    expect(a.epsilon(1e-5).epsilon).toBeCloseTo(ddgEpsilon(r, 7, 1e-5), 12);
    // The conversion at one order, by hand: with every other order at +∞,
    // ε = rdp + log(1 − 1/α) − (log δ + log α)/(α − 1).
    const i = 400;
    const alpha = ORDERS[i] as number;
    const rdp = ORDERS.map((_, j) => (j === i ? 3 : Infinity));
    const manual = 3 + Math.log1p(-1 / alpha) - (Math.log(1e-5) + Math.log(alpha)) / (alpha - 1);
    expect(rdpToEpsilon(rdp, 1e-5)).toEqual({ epsilon: manual, order: alpha });
  });

  it('counting fewer honest survivors than the shares were calibrated for costs ε', () => {
    const share = noiseShare(1, SETUP);
    const sigma2 = Number(share.num) / Number(share.den);
    const round = (honest: number) => ({ ...ddgRoundFor(1, SETUP), sigma2, honest });
    expect(ddgEpsilon(round(60), 10, 1e-5)).toBeGreaterThan(ddgEpsilon(round(100), 10, 1e-5));
  });

  it('finds the noise multiplier for a target ε', () => {
    const target = 4;
    const z = noiseMultiplierFor(target, (x) => epsilonFor('ddg', x, 20, 1e-5, SETUP));
    expect(epsilonFor('ddg', z, 20, 1e-5, SETUP)).toBeLessThanOrEqual(target);
    expect(epsilonFor('ddg', z * 0.995, 20, 1e-5, SETUP)).toBeGreaterThan(target);
    expect(() => noiseMultiplierFor(1e-9, (x) => epsilonFor('gaussian', x, 20, 1e-5))).toThrow(DpUnreachableError);
  });
});

describe('calibration and the field budget (docs/dp.md §6, §7)', () => {
  it('each share is (z·C/γ)²/K rounded up to a multiple of 2^−20', () => {
    const s = noiseShare(2, { clip: 0.5, gamma: 1 / 64, honest: 16 });
    // (2·0.5·64)²/16 = 256, plus the 2^−40 margin → 256 + 2^−20.
    expect(s).toEqual(rational(256n * 2n ** 20n + 1n, 2n ** 20n));
    const c = ceilRational(1 / 3);
    expect(Number(c.num) / Number(c.den)).toBeGreaterThanOrEqual(1 / 3);
    expect(() => noiseShare(0, { clip: 1, gamma: 1, honest: 1 })).toThrow(DpParameterError);
    expect(() => noiseShare(1, { clip: 1, gamma: 1, honest: 0 })).toThrow(DpParameterError);
  });

  it('the bound: n_max·⌊Δ₂⌋ + ⌈σ·√(2·n_max·ln(2d/p))⌉', () => {
    const b = fieldBound({ nMax: 100, dim: 1024, l2: 300.7, sigma2: rational(10000n, 1n), failure: 1e-9 });
    expect(b.signal).toBe(30000);
    expect(b.noise).toBe(Math.ceil(100 * Math.sqrt(200 * Math.log(2048e9))));
    expect(b.bound).toBe(b.signal + b.noise);
    expect(2 ** (b.bits - 1)).toBeGreaterThan(b.bound);
    expect(2 ** (b.bits - 2)).toBeLessThanOrEqual(b.bound);
    expect(() => checkFieldBudget(b, b.bound + 1)).not.toThrow();
    expect(() => checkFieldBudget(b, b.bound)).toThrow(DpBudgetError);
  });

  it('the default profile fits: L = 10^6, z = 1, K = 100, n_max = 10^4 within q/(2Δ) ≈ 4.29·10^9', () => {
    const r = ddgRoundFor(1, SETUP);
    const b = fieldBound({ nMax: 10_000, dim: r.dim, l2: r.l2, sigma2: noiseShare(1, SETUP) });
    expect(() => checkFieldBudget(b, 4293132511)).not.toThrow();
  });
});
