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
import { type NatsServer, natsServerPath, startNatsServer } from '../../../test/support/nats.js';
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

async function conn(): Promise<NatsConnection> {
  const c = await connect({ servers: (nats as NatsServer).url });
  conns.push(c);
  return c;
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

    let agg = await roundAggregate(kv, round, L);
    const deadline = Date.now() + 40_000;
    while ((agg?.covers.length ?? 0) < n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      agg = await roundAggregate(kv, round, L);
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
