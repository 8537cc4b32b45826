/**
 * The INSECURE plaintext benchmark client: joins like a participant, trains when told and sends
 * its quantized update **in the clear** (`plain` messages), for the labelled secure-vs-plaintext
 * comparison of `npm run bench` against a server started with `insecurePlaintext`.
 *
 * It is deliberately separate from the participant engine (src/client/engine.ts), which refuses
 * any descriptor without secure aggregation and has no code that sends an update unmasked: no
 * server message, flag or option can switch a production participant into this client.
 */
import { type EngineEvent } from '../client/engine.js';
import type { LocalTrainer } from '../client/trainers/types.js';
import { type SocketFactory, Transport } from '../client/transport.js';
import { type MemberIdentity, createIdentity, joinProof, quantize } from '../secagg/index.js';
import { STATS_LENGTH } from '../ml/stats.js';
import { bytesToF32, u32ToBytes } from '../wire/codec.js';
import { encodeStats, vectorLayout } from '../wire/layout.js';
import { type RoundMsg, type ServerMessage, WIRE_VERSION } from '../wire/messages.js';
import { nodeSocket } from './harness.js';

export interface PlaintextClientSpec {
  url: string;
  token: string;
  trainer: LocalTrainer;
  label?: string;
  identity?: MemberIdentity;
  socketFactory?: SocketFactory;
  /** Called with each round's quantized update as sent (tests check the server's sum against it). */
  onQuantized?: (round: number, q: Int32Array) => void;
}

/** What the client reports: joined, sent (with the frame's size), refused. */
export type PlaintextClientEvent =
  | { type: 'welcome'; clientId: string }
  | Extract<EngineEvent, { type: 'sent' }>
  | Extract<EngineEvent, { type: 'error' }>;

/** Joins, trains when drawn, and sends each round's update unmasked. */
export class PlaintextBenchClient {
  private readonly transport: Transport;
  private readonly listeners = new Set<(e: PlaintextClientEvent) => void>();
  private readonly identity: MemberIdentity;
  clientId: string | undefined;

  constructor(private readonly spec: PlaintextClientSpec) {
    this.identity = spec.identity ?? createIdentity();
    this.transport = new Transport(spec.url, spec.socketFactory ?? nodeSocket, {
      open: () => undefined,
      message: (m) => void this.onMessage(m).catch((e: unknown) => this.error('CLIENT_ERROR', String(e))),
      invalid: (e) => this.error(e.code, e.message),
      close: () => undefined,
    });
  }

  on(f: (e: PlaintextClientEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  start(): void {
    this.transport.connect();
  }

  stop(): void {
    this.transport.send({ t: 'leave' });
    this.transport.close();
  }

  private emit(e: PlaintextClientEvent): void {
    for (const f of this.listeners) f(e);
  }

  private error(code: string, message: string, round?: number): void {
    this.emit({ type: 'error', code, message, ...(round !== undefined ? { round } : {}) });
  }

  private async onMessage(m: ServerMessage): Promise<void> {
    if (m.t === 'hello') {
      const proof = await joinProof(this.identity, m.challenge);
      const label = this.spec.label ? { label: this.spec.label } : {};
      const id = this.identity.publicKey;
      this.transport.send({
        t: 'join',
        v: WIRE_VERSION,
        token: this.spec.token,
        publicKey: id,
        proof,
        train: true,
        committee: false,
        ...label,
      });
    } else if (m.t === 'welcome') {
      this.clientId = m.clientId;
      this.emit({ type: 'welcome', clientId: m.clientId });
    } else if (m.t === 'round' && m.role === 'trainer') {
      await this.trainAndSend(m);
    } else if (m.t === 'error') {
      this.error(m.code, m.message, m.round);
    }
  }

  private async trainAndSend(m: RoundMsg): Promise<void> {
    const { round, length, bits } = m.config;
    if (m.config.mode !== 'plaintext')
      return this.error('NOT_PLAINTEXT', 'the benchmark client only sends plaintext', round);
    const weights = bytesToF32(m.weights, 'weights');
    const out = await this.spec.trainer.train(
      {
        round,
        weights,
        architecture: m.architecture,
        epochs: m.train.epochs,
        batchSize: m.train.batchSize,
        learningRate: m.train.learningRate,
      },
      () => undefined,
    );
    const weight = Math.min(out.numSamples, m.quant.weightCap) / m.quant.weightCap;
    const random = new Uint32Array(out.delta.length + 1);
    globalThis.crypto.getRandomValues(random);
    const update = quantize(
      out.delta,
      weight,
      { bits, clip: m.quant.clip, ...(m.quant.l2Clip ? { l2Clip: m.quant.l2Clip } : {}) },
      random,
    );
    // The masked-vector layout (src/wire/layout.ts): the update, then (empty) metrics statistics.
    const layout = vectorLayout(weights.length, m.metrics);
    let q = update;
    if (m.metrics) {
      q = new Int32Array(layout.length);
      q.set(update, 0);
      q.set(encodeStats(new Float64Array(STATS_LENGTH), bits), layout.metricsOffset);
    }
    if (q.length !== length)
      return this.error('MALFORMED', `update has ${q.length} coordinates, the round expects ${length}`, round);
    this.spec.onQuantized?.(round, q);
    const bytes = this.transport.send({ t: 'plain', round, x: u32ToBytes(q) });
    this.emit({ type: 'sent', round, bytes, timings: { mask_ms: 0, shares_ms: 0, seal_ms: 0 } });
  }
}
