/**
 * The aggregation data plane over a real nats-server (docs/cluster.md): contributions published
 * once (a re-send is a duplicate), summed by two workers sharing a durable consumer, one of them
 * killed mid-stream and one contribution's claim left by a worker that died before committing;
 * the committed partial sums that count cover every contribution exactly once and add up to the
 * exact Σy.
 */
import { randomBytes } from 'node:crypto';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRIMES } from '../../secagg/field.js';
import { packResidues } from '../../secagg/packing.js';
import { encodeMessage } from '../../wire/codec.js';
import { type NatsServer, natsServerPath, startNatsCluster, startNatsServer } from '../../../test/support/nats.js';
import { roundAggregate } from './collect.js';
import { PartialSumError, decodePartial, encodePartial, mergePartials } from './partial.js';
import { ContributionPublisher } from './publish.js';
import { claimKey, ensureCluster } from './stream.js';
import { AggregationWorker } from './worker.js';

const HAVE_NATS = natsServerPath() !== undefined;
const L = 300;
const FED = 'fed-cluster-test';

function randomResidues(q: number): Uint32Array {
  const out = new Uint32Array(L);
  const b = new Uint32Array(randomBytes(4 * L).buffer);
  for (let i = 0; i < L; i++) out[i] = (b[i] as number) % q;
  return out;
}

let nats: NatsServer | undefined;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  if (HAVE_NATS) nats = await startNatsServer();
}, 20_000);

afterAll(async () => {
  for (const c of conns) await c.close().catch(() => undefined);
  await nats?.stop();
});

async function conn(servers: string | string[] = (nats as NatsServer).url): Promise<NatsConnection> {
  const c = await connect({ servers });
  conns.push(c);
  return c;
}

/** n contributions of round 1 (random masked vectors), their exact Σy, and a publisher of them. */
function contributions(n: number, prefix: string) {
  const expected = [new Float64Array(L), new Float64Array(L)];
  const items = Array.from({ length: n }, (_, i) => {
    const y1 = randomResidues(PRIMES[0]);
    const y2 = randomResidues(PRIMES[1]);
    for (let j = 0; j < L; j++) {
      expected[0]![j] = ((expected[0]![j] as number) + (y1[j] as number)) % PRIMES[0];
      expected[1]![j] = ((expected[1]![j] as number) + (y2[j] as number)) % PRIMES[1];
    }
    const frame = encodeMessage({
      t: 'contribution',
      round: 1,
      y1: packResidues(y1),
      y2: packResidues(y2),
      eph: randomBytes(32),
      sealed: [],
    });
    return { id: `${prefix}-${i}`, frame };
  });
  return { items, expected };
}

/** Polls the round's aggregate until it covers n contributions; a JetStream request that times
 * out (a leader election after a node died) is retried, as the coordinator does. */
