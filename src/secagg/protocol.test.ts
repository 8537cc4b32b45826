/**
 * Whole rounds through the three roles: the decoded sum must equal the plaintext sum of the
 * quantized updates exactly, for random lengths, trainers, members, survivor sets and
 * answering subsets; and every refusal must be loud and typed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoundAggregator } from './aggregator.js';
import { sizeCommittee } from './committee.js';
import {
  CapacityError,
  DuplicateError,
  InconsistentSharesError,
  LateError,
  MalformedInputError,
  ParameterError,
  SealError,
  SurvivorSetError,
  ThresholdError,
  TooFewSurvivorsError,
  WrongRoundError,
} from './errors.js';
import { type CommitteeJob, CommitteeMember, answerJob } from './member.js';
import type { SharingScheme } from './shamir.js';
import { deterministicRng, makeFederation, randomUpdate } from '../../test/support/secagg.js';
import { type Contribution, buildContribution } from './trainer.js';
import { survivorHash } from './transcript.js';

async function contributions(fed: ReturnType<typeof makeFederation>, n: number, seed: number) {
  const updates = Array.from({ length: n }, (_, i) => randomUpdate(fed.cfg.length, fed.cfg.bits, seed * 1000 + i));
  const built = await Promise.all(
    updates.map((u, i) =>
      buildContribution(fed.cfg, `client-${String(i).padStart(3, '0')}`, u, { rng: deterministicRng(seed, i) }),
    ),
  );
  return { updates, contributions: built.map((b) => b.contribution) };
}

function plainSum(updates: Int32Array[], ids: number[], L: number): Float64Array {
  const s = new Float64Array(L);
  for (const i of ids) {
    const u = updates[i] as Int32Array;
    for (let c = 0; c < L; c++) s[c] = (s[c] as number) + (u[c] as number);
  }
  return s;
}

const setting = fc
  .integer({ min: 3, max: 20 })
  .chain((m) =>
    fc
      .integer({ min: 2, max: m })
      .chain((tRec) =>
        fc.record({ m: fc.constant(m), tRec: fc.constant(tRec), rho: fc.integer({ min: 1, max: tRec - 1 }) }),
      ),
  );

describe('one-shot rounds', () => {
  it('decode exactly for random L, trainers, survivors and t_rec-subsets of answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 3, max: 60 }),
        setting,
        fc.integer({ min: 1, max: 1e9 }),
        async (L, n, committee: SharingScheme, seed) => {
          const fed = makeFederation(L, committee, seed % 1000, seed);
          const { updates, contributions: cs } = await contributions(fed, n, seed);
          // a random survivor set of at least 3 (members refuse smaller ones): the others drop before sending
          const survivors = cs.map((_, i) => i).filter((i) => (i * 7919 + seed) % 3 !== 0 || i < 3);
          const agg = new RoundAggregator(fed.cfg);
          for (const i of survivors) await agg.add(cs[i] as Contribution);
          const cut = agg.closeContributions();
          // a random t_rec-subset of the members answers; the rest stay silent
          const order = fed.members
            .map((_, j) => j)
            .sort((a, b) => ((a * 40503 + seed) % 101) - ((b * 40503 + seed) % 101));
          for (const j of order.slice(0, committee.tRec))
            agg.receive(await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!));
          const res = await agg.unmask();
          expect(res.survivors).toHaveLength(survivors.length);
          expect(res.sum).toEqual(plainSum(updates, survivors, L));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('a full round with m = 128 and thresholds from the sizing function', async () => {
    const committee = sizeCommittee({ n: 1000, m: 128 });
    const fed = makeFederation(3000, committee, 1, 128);
    const { updates, contributions: cs } = await contributions(fed, 12, 5);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs.slice(0, 10)) await agg.add(c);
    const cut = agg.closeContributions();
    // exactly t_rec answer, from the end of the committee (the first d_max stay silent)
    for (let j = 128 - committee.tRec; j < 128; j++)
      agg.receive(await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!));
    const res = await agg.unmask();
    expect(res.sum).toEqual(plainSum(updates, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3000));
    expect(res.members).toHaveLength(committee.tRec);
  });

  it('fewer than t_rec answers: ThresholdError, and nothing is decoded', async () => {
    const fed = makeFederation(100, { m: 5, tRec: 3, rho: 1 });
    const { contributions: cs } = await contributions(fed, 4, 2);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs) await agg.add(c);
    const cut = agg.closeContributions();
    for (const j of [0, 4]) agg.receive(await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!));
    expect(agg.ready).toBe(false);
    await expect(agg.unmask()).rejects.toBeInstanceOf(ThresholdError);
    expect(agg.state).toBe('failed');
    await expect(agg.unmask()).rejects.toBeInstanceOf(LateError);
  });

  it('a flipped bit in a slice: the member refuses with SealError', async () => {
    const fed = makeFederation(100, { m: 4, tRec: 3, rho: 2 });
    const { contributions: cs } = await contributions(fed, 3, 3);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs) await agg.add(c);
    const job = agg.closeContributions().jobs[1] as CommitteeJob;
    const slot = job.slots[2]!;
    const bad = slot.sealed.slice();
    bad[17] = (bad[17] as number) ^ 4;
    const tampered: CommitteeJob = { ...job, slots: job.slots.map((s, i) => (i === 2 ? { ...slot, sealed: bad } : s)) };
    await expect(answerJob(fed.cfg, tampered, fed.members[1]!)).rejects.toBeInstanceOf(SealError);
    // the untampered job still works
    await expect(answerJob(fed.cfg, job, fed.members[1]!)).resolves.toBeDefined();
  });

  it('members given different survivor sets: detected, never mis-decoded', async () => {
    const fed = makeFederation(200, { m: 5, tRec: 3, rho: 1 });
    const { contributions: cs } = await contributions(fed, 4, 4);
    const honest = new RoundAggregator(fed.cfg);
    for (const c of cs) await honest.add(c);
    const cut = honest.closeContributions();
    // a second view of the round without client-003: jobs with another S and H_S
    const other = new RoundAggregator(fed.cfg);
    for (const c of cs.slice(0, 3)) await other.add(c);
    const otherCut = other.closeContributions();
    expect(otherCut.survivorHash).not.toEqual(cut.survivorHash);
    // member 1 and 2 answered the real set, members 3..5 the other one
    for (const j of [0, 1]) honest.receive(await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!));
    for (const j of [2, 3, 4]) {
      const r = await answerJob(fed.cfg, otherCut.jobs[j] as CommitteeJob, fed.members[j]!);
      expect(() => honest.receive(r)).toThrow(SurvivorSetError);
    }
    await expect(honest.unmask()).rejects.toBeInstanceOf(ThresholdError);
    // a job whose survivor list was swapped under the same H_S is refused by the member
    const forged: CommitteeJob = { ...(otherCut.jobs[0] as CommitteeJob), survivorHash: cut.survivorHash };
    await expect(answerJob(fed.cfg, forged, fed.members[0]!)).rejects.toBeInstanceOf(SurvivorSetError);
  });

  it('a member answering garbage beyond t_rec is detected', async () => {
    const fed = makeFederation(100, { m: 5, tRec: 3, rho: 1 });
    const { contributions: cs } = await contributions(fed, 3, 6);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs) await agg.add(c);
    const cut = agg.closeContributions();
    for (const j of [0, 1, 2, 3]) {
      const r = await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!);
      if (j === 3) r.sum[0] = ((r.sum[0] as number) + 1) % 67104769;
      agg.receive(r);
    }
    await expect(agg.unmask()).rejects.toBeInstanceOf(InconsistentSharesError);
  });

  it('one member perturbing one residue among t_rec + 2 answers is corrected and named; the sum is exact', async () => {
    const fed = makeFederation(100, { m: 5, tRec: 3, rho: 1 });
    const { updates, contributions: cs } = await contributions(fed, 3, 7);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs) await agg.add(c);
    const cut = agg.closeContributions();
    for (const j of [0, 1, 2, 3, 4]) {
      const r = await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!);
      // member 2 (index 1) corrupts a single residue: unchecked, it would shift every coordinate
      if (j === 1) r.sum[7] = ((r.sum[7] as number) + 12345) % 67104769;
      agg.receive(r);
    }
    const res = await agg.unmask();
    expect(res.faulty).toEqual([2]);
    expect(res.members).toEqual([1, 3, 4, 5]);
    expect(res.checked).toBe(true);
    expect(res.sum).toEqual(plainSum(updates, [0, 1, 2], 100));
  });
});

describe('refusals', () => {
  it('the aggregator refuses wrong rounds, duplicates, wrong lengths and late arrivals, unchanged', async () => {
    const fed = makeFederation(300, { m: 4, tRec: 3, rho: 1 });
    const { updates, contributions: cs } = await contributions(fed, 4, 7);
    const agg = new RoundAggregator(fed.cfg);
    const [c0, c1, c2, c3] = cs as [Contribution, Contribution, Contribution, Contribution];
    await agg.add(c0);
    await expect(agg.add(c0)).rejects.toBeInstanceOf(DuplicateError);
    await expect(agg.add({ ...c1, round: 2 })).rejects.toBeInstanceOf(WrongRoundError);
    await expect(agg.add({ ...c1, federation: 'other' })).rejects.toBeInstanceOf(WrongRoundError);
    await expect(agg.add({ ...c1, masked: [c1.masked[0].subarray(1), c1.masked[1]] })).rejects.toBeInstanceOf(
      MalformedInputError,
    );
    await expect(
      agg.add({ ...c1, masked: [c1.masked[0], new Uint32Array(300).fill(0xffffffff)] }),
    ).rejects.toBeInstanceOf(MalformedInputError);
    await expect(agg.add({ ...c1, sealed: c1.sealed.slice(1) })).rejects.toBeInstanceOf(MalformedInputError);
    await expect(agg.add({ ...c1, ephemeralPublic: new Uint8Array(3) })).rejects.toBeInstanceOf(MalformedInputError);
    await expect(agg.add({ ...c1, clientId: '' })).rejects.toBeInstanceOf(MalformedInputError);
    await agg.add(c1);
    await agg.add(c2);
    expect(agg.contributions).toBe(3);
    const cut = agg.closeContributions();
    await expect(agg.add(c3)).rejects.toBeInstanceOf(LateError);
    const r0 = await answerJob(fed.cfg, cut.jobs[0] as CommitteeJob, fed.members[0]!);
    agg.receive(r0);
    expect(() => agg.receive(r0)).toThrow(DuplicateError);
    const r1 = await answerJob(fed.cfg, cut.jobs[1] as CommitteeJob, fed.members[1]!);
    expect(() => agg.receive({ ...r1, round: 9 })).toThrow(WrongRoundError);
    expect(() => agg.receive({ ...r1, memberIndex: 7 })).toThrow(MalformedInputError);
    expect(() => agg.receive({ ...r1, sum: r1.sum.subarray(2) })).toThrow(MalformedInputError);
    agg.receive(r1);
    agg.receive(await answerJob(fed.cfg, cut.jobs[2] as CommitteeJob, fed.members[2]!));
    const res = await agg.unmask();
    expect(res.sum).toEqual(plainSum(updates, [0, 1, 2], 300));
    const r3 = await answerJob(fed.cfg, cut.jobs[3] as CommitteeJob, fed.members[3]!);
    expect(() => agg.receive(r3)).toThrow(LateError);
  });

  it('the aggregator refuses contributions beyond n_max (the decoding budget)', async () => {
    const fed = makeFederation(50, { m: 3, tRec: 2, rho: 1 });
    const cfg = { ...fed.cfg, nMax: 2 };
    const { contributions: cs } = await contributions({ ...fed, cfg }, 3, 9);
    const agg = new RoundAggregator(cfg);
    await agg.add(cs[0]!);
    await agg.add(cs[1]!);
    await expect(agg.add(cs[2]!)).rejects.toBeInstanceOf(CapacityError);
    expect(agg.contributions).toBe(2);
  });

  it('a trainer refuses out-of-range updates and bad configurations', async () => {
    const fed = makeFederation(10, { m: 3, tRec: 2, rho: 1 });
    const u = new Int32Array(10);
    u[3] = 40000;
    await expect(buildContribution(fed.cfg, 'a', u)).rejects.toBeInstanceOf(MalformedInputError);
    await expect(buildContribution(fed.cfg, 'a', new Int32Array(9))).rejects.toBeInstanceOf(MalformedInputError);
    await expect(
      buildContribution({ ...fed.cfg, memberKeys: fed.cfg.memberKeys.slice(1) }, 'a', new Int32Array(10)),
    ).rejects.toBeInstanceOf(MalformedInputError);
    await expect(
      buildContribution({ ...fed.cfg, committee: { m: 3, tRec: 2, rho: 2 } }, 'a', new Int32Array(10)),
    ).rejects.toThrow(/ρ/);
  });

  it('a member answers once per round and only for itself', async () => {
    const fed = makeFederation(50, { m: 3, tRec: 2, rho: 1 });
    const { contributions: cs } = await contributions(fed, 3, 8);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs) await agg.add(c);
    const cut = agg.closeContributions();
    const member = new CommitteeMember(fed.members[0]!);
    await member.answer(fed.cfg, cut.jobs[0] as CommitteeJob);
    await expect(member.answer(fed.cfg, cut.jobs[0] as CommitteeJob)).rejects.toBeInstanceOf(DuplicateError);
    await expect(answerJob(fed.cfg, cut.jobs[1] as CommitteeJob, fed.members[0]!)).rejects.toBeInstanceOf(
      MalformedInputError,
    );
    await expect(
      answerJob({ ...fed.cfg, round: 2 }, cut.jobs[0] as CommitteeJob, fed.members[0]!),
    ).rejects.toBeInstanceOf(WrongRoundError);
  });

  it('a member refuses a survivor set smaller than its own minimum, or listing a trainer twice', async () => {
    const fed = makeFederation(50, { m: 3, tRec: 2, rho: 1 });
    const { contributions: cs } = await contributions(fed, 4, 12);
    const agg = new RoundAggregator(fed.cfg);
    for (const c of cs) await agg.add(c);
    const job = agg.closeContributions().jobs[0] as CommitteeJob;
    const ctx = { federation: fed.cfg.federation, round: fed.cfg.round };
    // the server isolates one trainer (or two): a correct H_S over the smaller set does not help it
    for (const keep of [1, 2]) {
      const survivors = job.survivors.slice(0, keep);
      const small = { ...job, survivors, survivorHash: survivorHash(ctx, survivors), slots: job.slots.slice(0, keep) };
      await expect(answerJob(fed.cfg, small, fed.members[0]!)).rejects.toBeInstanceOf(TooFewSurvivorsError);
    }
    // four trainers pass the default of 3, not a member's own stricter 5
    await expect(answerJob(fed.cfg, job, fed.members[0]!)).resolves.toBeDefined();
    await expect(answerJob(fed.cfg, job, fed.members[0]!, { minSurvivors: 5 })).rejects.toBeInstanceOf(
      TooFewSurvivorsError,
    );
    // a policy below 3 is not a policy a member may take
    await expect(answerJob(fed.cfg, job, fed.members[0]!, { minSurvivors: 2 })).rejects.toBeInstanceOf(ParameterError);
    // the victim listed three times to pass the count: S must be sorted and unique (H_S, §13)
    const first = job.survivors[0]!;
    const slot = job.slots[0]!;
    const padded = { ...job, survivors: [first, first, first], slots: [slot, slot, slot] };
    await expect(answerJob(fed.cfg, padded, fed.members[0]!)).rejects.toBeInstanceOf(MalformedInputError);
  });
});
