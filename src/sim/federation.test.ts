/**
 * Real one-shot rounds over WebSocket on 127.0.0.1 with headless participants. Exactness is
 * checked against the trainers' quantized updates as the harness recorded them — never
 * against anything the server reveals about individuals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MlEvaluator } from '../client/trainers/ml-evaluator.js';
import { MlTrainer } from '../client/trainers/ml-trainer.js';
import { applyAggregate } from '../ml/federated.js';
import { partitionDataset } from '../ml/partition.js';
import { generateSynthetic } from '../ml/synthetic.js';
import { dequantizeMean } from '../secagg/index.js';
import type { FederationEvent } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { dropFirst, plaintextSum } from '../../test/support/participants.js';
import { type SimParticipant, startParticipant } from './harness.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;
type Failed = Extract<FederationEvent, { type: 'round_failed' }>;

let server: TestServer | undefined;
let parts: SimParticipant[] = [];

afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  await server?.stop();
  server = undefined;
});

const data = generateSynthetic({ rows: 6000, fraudRate: 0.02, seed: 3 });

const heldOutData = generateSynthetic({ rows: 3000, fraudRate: 0.05, seed: 9 });

function trainers(
  n: number,
  s: TestServer,
  dropAt?: Parameters<typeof startParticipant>[0]['dropAt'],
): SimParticipant[] {
  const shards = partitionDataset(data, { clients: n, seed: 5 });
  const heldOut = partitionDataset(heldOutData, { clients: n, seed: 5 });
  return shards.map((d, i) =>
    startParticipant({
      url: s.wsUrl,
      token: s.token,
      train: true,
      committee: false,
      trainer: new MlTrainer(d, i),
      evaluator: new MlEvaluator(heldOut[i]!),
      label: `t${i}`,
      ...(dropAt ? { dropAt } : {}),
    }),
  );
}

function members(
  n: number,
  s: TestServer,
  dropAt?: Parameters<typeof startParticipant>[0]['dropAt'],
): SimParticipant[] {
  return Array.from({ length: n }, (_, i) =>
    startParticipant({
      url: s.wsUrl,
      token: s.token,
      train: false,
      committee: true,
      label: `m${i}`,
      ...(dropAt ? { dropAt } : {}),
    }),
  );
}

describe('secure rounds over WebSocket', () => {
  it('8 trainers + 5 members, 3 rounds: exact sums and the plaintext FedAvg model', async () => {
    server = await startTestServer({
      committee: { m: 5, tRec: 4, rho: 2 },
      minTrainers: 8,
      firstRoundParticipants: 13,
      rounds: 3,
      epochs: 1,
      batchSize: 64,
      submitMs: 60_000,
      committeeMs: 30_000,
    });
    const s = server;
    const initial = s.fed.globalWeights.slice();
    const ts = trainers(8, s);
    parts = [...ts, ...members(5, s)];
    await s.events.waitFor((e) => e.type === 'finished', 120_000, 'three rounds');
    for (let round = 1; round <= 3; round++) {
      const done = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === round);
      const agg = await s.decoded.waitFor((d) => d.round === round);
      expect(done.survivors).toHaveLength(8);
      expect(done.membersAnswered).toHaveLength(5);
      expect(done.version).toBe(round);
      // secure metrics: the starting model evaluated on all trainers' held-out rows, summed
      expect(done.metrics?.version).toBe(round - 1);
      expect(done.metrics?.n).toBe(heldOutData.size);
      expect(done.metrics?.frauds).toBe(heldOutData.labels.reduce((a, b) => a + b, 0));
      expect(done.metrics!.auc_pr).toBeGreaterThan(0);
      expect(done.preview.masked.length).toBeGreaterThan(0);
      // exact: the decoded sum is the sum of what the trainers quantized
      const plain = plaintextSum(ts, round, done.survivors);
      expect(plain).toBeDefined();
      expect(agg.sum).toEqual(plain);
      // the model equals plaintext FedAvg (src/ml) of the same float updates, up to quantization
      const updates = ts.map((t) => t.trained.get(round)!);
      const start = updates[0]!.global;
      if (round === 1) expect(start).toEqual(initial);
      const weighted = new Float64Array(start.length);
      let wsum = 0;
      for (const u of updates) {
        expect(u.global).toEqual(start);
        for (let i = 0; i < weighted.length; i++)
          weighted[i] = (weighted[i] as number) + u.numSamples * (u.delta[i] as number);
        wsum += u.numSamples;
      }
      const reference = applyAggregate(start, weighted, wsum);
      // the update and its weight coordinate come first; secure-metric digits follow
      const fromServer = dequantizeMean(agg.sum.slice(0, start.length + 1), { bits: 16, clip: s.config.clip });
      expect(fromServer.weightSum).toBeCloseTo(wsum / s.config.weightCap, 3);
      const after = round < 3 ? ts[0]!.trained.get(round + 1)!.global : s.fed.globalWeights;
      let maxErr = 0;
      let moved = 0;
      for (let i = 0; i < reference.length; i++) {
        maxErr = Math.max(maxErr, Math.abs((after[i] as number) - (reference[i] as number)));
        moved = Math.max(moved, Math.abs((after[i] as number) - (start[i] as number)));
      }
      // each trainer's stochastic rounding is off by < 1 unit of clip/(2^15 − 1) in w·Δ, so the
      // mean is off by < (n + 1)·clip/((2^15 − 1)·Σw) (the +1 for the weight coordinate)
      for (const u of updates) expect(Math.max(...Array.from(u.delta, Math.abs))).toBeLessThan(s.config.clip); // nothing clipped
      expect(maxErr).toBeLessThan(((updates.length + 1) * s.config.clip) / (32767 * fromServer.weightSum) + 1e-6);
      expect(moved).toBeGreaterThan(100 * maxErr); // the round really changed the model
    }
    // every trainer saw the new version
    for (const t of ts) await t.events.waitFor((e) => e.type === 'result' && e.round === 3 && e.ok);
  });

  it('30 % of trainers and m − t_rec members drop: rounds complete; one more silent member fails loudly; the next round succeeds', async () => {
    // 7,5,3 tolerates d_max = 2 silent members and is subset-safe (2·5 > 7 + 2)
    server = await startTestServer({
      committee: { m: 7, tRec: 5, rho: 3 },
      minTrainers: 4,
      firstRoundParticipants: 22,
      rounds: 3,
      epochs: 1,
      batchSize: 64,
      submitMs: 60_000,
      committeeMs: 30_000,
    });
    const s = server;
    // round 1: of 10 trainers, 1 crashes before training, 1 before sending, 1 right after sending
    const trainerDrops = [
      dropFirst(1, 'before-train', 1),
      dropFirst(1, 'before-send', 1),
      dropFirst(1, 'after-send', 1),
    ];
    const ts = trainers(10, s, (r, p) => trainerDrops.some((d) => d(r, p)));
    // round 1: 2 members silent (= m − t_rec); round 2: 3 members silent (one too many)
    const memberDrops = [dropFirst(1, 'before-answer', 2), dropFirst(2, 'before-answer', 3)];
    // 12 volunteers: after the 5 crashed members of rounds 1 and 2, round 3 still draws 7
    const ms = members(12, s, (r, p) => memberDrops.some((d) => d(r, p)));
    parts = [...ts, ...ms];

    const r1 = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 1, 60_000, 'round 1');
    expect(r1.survivors).toHaveLength(8); // the one that crashed after sending is counted
    expect(r1.membersAnswered).toHaveLength(5);
    const agg1 = await s.decoded.waitFor((d) => d.round === 1);
    expect(agg1.sum).toEqual(plaintextSum(ts, 1, r1.survivors));
    const cut1 = await s.events.waitFor((e) => e.type === 'cutoff' && e.round === 1);
    expect(cut1.type === 'cutoff' && cut1.dropped).toHaveLength(2);

    const weightsBefore = s.fed.globalWeights.slice();
    const r2 = await s.events.waitFor(
      (e): e is Failed => e.type === 'round_failed' && e.round === 2,
      60_000,
      'round 2 failure',
    );
    expect(r2.code).toBe('THRESHOLD_NOT_MET');
    expect(r2.version).toBe(1);
    expect(s.fed.version).toBe(1);
    expect(s.fed.globalWeights).toEqual(weightsBefore);
    // the trainers hear about the failure with the reason
    const live = ts.filter((t) => t.engine.state.connection === 'open');
    const told = await live[0]!.events.waitFor((e) => e.type === 'result' && e.round === 2);
    expect(told.type === 'result' && !told.ok && told.reason).toMatch(/needed/);

    const r3 = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 3, 60_000, 'round 3');
    expect(r3.version).toBe(2);
    const agg3 = await s.decoded.waitFor((d) => d.round === 3);
    expect(agg3.sum).toEqual(plaintextSum(ts, 3, r3.survivors));
  });
});
