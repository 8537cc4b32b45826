/**
 * An aggregation worker (docs/cluster.md §3): it pulls contributions from the federation's
 * stream through the shared durable consumer (several workers share the load), and for each
 * batch: claims every contribution in the key-value bucket for a fresh partial id (create-only:
 * one claim per contribution), sums the claimed masked vectors, commits the partial sum with the
 * exact list it covers, checks its claims still name it, and only then acks. A redelivered
 * message whose claim names a committed partial is acked without being added again; a claim of a
 * partial never committed (its worker died) is taken over after `claimTtlMs` by compare-and-set.
 * The coordinator counts a partial only if every claim of its contributions names it
 * (collect.ts), so partials it counts are disjoint by construction.
 */
import { randomBytes } from 'node:crypto';
import { type Consumer, type JsMsg, jetstream } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { PRIMES } from '../../secagg/field.js';
import { unpackResidues } from '../../secagg/packing.js';
import { decodeClientMessage } from '../../wire/codec.js';
import type { Logger } from '../log.js';
import { type Covered, SumAccumulator, encodePartial } from './partial.js';
import { claimKey, ensureCluster, names, partialKey } from './stream.js';

export interface WorkerOptions {
  readonly federation: string;
  readonly worker?: string;
  /** Messages per batch (one partial sum each). */
  readonly batch?: number;
  /** A claim older than this whose partial was never committed is taken over. */
  readonly claimTtlMs?: number;
  readonly maxMessageBytes?: number;
  readonly log?: Logger;
}

interface Claimed {
  msg: JsMsg;
  round: number;
  id: string;
  length: number;
  y1: Uint32Array;
  y2: Uint32Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class AggregationWorker {
  readonly worker: string;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Contributions this worker added to committed partials (for tests and /status). */
  committed = 0;

  private constructor(
    private readonly kv: KV,
    private readonly consumer: Consumer,
    private readonly o: WorkerOptions,
  ) {
    this.worker = o.worker ?? `w-${randomBytes(4).toString('hex')}`;
  }

  static async start(nc: NatsConnection, o: WorkerOptions): Promise<AggregationWorker> {
    const n = names(o.federation);
    const { kv } = await ensureCluster(nc, o.federation);
    const consumer = await jetstream(nc).consumers.get(n.stream, n.consumer);
    const w = new AggregationWorker(kv, consumer, o);
    w.loop = w.run();
    return w;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let msgs: JsMsg[] = [];
      try {
        const it = await this.consumer.fetch({ max_messages: this.o.batch ?? 64, expires: 1_000 });
        for await (const m of it) msgs.push(m);
      } catch (e) {
        if (this.stopped) return;
        this.o.log?.warn('worker_fetch_failed', { worker: this.worker, error: String(e) });
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (msgs.length)
        await this.batch(msgs).catch((e: unknown) => this.o.log?.error('worker_batch_failed', { error: String(e) }));
      msgs = [];
    }
  }

  /** One batch: parse, claim, sum, commit, verify, ack (per round). */
  private async batch(msgs: JsMsg[]): Promise<void> {
    const partial = `${this.worker}-${randomBytes(6).toString('hex')}`;
    const claimed: Claimed[] = [];
    for (const msg of msgs) {
      const c = this.parse(msg);
      if (!c) continue;
      const verdict = await this.claim(c.round, c.id, partial);
      if (verdict === 'mine') claimed.push(c);
      else if (verdict === 'covered') msg.ack();
      else msg.nak(500);
    }
    const byRound = new Map<number, Claimed[]>();
    for (const c of claimed) byRound.set(c.round, [...(byRound.get(c.round) ?? []), c]);
    for (const [round, cs] of byRound) await this.commit(round, `${partial}-${round}`, partial, cs);
  }

  private parse(msg: JsMsg): Claimed | undefined {
    const round = Number(msg.headers?.get('so-round'));
    const id = msg.headers?.get('so-client') ?? '';
    const length = Number(msg.headers?.get('so-length'));
    try {
      const m = decodeClientMessage(msg.data, this.o.maxMessageBytes ?? 64 * 1024 * 1024);
      if (m.t !== 'contribution' || m.round !== round || !id || !Number.isSafeInteger(length) || length < 1)
        throw new Error('not a contribution of its round');
      return {
        msg,
        round,
        id,
        length,
        y1: unpackResidues(m.y1, length, PRIMES[0], 'y1'),
        y2: unpackResidues(m.y2, length, PRIMES[1], 'y2'),
      };
    } catch (e) {
      // Gateways publish only validated contributions: this is a bug or tampering, never summed.
      this.o.log?.error('worker_bad_message', { seq: msg.seq, error: String(e) });
      msg.term();
      return undefined;
    }
  }

  /** 'mine' (claimed for `partial`), 'covered' (a committed partial has it) or 'busy' (retry later). */
  private async claim(round: number, id: string, partial: string): Promise<'mine' | 'covered' | 'busy'> {
    const key = claimKey(round, id);
    try {
      await this.kv.create(key, enc.encode(partial));
      return 'mine';
    } catch {
      const e = await this.kv.get(key);
      if (!e || e.operation !== 'PUT') return 'busy';
      const owner = dec.decode(e.value);
      const ownerPartial = `${owner}-${round}`;
      if (await this.kv.get(partialKey(round, ownerPartial)).then((p) => p?.operation === 'PUT')) return 'covered';
      if (Date.now() - e.created.getTime() < (this.o.claimTtlMs ?? 15_000)) return 'busy';
      try {
        await this.kv.update(key, enc.encode(partial), e.revision);
        return 'mine';
      } catch {
        return 'busy';
      }
    }
  }

  private async commit(round: number, key: string, batchId: string, cs: Claimed[]): Promise<void> {
    const length = (cs[0] as Claimed).length;
    const acc = new SumAccumulator(length);
    const covers: Covered[] = [];
    const kept: Claimed[] = [];
    for (const c of cs) {
      if (c.length !== length) {
        c.msg.nak(500);
        continue;
      }
      acc.add(c.y1, c.y2);
      covers.push({ id: c.id, seq: c.msg.seq });
      kept.push(c);
    }
    const y = acc.residues();
    await this.kv.put(
      partialKey(round, key),
      encodePartial({ round, length, partial: key, worker: this.worker, covers, y }),
    );
    // Still ours? A claim taken over meanwhile makes this partial void: withdraw it, redeliver.
    const lost: Claimed[] = [];
    for (const c of kept) {
      const e = await this.kv.get(claimKey(round, c.id));
      if (!e || dec.decode(e.value) !== batchId) lost.push(c);
    }
    if (lost.length) {
      await this.kv.delete(partialKey(round, key));
      for (const c of kept) c.msg.nak(200);
      this.o.log?.warn('partial_withdrawn', { worker: this.worker, round, lost: lost.length });
      return;
    }
    for (const c of kept) c.msg.ack();
    this.committed += kept.length;
  }

  /** Stops fetching; a batch in progress finishes (or is redelivered if the process dies). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
