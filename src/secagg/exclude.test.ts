/**
 * Leaving a convicted trainer out after the cut-off (docs/protocol.md §25): the aggregator
 * subtracts its y, drops its slices and issues jobs for S ∖ {it}; the members' new answers then
 * unmask exactly the others' sum.
 */
import { describe, expect, it } from 'vitest';
import { RoundAggregator } from './aggregator.js';
import { CapacityError, LateError } from './errors.js';
import { type CommitteeJob, answerJob } from './member.js';
import { buildContribution } from './trainer.js';
import { deterministicRng, makeFederation, randomUpdate } from '../../test/support/secagg.js';

const committee = { m: 5, tRec: 3, rho: 1 };

async function round(retainBytes?: number) {
  const fed = makeFederation(700, committee, 1, 3);
  const updates = Array.from({ length: 5 }, (_, i) => randomUpdate(700, fed.cfg.bits, 50 + i));
  const agg = new RoundAggregator(fed.cfg, undefined, undefined, retainBytes);
  for (const [i, u] of updates.entries())
    await agg.add((await buildContribution(fed.cfg, `c${i}`, u, { rng: deterministicRng(7, i) })).contribution);
  return { fed, updates, agg };
}

describe('RoundAggregator.exclude', () => {
  it('subtracts the excluded y, re-issues jobs for the rest, and unmasks their exact sum', async () => {
    const { fed, updates, agg } = await round();
    const first = agg.closeContributions();
    // member 1 had answered the first job; that answer is forgotten with it
    agg.receive(await answerJob(fed.cfg, first.jobs[0] as CommitteeJob, fed.members[0]!));
    const cut = agg.exclude(['c1', 'c3']);
    expect(cut.survivors.map((s) => s.clientId)).toEqual(['c0', 'c2', 'c4']);
    expect(cut.survivorHash).not.toEqual(first.survivorHash);
    expect(agg.answered).toBe(0);
    for (const j of [1, 2, 4]) agg.receive(await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!));
    const res = await agg.unmask();
    const want = new Float64Array(700);
    for (const i of [0, 2, 4]) updates[i]!.forEach((v, c) => (want[c] = (want[c] as number) + v));
    expect(res.sum).toEqual(want);
    expect(res.survivors).toEqual(['c0', 'c2', 'c4']);
  });

  it('refuses, changing nothing, a trainer whose y was not kept or that is not a survivor, and before the cut-off', async () => {
    const { agg } = await round(8 * 700 * 2); // room for two contributions' y
    expect(() => agg.exclude(['c0'])).toThrow(LateError);
    const first = agg.closeContributions();
    expect(agg.canExclude('c1')).toBe(true);
    expect(agg.canExclude('c2')).toBe(false);
    expect(() => agg.exclude(['c1', 'c2'])).toThrow(CapacityError);
    expect(() => agg.exclude(['nobody'])).toThrow(CapacityError);
    // nothing changed: c1 can still be left out, and the others remain
    expect(agg.exclude(['c1']).survivors.map((s) => s.clientId)).toEqual(['c0', 'c2', 'c3', 'c4']);
    expect(first.survivors).toHaveLength(5);
  });
});
