/**
 * One round's transcript as the server writes it (docs/transcript.md): opened when the round's
 * descriptor is built (the server signs D with its certified key, docs/protocol.md §26), fed each
 * accepted contribution's bytes as it arrives, and closed when the round ends — after the model
 * version is saved and before the round's log record and the participants' result.
 *
 * The writer is an interface (`TranscriptWriter`) so that a coordinator of several aggregation
 * servers (the cluster topology, issue 18) can write the same format with its partial sums.
 */
import { createHash } from 'node:crypto';
import { sign } from '../cert/sign.js';
import { type ServerCertificate, serverDescriptorBytes } from '../cert/server.js';
import type { RawSigningKeyPair } from '../cert/sign.js';
import { u32ToBytes } from '../wire/codec.js';
import type { ContributionMsg, RoundMsg } from '../wire/messages.js';
import { type MaskedRef, type Transcript, encodeTranscript } from '../wire/transcript.js';
import { TRANSCRIPT_SCHEMA, TRANSCRIPT_VERSION } from '../wire/transcript.js';
import type { Logger } from './log.js';
import type { RoundEvidence, RoundOutcome } from './round-types.js';
import type { MaskedSink, TranscriptStore } from './transcript-store.js';

/** How the round ended, as the outcome (outcome.ts) settled it. */
export interface Settled {
  readonly ok: boolean;
  readonly code?: string;
  readonly reason?: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** A successful round's FedAvg step. */
  readonly fedavg?: {
    readonly sum: Float64Array;
    readonly weightSum: number;
    readonly versionBefore: number;
    readonly versionAfter: number;
    readonly weightsAfter: Float32Array;
  };
}

/** What a round's transcript is written through (one per round). */
export interface TranscriptWriter {
  /** An accepted contribution, as received. */
  contributed(clientId: string, msg: ContributionMsg): void;
  /** Writes the transcript durably; its SHA-256 (hex), which the round's log record carries. */
  settle(o: RoundOutcome, s: Settled): Promise<string>;
}

