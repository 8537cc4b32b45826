import { describe, expect, it } from 'vitest';
import { planDpRound, sigma2Of } from '../dp/round.js';
import { decodeSum } from '../dp/pipeline.js';
import type { RoundMsg } from '../wire/messages.js';
import { MemoryPrivacyLedger, acceptDpRound, privatizeUpdate } from './privacy.js';

const params = planDpRound({
  noiseMultiplier: 1.2,
  clip: 1,
  params: 300,
  bits: 16,
  minSurvivors: 4,
  colluders: 1,
  delta: 1e-5,
});

function descriptor(round: number, p = params, after = 1): RoundMsg {
  return {
    config: { mode: 'secure', federation: 'fed-x', round, bits: 16 },
    weights: new Uint8Array(300 * 4),
    dp: { params: p, accounting: { spent: 0, after, rounds: round - 1 } },
  } as unknown as RoundMsg;
}

describe("a trainer's own DP decision (docs/dp.md §12)", () => {
  it('composes its own rounds: each accepted round raises its own ε, and its maximum ends it', async () => {
    const ledger = new MemoryPrivacyLedger();
    const first = await acceptDpRound(descriptor(1), {}, ledger);
    if (!first.ok) throw new Error(first.message);
    ledger.add('fed-x', 1, first.value.charge);
    const second = await acceptDpRound(descriptor(2), {}, ledger);
    if (!second.ok) throw new Error(second.message);
    expect(second.value.own).toBeGreaterThan(first.value.own);
    const capped = await acceptDpRound(descriptor(2), { maxEpsilon: (first.value.own + second.value.own) / 2 }, ledger);
    expect(capped).toMatchObject({ ok: false, code: 'DP_BUDGET' });
    // Another federation's rounds are not this one's.
    const other = await acceptDpRound(
      { ...descriptor(1), config: { ...descriptor(1).config, federation: 'fed-y' } },
      {},
      ledger,
    );
    expect(other.ok && other.value.own).toBeCloseTo(first.value.own, 12);
  });

  it("refuses the server's statement of the federation's ε above its maximum too", async () => {
    const r = await acceptDpRound(descriptor(1, params, 50), { maxEpsilon: 40 }, new MemoryPrivacyLedger());
    expect(r).toMatchObject({ ok: false, code: 'DP_BUDGET' });
    if (!r.ok) expect(r.message).toMatch(/the federation to ε = 50\.000/);
  });

  it('refuses a descriptor whose noise share is below what its own calibration needs', async () => {
    const s2 = sigma2Of(params);
    const low = { ...params, sigma2: { num: (s2.num / 2n).toString(), den: s2.den.toString() } };
    const r = await acceptDpRound(descriptor(1, low), {}, new MemoryPrivacyLedger());
    expect(r).toMatchObject({ ok: false, code: 'DP_PARAMETERS' });
  });

  it('privatizes into d integers that the server decodes back to the clipped update plus noise', () => {
    const u = new Float32Array(300).map((_, i) => Math.sin(i) * 0.01);
    const seed = new Uint8Array(32).fill(7);
    const x = privatizeUpdate(u, params, seed);
    expect(x.length).toBe(512);
    const back = decodeSum(x, params, seed, 300);
    // One trainer's noise share is large (it is a share of the honest sum's noise), so compare in norm.
    const s2 = sigma2Of(params);
    const noiseNorm = Math.sqrt((Number(s2.num) / Number(s2.den)) * 512) * params.gamma;
    let err = 0;
    for (let i = 0; i < 300; i++) err += ((back[i] as number) - (u[i] as number)) ** 2;
    expect(Math.sqrt(err)).toBeLessThan(2 * noiseNorm);
    expect(Math.sqrt(err)).toBeGreaterThan(0.2 * noiseNorm * Math.sqrt(300 / 512));
  });
});