async function waitCovered(
  nc: NatsConnection,
  kv: Parameters<typeof roundAggregate>[1],
  n: number,
  timeoutMs = 40_000,
) {
  let agg: Awaited<ReturnType<typeof roundAggregate>>;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    agg = await roundAggregate(nc, kv, 1, L).catch((e: unknown) => {
      if (Date.now() > deadline) throw e;
      return undefined;
    });
    if ((agg?.covers.length ?? 0) >= n || Date.now() > deadline) return agg;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('partial sums', () => {
  it('round-trip through their encoding and refuse to count a contribution twice', () => {
    const y: [Uint32Array, Uint32Array] = [randomResidues(PRIMES[0]), randomResidues(PRIMES[1])];
    const p = { round: 3, length: L, partial: 'w-a-3', worker: 'w', covers: [{ id: 'a', seq: 1 }], y };
    const back = decodePartial(encodePartial(p));
    expect(back).toEqual(p);
    expect(() => mergePartials(L, [p, { ...p, partial: 'w-b-3' }])).toThrow(PartialSumError);
    expect(() => decodePartial(new Uint8Array([1, 2, 3]))).toThrow(PartialSumError);
  });
});

describe.skipIf(!HAVE_NATS)('the aggregation data plane over JetStream', () => {
  it('two workers, one killed mid-stream and a dead claim: every contribution counted exactly once', async () => {
    const nc = await conn();
    const { kv } = await ensureCluster(nc, FED, { ackWaitMs: 1_500 });
    const pub = new ContributionPublisher(nc, FED);
    const round = 1;
    const n = 200;
    const expected = [new Float64Array(L), new Float64Array(L)];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const y1 = randomResidues(PRIMES[0]);
      const y2 = randomResidues(PRIMES[1]);
      for (let j = 0; j < L; j++) {
        expected[0]![j] = ((expected[0]![j] as number) + (y1[j] as number)) % PRIMES[0];
        expected[1]![j] = ((expected[1]![j] as number) + (y2[j] as number)) % PRIMES[1];
      }
      const id = `trainer-${i}`;
      ids.push(id);
      const frame = encodeMessage({
        t: 'contribution',
        round,
        y1: packResidues(y1),
        y2: packResidues(y2),
        eph: randomBytes(32),
        sealed: [],
      });
      const first = await pub.publish(round, id, L, frame);
      expect(first.duplicate).toBe(false);
      // A re-send of the same message (its gateway died before answering) is stored once.
      if (i % 20 === 0) expect((await pub.publish(round, id, L, frame)).duplicate).toBe(true);
    }
    // A worker that claimed one contribution and died before committing its partial.
    await kv.create(claimKey(round, 'trainer-7'), new TextEncoder().encode('w-dead-000000000000'));

    const doomedConn = await conn();
    const doomed = await AggregationWorker.start(doomedConn, { federation: FED, batch: 16, claimTtlMs: 500 });
    const steady = await AggregationWorker.start(await conn(), { federation: FED, batch: 16, claimTtlMs: 500 });
    // Kill one worker's connection while batches are in flight: its unacked messages come back.
    while (doomed.committed + steady.committed < 40) await new Promise((r) => setTimeout(r, 20));
    await doomedConn.close();

    let agg = await roundAggregate(nc, kv, round, L);
    const deadline = Date.now() + 40_000;
    while ((agg?.covers.length ?? 0) < n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      agg = await roundAggregate(nc, kv, round, L);
    }
    await doomed.stop();
    await steady.stop();
    expect(agg).toBeDefined();
    expect(agg!.covers.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(Array.from(agg!.y[0])).toEqual(Array.from(expected[0]!));
    expect(Array.from(agg!.y[1])).toEqual(Array.from(expected[1]!));
    expect(steady.committed).toBeGreaterThan(0);
  }, 90_000);
});

describe.skipIf(!HAVE_NATS)('a 3-node NATS cluster with R3 storage', () => {
  it('one node killed mid-stream: nothing acknowledged is lost, and the sum is exact', async () => {
    const cluster = await startNatsCluster(3);
    try {
      const nc = await conn(cluster.urls);
      const fed = 'fed-r3-test';
      // The JetStream meta leader is elected a moment after the nodes start.
      let setup: Awaited<ReturnType<typeof ensureCluster>> | undefined;
      for (let i = 0; !setup; i++) {
        try {
          setup = await ensureCluster(nc, fed, { replicas: 3, ackWaitMs: 1_500 });
        } catch (e) {
          if (i > 50) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const { kv } = setup;
      const pub = new ContributionPublisher(nc, fed);
      const { items, expected } = contributions(120, 'r3');
      for (const it of items.slice(0, 60)) expect((await pub.publish(1, it.id, L, it.frame)).duplicate).toBe(false);
      const worker = await AggregationWorker.start(await conn(cluster.urls), {
        federation: fed,
        batch: 8,
        claimTtlMs: 500,
      });
      while (worker.committed < 16) await new Promise((r) => setTimeout(r, 20));
      cluster.nodes[0]!.kill(); // kill -9 of one node; the stream keeps a quorum of two
      for (const it of items.slice(60)) {
        // A publish in flight when the node died is re-sent: the same message id, stored once.
        for (let tries = 0; ; tries++) {
          try {
            await pub.publish(1, it.id, L, it.frame);
            break;
          } catch (e) {
            if (tries > 50) throw e;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
      const agg = await waitCovered(nc, kv, 120, 90_000);
      await worker.stop();
      expect(agg?.covers.map((c) => c.id).sort()).toEqual(items.map((i) => i.id).sort());
      expect(Array.from(agg!.y[0])).toEqual(Array.from(expected[0]!));
      expect(Array.from(agg!.y[1])).toEqual(Array.from(expected[1]!));
    } finally {
      await cluster.stop();
    }
  }, 150_000);
});