export interface RoundTranscriptInput {
  readonly store: TranscriptStore;
  readonly log: Logger;
  /** The `round` message of a trainer (deadlines zero: they are not part of D). */
  readonly descriptor: RoundMsg;
  readonly descriptorDigest: Uint8Array;
  readonly serverKey: RawSigningKeyPair;
  readonly serverCertificate: ServerCertificate | undefined;
  readonly trainers: readonly string[];
  readonly members: readonly string[];
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** A typed array's bytes as a fresh copy (msgpack `bin`). */
const bytesOf = (a: Uint32Array | Float32Array | Float64Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

/** The descriptor as every participant received it, less what differs per participant and the weights. */
function descriptorOf(d: RoundMsg): Omit<RoundMsg, 't' | 'role' | 'memberIndex' | 'submitBy' | 'answerBy' | 'weights'> {
  const { t: _t, role: _r, memberIndex: _m, submitBy: _s, answerBy: _a, weights: _w, ...rest } = d;
  return rest;
}

export class RoundTranscript implements TranscriptWriter {
  private sink: Promise<MaskedSink | undefined>;
  private readonly at = new Map<string, MaskedRef>();
  private readonly eph = new Map<string, Uint8Array>();
  private readonly descriptorSig: Uint8Array;

  constructor(private readonly i: RoundTranscriptInput) {
    const c = i.descriptor.config;
    this.descriptorSig = sign(i.serverKey.secretKey, serverDescriptorBytes(c.federation, c.round, i.descriptorDigest));
    this.sink =
      i.store.keep > 0 && c.mode === 'secure'
        ? i.store.openMasked(c.round).catch((e: unknown) => {
            i.log.warn('transcript_masked_unavailable', { round: c.round, error: String(e) });
            return undefined;
          })
        : Promise.resolve(undefined);
  }

  contributed(clientId: string, msg: ContributionMsg): void {
    this.eph.set(clientId, msg.eph);
    // The sink opens before the descriptor goes out; the first contribution cannot beat it, but
    // keep the order of the bytes the same as the order of acceptance either way.
    this.sink = this.sink.then((s) => {
      if (s) this.at.set(clientId, s.add(msg.y1, msg.y2, msg.sealed));
      return s;
    });
  }

  async settle(o: RoundOutcome, s: Settled): Promise<string> {
    const { descriptor: d, store } = this.i;
    const c = d.config;
    const sink = await this.sink;
    const masked = sink && this.at.size ? await sink.close() : (await sink?.discard(), undefined);
    const ev: RoundEvidence = o.evidence ?? { signedBy: new Map(), answers: [] };
    const survivorsOf = (cut: RoundEvidence['cut']) =>
      (cut?.survivors ?? []).map((x) => ({ id: x.clientId, digest: x.digest }));
    const first = ev.firstCut;
    const contributions = (first?.survivors ?? []).map((x) => {
      const signed = ev.signedBy.get(x.clientId);
      const at = this.at.get(x.clientId);
      return {
        id: x.clientId,
        eph: this.eph.get(x.clientId) ?? new Uint8Array(32),
        digest: x.digest,
        ...(signed
          ? {
              signed: {
                cert: signed.cert,
                sig: signed.sig,
                masked: signed.masked,
                slices: [...signed.slices],
                keys: [...signed.keys],
              },
            }
          : {}),
        ...(at ? { at } : {}),
      };
    });
    const f = s.fedavg;
    const t: Transcript = {
      schema: TRANSCRIPT_SCHEMA,
      v: TRANSCRIPT_VERSION,
      federation: c.federation,
      round: c.round,
      outcome: s.ok ? 'ok' : 'failed',
      ...(s.code ? { code: s.code } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      server: {
        ...(this.i.serverCertificate ? { certificate: this.i.serverCertificate } : {}),
        publicKey: this.i.serverKey.publicKey,
        descriptorSig: this.descriptorSig,
      },
      descriptor: { ...descriptorOf(d), weightsDigest: sha256(d.weights) },
      descriptorDigest: this.i.descriptorDigest,
      trainers: [...this.i.trainers],
      members: [...this.i.members],
      contributions,
      ...(first ? { cutoff: { survivors: survivorsOf(first), hS: first.survivorHash } } : {}),
      excluded: o.excluded.map((x) => ({ id: x.id, how: x.how })),
      ...(ev.reissues?.length
        ? {
            reissues: ev.reissues.map((x) => ({
              previous: [...x.previous],
              excluded: [...x.excluded],
              complaints: [...x.complaints],
            })),
          }
        : {}),
      survivors: survivorsOf(ev.cut),
      ...(ev.cut ? { hS: ev.cut.survivorHash } : {}),
      answers: ev.answers.map((a) => {
        const att = o.attestations.find((x) => x.memberIndex === a.memberIndex);
        return {
          memberIndex: a.memberIndex,
          hS: a.survivorHash,
          sum: bytesOf(a.sum),
          ...(att ? { sig: att.sig } : {}),
        };
      }),
      attestations: o.attestations,
      ...(ev.sumY ? { sumY: { y1: bytesOf(ev.sumY[0]), y2: bytesOf(ev.sumY[1]) } } : {}),
      ...(f ? { decoded: bytesOf(f.sum) } : {}),
      ...(f && c.mode === 'secure'
        ? {
            fedavg: {
              bits: c.bits,
              clip: d.quant.clip,
              weightSum: f.weightSum,
              versionBefore: f.versionBefore,
              versionAfter: f.versionAfter,
              weightsAfter: sha256(u32ToBytes(f.weightsAfter)),
            },
          }
        : {}),
      ...(masked ? { masked } : {}),
    };
    const digest = await store.write(c.round, encodeTranscript(t));
    await store.prune();
    return digest;
  }
}
