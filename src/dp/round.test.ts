import { describe, expect, it } from 'vitest';
import { ddgEpsilon } from './accountant.js';
import { fieldBound, noiseShare } from './calibrate.js';
import { DpBudgetError, DpParameterError } from './errors.js';
import { rational } from './exact.js';
import { type DpRoundParams, chargeOf, checkDpRound, planDpRound, sigma2Of } from './round.js';

const base = { noiseMultiplier: 1, clip: 0.5, params: 1569, bits: 16, minSurvivors: 4, colluders: 1, delta: 1e-5 };

describe('planDpRound (docs/dp.md §12)', () => {
  it('picks the largest whole scale C/γ whose noisy coordinates fit b bits, and not one more', () => {
    const p = planDpRound(base);
    const scale = p.clip / p.gamma;
    expect(Number.isInteger(Math.round(scale))).toBe(true);
    const per = (s: number): number => {
      const q = planDpRound({ ...base }); // same inputs, same plan
      const round = chargeOf({ ...q, gamma: q.clip / s, sigma2: share(q, s) }, base.params, base.minSurvivors);
      return fieldBound({
        nMax: 1,
        dim: round.dim,
        l2: round.l2,
        sigma2: rational(BigInt(Math.ceil(round.sigma2 * 2 ** 20)), 1n << 20n),
        failure: 2 ** -40,
      }).perTrainer;
    };
    expect(per(Math.round(scale))).toBeLessThanOrEqual(32767);
    expect(per(Math.round(scale) + 1)).toBeGreaterThan(32767);
    // The trainer's own check accepts the plan.
    expect(() => checkDpRound(p, base.params, base.bits)).not.toThrow();
  });

  it('σ_i² carries the target noise over K = minSurvivors − colluders honest trainers', () => {
    const p = planDpRound(base);
    const s2 = sigma2Of(p);
    const perTrainer = Number(s2.num) / Number(s2.den);
    const target = ((base.noiseMultiplier * base.clip) / p.gamma) ** 2;
    expect(perTrainer * 3).toBeGreaterThanOrEqual(target);
    expect(perTrainer * 3).toBeLessThan(target * (1 + 1e-6));
  });

  it('refuses parameters that cannot work, with typed errors', () => {
    expect(() => planDpRound({ ...base, colluders: 4 })).toThrow(DpParameterError);
    expect(() => planDpRound({ ...base, delta: 1 })).toThrow(DpParameterError);
    expect(() => planDpRound({ ...base, noiseMultiplier: 0 })).toThrow(DpParameterError);
    expect(() => planDpRound({ ...base, bits: 4, noiseMultiplier: 50 })).toThrow(DpBudgetError);
  });
});

describe("a trainer's check of a descriptor (it trusts none of the server's arithmetic)", () => {
  const p = planDpRound(base);

  it('refuses a noise share below what z and K need', () => {
    const s2 = sigma2Of(p);
    const less: DpRoundParams = { ...p, sigma2: { num: (s2.num - s2.num / 100n).toString(), den: s2.den.toString() } };
    expect(() => checkDpRound(less, base.params, base.bits)).toThrow(/below what z = 1 needs with K = 3/);
    // More colluders claimed than the share was calibrated for: also too little noise.
    expect(() => checkDpRound({ ...p, colluders: 2 }, base.params, base.bits)).toThrow(DpParameterError);
  });

  it('refuses a granularity so fine that the noisy coordinates overflow b bits', () => {
    const fine = p.gamma / 4;
    const share = noiseShare(1, { clip: base.clip, gamma: fine, honest: 3 });
    const sigma2 = { num: share.num.toString(), den: share.den.toString() };
    expect(() => checkDpRound({ ...p, gamma: fine, sigma2 }, base.params, base.bits)).toThrow(DpBudgetError);
  });

  it('refuses malformed σ² and unknown mechanisms', () => {
    expect(() => checkDpRound({ ...p, sigma2: { num: '-5', den: '1' } }, base.params, base.bits)).toThrow(
      DpParameterError,
    );
    expect(() => checkDpRound({ ...p, mechanism: 'laplace' as 'ddg' }, base.params, base.bits)).toThrow(
      DpParameterError,
    );
  });

  it('the worst-case charge (K honest) costs at least the actual one (|S| − colluders ≥ K)', () => {
    const worst = checkDpRound(p, base.params, base.bits);
    const actual = chargeOf(p, base.params, 10);
    expect(worst.honest).toBe(3);
    expect(actual.honest).toBe(9);
    expect(ddgEpsilon(actual, 5, 1e-5)).toBeLessThan(ddgEpsilon(worst, 5, 1e-5));
    expect(() => chargeOf(p, base.params, 1)).toThrow(DpParameterError);
  });
});

function share(q: DpRoundParams, s: number): { num: string; den: string } {
  const sd = q.noiseMultiplier * s;
  return { num: BigInt(Math.ceil(((sd * sd) / 3) * 2 ** 20)).toString(), den: (2n ** 20n).toString() };
}
