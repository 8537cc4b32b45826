/**
 * The observers of /events (Server-Sent Events), with backpressure: an observer that does not
 * read cannot make the server hold its events.
 *
 *   - each observer has a bounded buffer (`observerBufferBytes`): the bytes the socket has not
 *     taken yet, plus the live events queued while its replay is sent. One that falls behind it
 *     is disconnected (`observer_dropped`); it may reconnect and replay;
 *   - the replay (replay.ts) is streamed in batches of 64 KB, each written only when the socket
 *     has drained the previous ones (the event loop served between batches), within
 *     `observerReplayMs`; it is never built in memory per observer: its runs of events are
 *     Buffers made once and shared by all observers' sockets (replay-frames.ts);
 *   - observers are capped in all (`maxObservers`) and per address (`maxObserversPerAddress`): the
 *     next one is answered 503 with `{"code":"TOO_MANY_OBSERVERS"}` and Retry-After.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FederationEvent } from '../wire/events.js';
import type { Logger } from './log.js';
import { frameOf, replayBatches } from './replay-frames.js';

export interface ObserverLimits {
  maxObservers: number;
  maxObserversPerAddress: number;
  observerBufferBytes: number;
  observerReplayMs: number;
}

interface Observer {
  readonly res: ServerResponse;
  readonly address: string;
  /** False while the replay is being sent: live events wait in `pending`. */
  live: boolean;
  pending: Buffer[];
  pendingBytes: number;
}

/** Replay frames are written in batches of about this many bytes, the event loop served between batches. */
const REPLAY_CHUNK = 64 * 1024;

export class Subscribers {
  private readonly observers = new Set<Observer>();
  private readonly perAddress = new Map<string, number>();
  /** Observers dropped for falling behind, since start. */
  dropped = 0;
  /** Observers refused at the caps, since start. */
  refused = 0;

  constructor(
    private readonly limits: ObserverLimits,
    private readonly history: () => Iterable<FederationEvent>,
    private readonly log: Logger,
  ) {}

  get count(): number {
    return this.observers.size;
  }

  /** Answers GET /events: refused at the caps, else the replay streamed, then live events. */
  open(req: IncomingMessage, res: ServerResponse): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.observers.size >= this.limits.maxObservers || fromAddress >= this.limits.maxObserversPerAddress) {
      this.refused++;
      const all = this.observers.size >= this.limits.maxObservers;
      const message = all
        ? `the server has ${this.observers.size} observers, its limit`
        : `${fromAddress} observers from ${address}, the limit per address`;
      if (this.refused === 1 || this.refused % 100 === 0)
        this.log.warn('observer_refused', { address, message, refused: this.refused });
      const body = JSON.stringify({ error: message, code: 'TOO_MANY_OBSERVERS' });
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'retry-after': '10',
      });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const o: Observer = { res, address, live: false, pending: [], pendingBytes: 0 };
    this.observers.add(o);
    this.perAddress.set(address, fromAddress + 1);
    res.once('close', () => this.forget(o));
    res.write('retry: 2000\n\n');
    void this.replay(o);
  }

  /** Sends a live event to every observer, dropping those that fell behind. */
  broadcast(e: FederationEvent): void {
    if (!this.observers.size) return;
    const frame = frameOf(e);
    for (const o of this.observers) {
      if (!o.live) {
        o.pending.push(frame);
        o.pendingBytes += frame.length;
        if (o.pendingBytes > this.limits.observerBufferBytes) this.drop(o, 'live events queued behind its replay');
      } else if (o.res.writableLength + frame.length > this.limits.observerBufferBytes) {
        this.drop(o, 'it does not read its events');
      } else o.res.write(frame);
    }
  }

  closeAll(): void {
    for (const o of this.observers) o.res.end();
    this.observers.clear();
    this.perAddress.clear();
  }

  private async replay(o: Observer): Promise<void> {
    const deadline = Date.now() + this.limits.observerReplayMs;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const send = async (): Promise<boolean> => {
      // the shared runs (replay-frames.ts), not copies: one writev for the batch
      o.res.cork();
      let ok = true;
      for (const f of batch) ok = o.res.write(f);
      o.res.uncork();
      batch = [];
      batchBytes = 0;
      // many observers connecting at once share the event loop with everything else
      await new Promise((r) => setImmediate(r));
      if (!this.observers.has(o)) return false;
      // (the drain may have come while the loop was served)
      if (ok || !o.res.writableNeedDrain || (await this.drained(o, deadline - Date.now()))) return true;
      if (this.observers.has(o)) this.drop(o, `its replay was not read within ${this.limits.observerReplayMs} ms`);
      return false;
    };
    for (const f of replayBatches(this.history())) {
      batch.push(f);
      batchBytes += f.length;
      if (batchBytes >= REPLAY_CHUNK && !(await send())) return;
    }
    if (batch.length && !(await send())) return;
    const pending = o.pending;
    o.pending = [];
    o.pendingBytes = 0;
    o.live = true;
    for (const frame of pending) o.res.write(frame);
  }

  /** Resolves true once the response drains, false when it closes or `ms` pass first. */
  private drained(o: Observer, ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        o.res.off('drain', onDrain);
        o.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      o.res.once('drain', onDrain);
      o.res.once('close', onClose);
    });
  }

  private drop(o: Observer, why: string): void {
    this.forget(o);
    this.dropped++;
    this.log.info('observer_dropped', {
      address: o.address,
      why,
      buffered: o.res.writableLength,
      dropped: this.dropped,
    });
    o.res.destroy();
  }

  private forget(o: Observer): void {
    if (!this.observers.delete(o)) return;
    const n = (this.perAddress.get(o.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(o.address, n);
    else this.perAddress.delete(o.address);
  }
}
