/**
 * Differential privacy end to end (docs/dp.md §12), over real sockets with unmodified engines:
 * the secure sum of the noisy integer updates equals their plaintext sum exactly; the server
 * charges each decoded round and stops at its budget with an event, the model of the last
 * allowed round kept, also across a restart; a trainer whose own maximum ε is lower refuses
 * before training, and nothing leaves it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MlTrainer } from '../client/trainers/ml-trainer.js';
import { partitionDataset } from '../ml/partition.js';
import { generateSynthetic } from '../ml/synthetic.js';
import { paddedLength } from '../dp/rotation.js';
import type { FederationEvent, FederationStatus } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { plaintextSum } from '../../test/support/participants.js';
import type { ServerConfig } from '../server/config.js';
import { type SimParticipant, startParticipant } from './harness.js';
import type { PrivacyPolicy } from '../client/privacy.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: SimParticipant[] = [];

afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  await server?.stop();
  server = undefined;
});

const data = generateSynthetic({ rows: 3000, fraudRate: 0.03, seed: 11 });

function join_(s: TestServer, trainers: number, members: number, privacy?: (i: number) => PrivacyPolicy | undefined) {
  const shards = partitionDataset(data, { clients: trainers, seed: 2 });
  const ps = shards.map((d, i) => {
    const policy = privacy?.(i);
    return startParticipant({
      url: s.wsUrl,
      token: s.token,
      train: true,
      committee: false,
      trainer: new MlTrainer(d, i),
      label: `t${i}`,
      ...(policy ? { privacy: policy } : {}),
    });
  });
  const ms = Array.from({ length: members }, (_, i) =>
    startParticipant({ url: s.wsUrl, token: s.token, train: false, committee: true, label: `m${i}` }),
  );
  parts.push(...ps, ...ms);
  return ps;
}

const DP: Partial<ServerConfig> = {
  committee: { m: 4, tRec: 3, rho: 2 },
  minTrainers: 5,
  minSurvivors: 4,
  firstRoundParticipants: 9,
  epochs: 1,
  secureMetrics: false,
  dpNoiseMultiplier: 0.8,
  dpClip: 0.5,
  dpColluders: 1,
};

async function status(s: TestServer): Promise<FederationStatus> {
  return (await (await fetch(`${s.server.url}/status`)).json()) as FederationStatus;
}

describe('differential privacy over the secure sum', () => {
  it('noisy integer updates sum exactly; each decoded round is charged with |S| − colluders', async () => {
    server = await startTestServer({ ...DP, rounds: 2 });
    const ps = join_(server, 5, 4);
    for (const round of [1, 2]) {
      const done = (await server.events.waitFor(
        (e) => e.type === 'round_done' && e.round === round,
        120_000,
        `round ${round}`,
      )) as Done;
      const decoded = await server.decoded.waitFor((d) => d.round === round, 5_000, 'decoded sum');
      const expected = plaintextSum(ps, round, done.survivors);
      expect(expected).toBeDefined();
      expect(decoded.sum).toEqual(expected);
      // The masked vector holds d = 2^⌈log2 P⌉ privatized coordinates and the weight, no metrics.
      const params = server.fed.globalWeights.length;
      expect(decoded.sum.length).toBe(paddedLength(params) + 1);
      // Uniform weights: the weight coordinate counts the survivors.
      expect(decoded.sum.at(-1)).toBe(done.survivors.length * 32767);
      expect(done.privacy?.honest).toBe(done.survivors.length - 1);
      expect(done.privacy!.epsilon).toBeGreaterThan(done.privacy!.before);
    }
    // The trainers added noise: their integer vectors are not the rounded clipped deltas alone.
    const q = ps[0]!.quantized.get(1)!;
    const norm = Math.sqrt(q.slice(0, -1).reduce((a, x) => a + x * x, 0));
    const st = await status(server);
    const p = st.privacy!;
    expect(norm).toBeGreaterThan(0.5 * Math.sqrt(p.sigma2 * paddedLength(server.fed.globalWeights.length)));
    expect(p.rounds).toBe(2);
    expect(p.history.map((h) => h.round)).toEqual([1, 2]);
    expect(p.epsilon).toBe(p.history[1]!.epsilon);
    // Each trainer saw its own ε and its noise share.
    const seen = ps[0]!.events.events.filter((e) => e.type === 'privacy');
    expect(seen.length).toBe(2);
  }, 180_000);

  it('stops at the budget with an event, keeps the last allowed model, and stays stopped after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'speakonce-dp-'));
    // Price one worst-case round, then allow two and a half of them.
    server = await startTestServer({ ...DP, dataDir, rounds: 0 });
    const one = (await status(server)).privacy!.next;
    await server.stop();
    const budget = 2.5 * one;
    server = await startTestServer({ ...DP, dataDir, dpEpsilon: budget });
    join_(server, 5, 4);
    type Spent = Extract<FederationEvent, { type: 'privacy_budget_spent' }>;
    const spent = await server.events.waitFor(
      (e): e is Spent => e.type === 'privacy_budget_spent',
      240_000,
      'the budget to be spent',
    );
    const done = server.events.events.filter((e): e is Done => e.type === 'round_done');
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(spent.epsilon).toBeLessThanOrEqual(budget);
    expect(spent.next).toBeGreaterThan(budget);
    expect(spent.message).toMatch(/privacy budget spent: ε = [\d.]+ of [\d.]+/);
    const last = done.at(-1)!;
    expect(server.fed.version).toBe(last.version);
    expect(server.events.events.some((e) => e.type === 'round_started' && e.round > last.round)).toBe(false);
    const before = await status(server);
    expect(before.privacy?.exhausted).toBe(true);
    expect(before.phase).toBe('stopped');
    for (const p of parts) p.engine.stop();
    parts = [];
    await server.stop();
    // A restart rebuilds the accountant from the round log: the same ε, still no round.
    server = await startTestServer({ ...DP, dataDir, dpEpsilon: budget });
    const after = await status(server);
    expect(after.privacy?.epsilon).toBeCloseTo(before.privacy!.epsilon, 9);
    expect(after.privacy?.rounds).toBe(before.privacy?.rounds);
    join_(server, 5, 4);
    await server.events.waitFor((e) => e.type === 'privacy_budget_spent', 30_000, 'the budget event after restart');
    expect(server.events.events.some((e) => e.type === 'round_started')).toBe(false);
    expect(server.fed.version).toBe(last.version);
  }, 300_000);

  it('a trainer whose own maximum ε is lower refuses before training, and sends nothing', async () => {
    server = await startTestServer({ ...DP, rounds: 1, submitMs: 6_000 });
    const ps = join_(server, 6, 4, (i) => (i === 0 ? { maxEpsilon: 0.01 } : undefined));
    const done = await server.events.waitFor((e): e is Done => e.type === 'round_done', 120_000, 'round 1');
    const strict = ps[0]!;
    const refused = strict.events.events.find((e) => e.type === 'error' && e.code === 'DP_BUDGET');
    expect(refused && 'message' in refused ? refused.message : '').toMatch(/above the maximum ε = 0\.010 you accept/);
    expect(strict.events.events.some((e) => e.type === 'sent')).toBe(false);
    expect(strict.quantized.size).toBe(0);
    expect(done.survivors).not.toContain(strict.engine.state.clientId);
  }, 180_000);
});
