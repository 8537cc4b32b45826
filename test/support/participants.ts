/**
 * Participants for the integration tests (src/sim/*.test.ts): a fast fake trainer that can be
 * held at a gate, a socket wrapper that records (and can rewrite) the frames a participant sends
 * and sends raw frames on its connection, test participants built on the product's one
 * participant builder (src/sim/harness.ts), their plaintext sums and drop policies, a raw
 * WebSocket client, and a logger that keeps its lines.
 */
import { decode } from '@msgpack/msgpack';
import WebSocket from 'ws';
import { enroll } from '../../src/client/enroll.js';
import { inProcessCrypto } from '../../src/client/crypto/in-process.js';
import type { CryptoRunner } from '../../src/client/crypto/types.js';
import type { AnsweredRounds, DropPoint, EngineEvent } from '../../src/client/engine.js';
import type { LocalTrainer, TrainInput, TrainOutput } from '../../src/client/trainers/types.js';
import type { SocketLike } from '../../src/client/transport.js';
import { type MemberIdentity, joinProof } from '../../src/secagg/index.js';
import { type Logger, createLogger } from '../../src/server/log.js';
import {
  EventLog,
  type SimParticipant,
  authorityFor,
  nodeSocket,
  signingKeyFor,
  startParticipant,
} from '../../src/sim/harness.js';
import { PlaintextBenchClient } from '../../src/sim/plaintext-client.js';
import { decodeServerMessage } from '../../src/wire/codec.js';
import { participantIdOf } from '../../src/wire/ids.js';
import type { ServerMessage } from '../../src/wire/messages.js';

/** A queue of received items, read in order (cheap for tens of thousands of request/replies). */
export class Inbox<T> {
  private readonly items: T[] = [];
  private cursor = 0;
  private waiter: ((x: T | undefined) => void) | undefined;
  private ended = false;

  push(x: T): void {
    this.items.push(x);
    this.wake();
  }

  /** No more items will come (the socket closed): a pending `next` resolves to undefined. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.cursor < this.items.length) {
      this.waiter = undefined;
      w(this.items[this.cursor++]);
    } else if (this.ended) {
      this.waiter = undefined;
      w(undefined);
    }
  }

  /** Drops everything received so far. */
  skipAll(): void {
    this.cursor = this.items.length;
  }

  /** The next unread item; undefined when the source ended first; rejects after the timeout. */
  next(timeoutMs = 10_000, what = 'a reply'): Promise<T | undefined> {
    if (this.cursor < this.items.length) return Promise.resolve(this.items[this.cursor++]);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiter = (x) => {
        clearTimeout(timer);
        resolve(x);
      };
    });
  }
}

/** A promise with its resolver, to hold a participant at a protocol point. */
export class Gate {
  readonly promise: Promise<void>;
  open!: () => void;
  constructor() {
    this.promise = new Promise((r) => (this.open = r));
  }
}

/** A deterministic small update (well inside the clip), instantly; optionally held per round. */
export class FakeTrainer implements LocalTrainer {
  readonly gates = new Map<number, Gate>();
  readonly started = new EventLog<number>();
  /** The global weights each round's training started from. */
  readonly inputs = new Map<number, Float32Array>();
  /** Rounds whose training returned. */
  readonly finished = new EventLog<number>();
  constructor(private readonly seed: number) {}

  hold(round: number): Gate {
    const g = new Gate();
    this.gates.set(round, g);
    return g;
  }

  async train(input: TrainInput, progress: (fraction: number) => void): Promise<TrainOutput> {
    this.inputs.set(input.round, input.weights.slice());
    this.started.push(input.round);
    await this.gates.get(input.round)?.promise;
    const delta = new Float32Array(input.weights.length);
    let x = (this.seed * 2654435761 + input.round * 40503) >>> 0;
    for (let i = 0; i < delta.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      delta[i] = (x / 2 ** 32 - 0.5) * 0.02;
    }
    progress(1);
    this.finished.push(input.round);
    return { delta, numSamples: 50 + this.seed };
  }
}

/**
 * Records what a participant's socket sends and receives; `rewrite` may replace outgoing frames;
 * `sendRaw` sends any bytes on the participant's open connection (malformed or replayed frames),
 * past the engine.
 */
export class Tap {
  readonly sent: Uint8Array[] = [];
  readonly received = new EventLog<ServerMessage>();
  readonly inbox = new Inbox<ServerMessage>();
  rewrite: ((bytes: Uint8Array) => Uint8Array | undefined) | undefined;
  private socket: SocketLike | undefined;

