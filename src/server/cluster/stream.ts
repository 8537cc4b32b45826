/**
 * The JetStream pieces of a clustered federation (docs/cluster.md §2): one stream of
 * contributions, `SO_CONTRIB_<fed>`, subjects `so.<fed>.contrib.<round>`, kept for the round
 * (limits retention: a dead worker's messages are redelivered; the coordinator can read any
 * survivor's sealed slices back), deduplicated by message id `<round>.<client>` so a gateway's
 * or trainer's re-send of the same message is stored once; and one key-value bucket,
 * `so_<fed>`, for claims (`c.<round>.<h>`: which partial covers a contribution) and committed
 * partial sums (`p.<round>.<partial>`).
 */
import { createHash } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type NatsConnection, nanos } from '@nats-io/transport-node';

/** Stream, bucket and subject names may hold only [A-Za-z0-9_-]. */
function token(federation: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(federation))
    throw new RangeError(`federation id ${JSON.stringify(federation)} cannot name a stream`);
  return federation;
}

export const names = (federation: string) => {
  const f = token(federation);
  return {
    stream: `SO_CONTRIB_${f}`,
    subject: (round: number) => `so.${f}.contrib.${round}`,
    all: `so.${f}.contrib.>`,
    bucket: `so_${f}`,
    consumer: `aggregators_${f}`,
  };
};

/** The key of a contribution's claim: client ids may hold characters keys cannot. */
export function claimKey(round: number, clientId: string): string {
  return `c.${round}.${createHash('sha256').update(clientId).digest('hex').slice(0, 32)}`;
}

export const partialKey = (round: number, partial: string): string => `p.${round}.${partial}`;

export interface ClusterSetup {
  /** JetStream replicas of the stream and the bucket (3 on a 3-node NATS cluster). */
  replicas?: number;
  /** How long a worker has to commit before its messages are redelivered. */
  ackWaitMs?: number;
  /** JetStream's deduplication window for message ids. */
  duplicateWindowMs?: number;
}

/** Creates (or keeps) the stream, the workers' shared durable consumer and the bucket. */
export async function ensureCluster(
  nc: NatsConnection,
  federation: string,
  o: ClusterSetup = {},
): Promise<{ jsm: JetStreamManager; kv: KV }> {
  const n = names(federation);
  const jsm = await jetstreamManager(nc);
  const replicas = o.replicas ?? 1;
  try {
    await jsm.streams.info(n.stream);
  } catch {
    await jsm.streams.add({
      name: n.stream,
      subjects: [n.all],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: nanos(o.duplicateWindowMs ?? 10 * 60_000),
      max_age: nanos(24 * 3_600_000),
    });
  }
  try {
    await jsm.consumers.info(n.stream, n.consumer);
  } catch {
    await jsm.consumers.add(n.stream, {
      durable_name: n.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(o.ackWaitMs ?? 10_000),
      max_ack_pending: 100_000,
    });
  }
  const kv = await new Kvm(nc).create(n.bucket, { history: 1, replicas, storage: StorageType.File });
  return { jsm, kv };
}
