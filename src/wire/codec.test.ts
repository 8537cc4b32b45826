import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '../secagg/index.js';
import { WireError, decodeServerMessage, encodeMessage } from './codec.js';
import type { RoundMsg, WireRoundConfig } from './messages.js';

const LIMIT = 1 << 20;

function roundMsg(config: WireRoundConfig): RoundMsg {
  return {
    t: 'round',
    config,
    version: 3,
    weights: new Uint8Array(8),
    architecture: { kind: 'mlp' },
    role: 'trainer',
    submitBy: 1,
    answerBy: 2,
    quant: { clip: 0.5, weightCap: 5000 },
    train: { epochs: 1, batchSize: 32, learningRate: 0.01 },
    metrics: false,
  };
}

const secure: WireRoundConfig = {
  mode: 'secure',
  federation: 'fed-1',
  round: 7,
  length: 10,
  ...DEFAULT_PROFILE,
  committee: { m: 3, tRec: 2, rho: 1 },
  memberKeys: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), new Uint8Array(32).fill(3)],
  publicSeed: new Uint8Array(32).fill(9),
};

function refusal(msg: unknown): WireError {
  try {
    decodeServerMessage(encodeMessage(msg as RoundMsg), LIMIT);
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('the message was accepted');
}

describe('round descriptors on the wire', () => {
  it('carry the round configuration as one object, decoded as sent', () => {
    const m = decodeServerMessage(encodeMessage(roundMsg(secure)), LIMIT);
    expect(m.t).toBe('round');
    expect(m.t === 'round' && m.config).toEqual(secure);
  });

  it('refuse a secure configuration the core refuses (checked once, when decoded)', () => {
    const e = refusal(roundMsg({ ...secure, committee: { m: 3, tRec: 4, rho: 1 } }));
    expect([e.code, e.ref]).toEqual(['MALFORMED', 'round']);
    expect(e.message).toMatch(/t_rec=4 exceeds the committee size m=3/);
    const fewKeys = refusal(roundMsg({ ...secure, memberKeys: secure.memberKeys.slice(1) }));
    expect(fewKeys.message).toMatch(/2 member keys for a committee of 3/);
    expect(refusal(roundMsg({ ...secure, bits: 40 })).code).toBe('MALFORMED');
  });

  it('give a plaintext round a configuration without a committee', () => {
    const plain: WireRoundConfig = { mode: 'plaintext', federation: 'fed-1', round: 7, length: 10, bits: 16 };
    const m = decodeServerMessage(encodeMessage(roundMsg(plain)), LIMIT);
    expect(m.t === 'round' && m.config).toEqual(plain);
    const withCommittee = { ...plain, committee: { m: 0, tRec: 0, rho: 0 } } as WireRoundConfig;
    expect(refusal(roundMsg(withCommittee)).code).toBe('MALFORMED');
    // the round id is in the configuration only
    expect(refusal({ ...roundMsg(plain), round: 7 }).code).toBe('MALFORMED');
  });
});