  factory = (url: string): SocketLike => {
    const inner = nodeSocket(url);
    this.socket = inner;
    const record = (m: ServerMessage): void => {
      this.received.push(m);
      this.inbox.push(m);
    };
    let onmessage: SocketLike['onmessage'] = null;
    const wrapper: SocketLike = {
      get binaryType() {
        return inner.binaryType;
      },
      set binaryType(v: string) {
        inner.binaryType = v;
      },
      get readyState() {
        return inner.readyState;
      },
      get onopen() {
        return inner.onopen;
      },
      set onopen(f) {
        inner.onopen = f;
      },
      get onclose() {
        return inner.onclose;
      },
      set onclose(f) {
        inner.onclose = f;
      },
      get onerror() {
        return inner.onerror;
      },
      set onerror(f) {
        inner.onerror = f;
      },
      get onmessage() {
        return onmessage;
      },
      set onmessage(f) {
        onmessage = f;
        inner.onmessage = (ev) => {
          const d = ev.data;
          if (d instanceof ArrayBuffer) {
            try {
              const m = decodeServerMessage(new Uint8Array(d), 1 << 30);
              record(m);
            } catch {
              /* recorded by the engine as invalid */
            }
          }
          f?.(ev);
        };
      },
      send: (data: Uint8Array) => {
        const out = this.rewrite ? this.rewrite(data) : data;
        this.sent.push(data.slice());
        if (out) inner.send(out);
      },
      close(code?: number, reason?: string) {
        inner.close(code, reason);
      },
    };
    return wrapper;
  };

  /** Sends raw bytes on the current connection; returns their size, or 0 if it is not open. */
  sendRaw(bytes: Uint8Array): number {
    if (this.socket?.readyState !== WebSocket.OPEN) return 0;
    this.socket.send(bytes);
    return bytes.byteLength;
  }

  /** The last frame of the given type this participant sent (before any rewrite). */
  lastSent(t: string): Uint8Array | undefined {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const b = this.sent[i] as Uint8Array;
      const m = decode(b) as { t?: unknown };
      if (m.t === t) return b;
    }
    return undefined;
  }
}

/** Holds a member's answer computation until the gate for that round opens. */
export function gatedCrypto(gates: Map<number, Gate>): CryptoRunner {
  return {
    contribute: (cfg, clientId, update) => inProcessCrypto.contribute(cfg, clientId, update),
    privatize: (update, params, seed) => inProcessCrypto.privatize(update, params, seed),
    answer: async (cfg, job, me) => {
      await gates.get(job.round)?.promise;
      return inProcessCrypto.answer(cfg, job, me);
    },
  };
}

/** A test participant: the product's headless participant, with a tap, a fake trainer and answer gates. */
export interface KitParticipant extends SimParticipant {
  label: string;
  tap: Tap;
  trainer: FakeTrainer | undefined;
  answerGates: Map<number, Gate>;
}

export interface KitSpec {
  url: string;
  token: string;
  label: string;
  train: boolean;
  committee: boolean;
  seed?: number;
  identity?: MemberIdentity;
  dropAt?: (round: number, point: DropPoint) => boolean;
  answeredRounds?: AnsweredRounds;
  acceptUnsafeCommittee?: boolean;
}

export function kitParticipant(spec: KitSpec): KitParticipant {
  const tap = new Tap();
  const trainer = spec.train ? new FakeTrainer(spec.seed ?? 1) : undefined;
  const answerGates = new Map<number, Gate>();
  const p = startParticipant({
    url: spec.url,
    token: spec.token,
    train: spec.train,
    committee: spec.committee,
    label: spec.label,
    ...(spec.identity ? { identity: spec.identity } : {}),
    ...(trainer ? { trainer } : {}),
    ...(spec.dropAt ? { dropAt: spec.dropAt } : {}),
    ...(spec.answeredRounds ? { answeredRounds: spec.answeredRounds } : {}),
    ...(spec.acceptUnsafeCommittee !== undefined ? { acceptUnsafeCommittee: spec.acceptUnsafeCommittee } : {}),
    socketFactory: tap.factory,
    crypto: gatedCrypto(answerGates),
  });
  return { ...p, label: spec.label, tap, trainer, answerGates };
}

/** The INSECURE plaintext benchmark client (src/sim/plaintext-client.ts) with a tap and a fake trainer. */
export interface PlainParticipant {
  label: string;
  client: PlaintextBenchClient;
  tap: Tap;
  trainer: FakeTrainer;
  quantized: Map<number, Int32Array>;
}

export function plainParticipant(spec: { url: string; token: string; label: string; seed?: number }): PlainParticipant {
  const tap = new Tap();
  const trainer = new FakeTrainer(spec.seed ?? 1);
  const quantized = new Map<number, Int32Array>();
  const client = new PlaintextBenchClient({
    url: spec.url,
    token: spec.token,
    label: spec.label,
    trainer,
    socketFactory: tap.factory,
    onQuantized: (round, q) => quantized.set(round, q.slice()),
  });
  client.start();
  return { label: spec.label, client, tap, trainer, quantized };
}

/** Σ of the survivors' quantized updates, from the participants' own records (undefined if one is missing). */
export function plaintextSum(
  ps: readonly SimParticipant[],
  round: number,
  survivors: readonly string[],
): number[] | undefined {
  const ids = new Set(survivors);
  let sum: number[] | undefined;
  for (const p of ps) {
    if (!ids.has(p.engine.state.clientId ?? '')) continue;
    const q = p.quantized.get(round);
    if (!q) return undefined;
    sum ??= new Array<number>(q.length).fill(0);
    for (let i = 0; i < q.length; i++) sum[i] = (sum[i] as number) + (q[i] as number);
  }
  return sum;
}

