/**
 * A gateway's side of a contribution (docs/cluster.md §2): publish the validated frame to the
 * federation's stream and wait for JetStream's acknowledgement before acknowledging the trainer
 * — a gateway that dies loses nothing it has acked. The message id `<round>.<client>` makes a
 * re-send of the same message (the trainer's, after its gateway died) a duplicate JetStream
 * stores once.
 */
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { type NatsConnection, headers } from '@nats-io/transport-node';
import { names } from './stream.js';

export interface Published {
  /** The message's sequence in the stream. */
  readonly seq: number;
  /** True when JetStream already had this message id: stored once. */
  readonly duplicate: boolean;
}

export class ContributionPublisher {
  private readonly js: JetStreamClient;
  private readonly n: ReturnType<typeof names>;

  constructor(nc: NatsConnection, federation: string) {
    this.js = jetstream(nc);
    this.n = names(federation);
  }

  async publish(round: number, clientId: string, length: number, frame: Uint8Array): Promise<Published> {
    const h = headers();
    h.set('so-round', String(round));
    h.set('so-client', clientId);
    h.set('so-length', String(length));
    const ack = await this.js.publish(this.n.subject(round), frame, { msgID: `${round}.${clientId}`, headers: h });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }
}
