/**
 * The round descriptor: the round's configuration as one object — for a secure round the core's
 * RoundConfig (src/secagg/params.ts), for the INSECURE plaintext benchmark mode one without a
 * committee — and the `round` message built around it for each participant (role, deadlines).
 */
import { randomBytes } from 'node:crypto';
import type { SignedCommittee } from '../cert/committee.js';
import type { DpDescriptor } from '../wire/dp.js';
import type { SharingScheme } from '../secagg/index.js';
import { u32ToBytes } from '../wire/codec.js';
import { vectorLayout } from '../wire/layout.js';
import type { Role, RoundId, RoundMsg, WireCertificate, WireRoundConfig } from '../wire/messages.js';
import type { ServerConfig } from './config.js';
import type { GlobalModel } from './model.js';

export interface DescriptorInput {
  readonly federation: string;
  readonly round: RoundId;
  /** The model version the round starts from. */
  readonly version: number;
  readonly model: GlobalModel;
  readonly config: ServerConfig;
  /** A secure round's committee: its scheme and the members' keys in member order (1..m). */
  readonly committee?: { readonly scheme: SharingScheme; readonly memberKeys: readonly Uint8Array[] };
  /** A certified federation's member certificates, member j at index j − 1. */
  readonly memberCerts?: readonly WireCertificate[];
  /** The authority's signed committee list. */
  readonly committeeCert?: SignedCommittee;
  /** A DP round's parameters and the federation's accounting (privacy.ts). */
  readonly dp?: DpDescriptor;
}

export interface RoundDescriptor {
  readonly config: WireRoundConfig;
  /** The `round` message for one participant. */
  readonly message: (role: Role, memberIndex: number | undefined, submitBy: number, answerBy: number) => RoundMsg;
}

export function roundDescriptor(input: DescriptorInput): RoundDescriptor {
  const { federation, round, model, config: c } = input;
  const length = vectorLayout(model.weights.length, c.secureMetrics, input.dp !== undefined).length;
  const config: WireRoundConfig = input.committee
    ? {
        mode: 'secure',
        federation,
        round,
        length,
        delta: c.delta,
        bits: c.bits,
        nMax: c.nMax,
        committee: { m: input.committee.scheme.m, tRec: input.committee.scheme.tRec, rho: input.committee.scheme.rho },
        memberKeys: [...input.committee.memberKeys],
        publicSeed: new Uint8Array(randomBytes(32)),
      }
    : { mode: 'plaintext', federation, round, length, bits: c.bits };
  const base = {
    t: 'round' as const,
    config,
    version: input.version,
    weights: new Uint8Array(u32ToBytes(model.weights)), // a copy: the model changes later
    architecture: model.architecture,
    quant: { clip: c.clip, weightCap: c.weightCap, ...(c.l2Clip ? { l2Clip: c.l2Clip } : {}) },
    train: { epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate },
    metrics: c.secureMetrics,
    ...(input.memberCerts ? { memberCerts: [...input.memberCerts] } : {}),
    ...(input.committeeCert ? { committeeCert: input.committeeCert as RoundMsg['committeeCert'] } : {}),
    ...(input.dp ? { dp: input.dp } : {}),
  };
  return {
    config,
    message: (role, memberIndex, submitBy, answerBy) => ({
      ...base,
      role,
      ...(memberIndex ? { memberIndex } : {}),
      submitBy,
      answerBy,
    }),
  };
}

/** The committee of a round as observers and the round log see it: zeros for a plaintext round. */
export function observedScheme(config: WireRoundConfig): SharingScheme {
  return config.mode === 'secure' ? config.committee : { m: 0, tRec: 0, rho: 0 };
}