/** A drop policy shared by several participants: the first `count` that reach `point` in `round` crash. */
export function dropFirst(round: number, point: DropPoint, count: number): (r: number, p: DropPoint) => boolean {
  let left = count;
  return (r, p) => {
    if (r !== round || p !== point || left <= 0) return false;
    left--;
    return true;
  };
}

/** A raw WebSocket client that decodes every frame the server sends. */
export class RawClient {
  readonly ws: WebSocket;
  readonly replies = new EventLog<ServerMessage>();
  readonly inbox = new Inbox<ServerMessage>();
  readonly undecodable: unknown[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly closedP: Promise<{ code: number; reason: string }>;
  /** Resolves with the server's join challenge (its hello, the first frame; not in `replies`). */
  readonly opened: Promise<Uint8Array>;
  private gotHello!: (challenge: Uint8Array) => void;
  challenge: Uint8Array | undefined;

  constructor(readonly url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.gotHello = resolve;
      this.ws.once('error', reject);
    });
    this.closedP = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.inbox.end();
        resolve(this.closed);
      }),
    );
    this.ws.on('error', () => {
      /* reported through close */
    });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.undecodable.push(data);
        return;
      }
      const b = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      try {
        const m = decodeServerMessage(new Uint8Array(b), 1 << 30);
        if (m.t === 'hello' && !this.challenge) {
          this.challenge = m.challenge;
          this.gotHello(m.challenge);
          return;
        }
        this.replies.push(m);
        this.inbox.push(m);
      } catch (e) {
        this.undecodable.push(e);
      }
    });
  }

  static async open(url: string): Promise<RawClient> {
    const c = new RawClient(url);
    await c.opened;
    return c;
  }

  send(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** A join for this connection's challenge, with a valid proof of possession of `me`'s key. */
  async joinMessage(
    me: MemberIdentity,
    fields: { token: string; train: boolean; committee: boolean; label?: string },
  ): Promise<Record<string, unknown>> {
    const challenge = this.challenge ?? (await this.opened);
    // A certified server (the harness's default): enroll as an honest client would.
    const pin = authorityFor(this.url);
    const roles = [...(fields.train ? (['trainer'] as const) : []), ...(fields.committee ? (['member'] as const) : [])];
    let certificate: unknown;
    if (pin && roles.length) {
      const creds = await enroll({
        url: pin.url,
        token: fields.token,
        identity: me,
        signing: signingKeyFor(me),
        roles,
        participantId: participantIdOf(me.publicKey),
        trust: { authorities: pin.keys },
      }).catch(() => undefined); // a wrong token is the server's refusal to show, not the authority's
      certificate = creds?.certificate;
    }
    return {
      t: 'join',
      v: 1,
      token: fields.token,
      publicKey: me.publicKey,
      proof: await joinProof(me, challenge),
      train: fields.train,
      committee: fields.committee,
      ...(fields.label ? { label: fields.label } : {}),
      ...(certificate ? { certificate } : {}),
    };
  }

  /** Sends one frame and waits for the next reply (or the close). */
  async request(bytes: Uint8Array | string, timeoutMs = 10_000): Promise<ServerMessage> {
    const n = this.replies.events.length;
    this.send(bytes);
    return this.replies.waitFor((e) => this.replies.events.indexOf(e) >= n, timeoutMs, 'a reply');
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The first event pushed after this call that matches. */
export function waitForNew<E>(
  log: EventLog<E>,
  pred: (e: E) => boolean,
  timeoutMs?: number,
  what?: string,
): Promise<E> {
  const from = log.events.length;
  return log.waitFor((e) => log.events.indexOf(e) >= from && pred(e), timeoutMs, what);
}

export interface LogLine {
  level: string;
  event: string;
  [k: string]: unknown;
}

/** A debug-level logger that keeps every line (and echoes it when SPEAKONCE_TEST_LOG is set). */
export function collectingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const echo = process.env.SPEAKONCE_TEST_LOG;
  const log = createLogger('debug', (l) => {
    lines.push(JSON.parse(l) as LogLine);
    if (echo) process.stderr.write(`${l}\n`);
  });
  return { log, lines };
}

/** The types of the frames a participant sent (decoded from its tap). */
export function sentTypes(p: { tap: Tap }): string[] {
  return p.tap.sent.map((b) => String((decode(b) as { t?: unknown }).t));
}

/** The first error event with this code a participant reported (waits for it). */
export async function errorOf(
  p: { events: EventLog<EngineEvent>; label: string },
  code: string,
): Promise<Extract<EngineEvent, { type: 'error' }>> {
  const e = await p.events.waitFor((x) => x.type === 'error' && x.code === code, 30_000, `${p.label}: ${code}`);
  return e as Extract<EngineEvent, { type: 'error' }>;
}
