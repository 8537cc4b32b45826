/**
 * The coordinator's view of a round's aggregation (docs/cluster.md §4): the committed partial
 * sums that count — those whose every contribution's claim still names them — merged into the
 * round's Σy with the exact list of contributions it covers (the survivor set S is that list).
 * Partials whose claims were taken over are void and ignored; the ones that count are disjoint by
 * construction, and mergePartials refuses any overlap all the same.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { type Covered, type PartialSum, decodePartial, mergePartials } from './partial.js';
import { claimKey } from './stream.js';

const dec = new TextDecoder();

export interface RoundAggregate {
  readonly covers: Covered[];
  readonly y: [Uint32Array, Uint32Array];
  /** Committed partials counted, and void ones ignored. */
  readonly partials: number;
  readonly void: number;
}

/**
 * Every current value under a key pattern, read in one pass (not one request per key: a round of
 * 10^5 trainers has 10^5 claims). It reads through a consumer of its own with the bucket's
 * replicas, so that the loss of one NATS node cannot leave it placed on the dead node (a KV
 * watcher's ephemeral consumer is R1: on nats-server 2.9 its creation can time out for tens of
 * seconds after a node dies, until the node is marked offline). The consumer is deleted after,
 * and expires by itself if this process dies first.
 */
export async function snapshot(nc: NatsConnection, kv: KV, pattern: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const status = await kv.status();
  const stream = status.streamInfo.config.name;
  const prefix = `$KV.${status.bucket}.`;
  const jsm = await jetstreamManager(nc);
  const name = `snap_${randomBytes(8).toString('hex')}`;
  const info = await jsm.consumers.add(stream, {
    name,
    durable_name: name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.LastPerSubject,
    filter_subject: prefix + pattern,
    num_replicas: status.streamInfo.config.num_replicas,
    inactive_threshold: nanos(60_000),
  });
  try {
    let pending = info.num_pending;
    const consumer = await jetstream(nc).consumers.get(stream, name);
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 10_000), expires: 5_000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        const key = m.subject.slice(prefix.length);
        const op = m.headers?.get('KV-Operation');
        if (op === 'DEL' || op === 'PURGE') out.delete(key);
        else out.set(key, m.data);
        pending = m.info.pending;
        if (pending === 0) break;
      }
      if (!got) throw new Error(`snapshot of ${pattern}: no messages while ${pending} were pending`);
    }
  } finally {
    await jsm.consumers.delete(stream, name).catch(() => undefined);
  }
  return out;
}

export async function committedPartials(
  nc: NatsConnection,
  kv: KV,
  round: number,
): Promise<{ valid: PartialSum[]; void: number }> {
  const partials = [...(await snapshot(nc, kv, `p.${round}.>`)).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const claims = await snapshot(nc, kv, `c.${round}.>`);
  const valid: PartialSum[] = [];
  let voided = 0;
  for (const [, value] of partials) {
    const p = decodePartial(value);
    const batch = p.partial.slice(0, p.partial.lastIndexOf('-'));
    const ours = p.covers.every((c) => {
      const claim = claims.get(claimKey(round, c.id));
      return claim !== undefined && dec.decode(claim) === batch;
    });
    if (ours) valid.push(p);
    else voided++;
  }
  return { valid, void: voided };
}

/** Σy and S of a round from its committed partials; undefined when none is committed. */
export async function roundAggregate(
  nc: NatsConnection,
  kv: KV,
  round: number,
  length: number,
): Promise<RoundAggregate | undefined> {
  const { valid, void: voided } = await committedPartials(nc, kv, round);
  if (!valid.length) return undefined;
  const { covers, y } = mergePartials(length, valid);
  return { covers, y, partials: valid.length, void: voided };
}
