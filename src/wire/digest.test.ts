/**
 * The descriptor digest (digest.ts) that trainers sign: it changes with everything a `round`
 * message tells every participant alike — each configuration field, the version, one byte of the
 * weights, the architecture, each quantization and training setting, the metrics flag, each
 * member certificate — and not with what the server tells each participant apart (its role,
 * member index and deadlines), so that two trainers of one round sign one digest.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { authorityId, issueCertificate } from '../cert/certificate.js';
import { DEFAULT_PROFILE } from '../secagg/index.js';
import { descriptorDigest } from './digest.js';
import type { DpDescriptor } from './dp.js';
import {
  type PlaintextRoundConfig,
  type RoundMsg,
  RoundSchema,
  type SecureRoundConfig,
  type WireCertificate,
} from './messages.js';

const authSk = new Uint8Array(32).fill(42);
const authority = authorityId(ed25519.getPublicKey(authSk));
const key = (n: number) => new Uint8Array(32).fill(n);

function memberCert(n: number): WireCertificate {
  const c = issueCertificate(authSk, {
    federation: 'fed-d',
    participantId: `p${n.toString(16).padStart(16, '0')}`,
    sealKey: key(n),
    signKey: key(100 + n),
    roles: ['member'],
    notBefore: 1_000,
    notAfter: 2_000,
    authority,
  });
  return { body: { ...c.body, roles: [...c.body.roles] }, signature: c.signature };
}

const secure: SecureRoundConfig = {
  mode: 'secure',
  federation: 'fed-d',
  round: 12,
  length: 40,
  ...DEFAULT_PROFILE,
  committee: { m: 3, tRec: 2, rho: 1 },
  memberKeys: [key(1), key(2), key(3)],
  publicSeed: key(9),
};

const base: RoundMsg = {
  t: 'round',
  config: secure,
  version: 5,
  weights: Uint8Array.from({ length: 64 }, (_, i) => i),
  architecture: { kind: 'mlp', inputs: 30, hidden: [16, 8], outputs: 1 },
  role: 'trainer',
  submitBy: 1_700_000_000_000,
  answerBy: 1_700_000_060_000,
  quant: { clip: 0.5, l2Clip: 3, weightCap: 5000 },
  train: { epochs: 2, batchSize: 32, learningRate: 0.01 },
  metrics: true,
  memberCerts: [memberCert(1), memberCert(2), memberCert(3)],
};

/** Known answers: the base fixture (the same before and after DP existed) and it with withDp({}). */
const BASE_DIGEST = '78ad358806737440497187c9ee05e880cc14e308ead5694763bcdcee5d913dde';
const DP_DIGEST = '52d85284c7529db88b53d8b5d23e3eb21a9ba2cfd1e510603a518fce95850e72';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const digestOf = (m: RoundMsg) => hex(descriptorDigest(m));
const withConfig = (c: Partial<SecureRoundConfig>): RoundMsg => ({ ...base, config: { ...secure, ...c } });
const flipByte = (b: Uint8Array, i: number) => {
  const c = Uint8Array.from(b);
  c[i]! ^= 1;
  return c;
};

const plain: PlaintextRoundConfig = { mode: 'plaintext', federation: 'fed-d', round: 12, length: 40, bits: 16 };
const plainBase: RoundMsg = { ...base, config: plain };
const { memberCerts: _, ...uncertified } = base;
const { l2Clip: __, ...quantNoL2 } = base.quant;

/** Every change of a shared field, each from `base` (or from the plaintext round, last). */
const changes: [string, RoundMsg][] = [
  ['config.mode', plainBase],
  ['config.federation', withConfig({ federation: 'fed-e' })],
  ['config.round', withConfig({ round: 13 })],
  ['config.length', withConfig({ length: 41 })],
  ['config.delta', withConfig({ delta: secure.delta * 2 })],
  ['config.bits', withConfig({ bits: 15 })],
  ['config.nMax', withConfig({ nMax: 9_999 })],
  ['config.committee.m', withConfig({ committee: { m: 4, tRec: 2, rho: 1 } })],
  ['config.committee.tRec', withConfig({ committee: { m: 3, tRec: 3, rho: 1 } })],
  ['config.committee.rho', withConfig({ committee: { m: 3, tRec: 3, rho: 2 } })],
  ['config.memberKeys (one byte)', withConfig({ memberKeys: [key(1), flipByte(key(2), 31), key(3)] })],
  ['config.memberKeys (order)', withConfig({ memberKeys: [key(2), key(1), key(3)] })],
  ['config.memberKeys (one fewer)', withConfig({ memberKeys: [key(1), key(2)] })],
  ['config.publicSeed', withConfig({ publicSeed: flipByte(key(9), 0) })],
  ['version', { ...base, version: 6 }],
  ['weights (one byte)', { ...base, weights: flipByte(base.weights, 63) }],
  ['weights (one byte more)', { ...base, weights: Uint8Array.from([...base.weights, 0]) }],
  ['architecture (a value)', { ...base, architecture: { kind: 'mlp', inputs: 30, hidden: [16, 9], outputs: 1 } }],
  ['architecture (a field)', { ...base, architecture: { kind: 'mlp', inputs: 30, hidden: [16, 8] } }],
  ['architecture (none)', { ...base, architecture: null }],
  ['quant.clip', { ...base, quant: { ...base.quant, clip: 0.25 } }],
  ['quant.l2Clip', { ...base, quant: { ...base.quant, l2Clip: 4 } }],
  ['quant.l2Clip (absent)', { ...base, quant: quantNoL2 }],
  ['quant.weightCap', { ...base, quant: { ...base.quant, weightCap: 5001 } }],
  ['train.epochs', { ...base, train: { ...base.train, epochs: 3 } }],
  ['train.batchSize', { ...base, train: { ...base.train, batchSize: 64 } }],
  ['train.learningRate', { ...base, train: { ...base.train, learningRate: 0.010000000000000002 } }],
  ['metrics', { ...base, metrics: false }],
  ['memberCerts (another certificate)', { ...base, memberCerts: [memberCert(1), memberCert(4), memberCert(3)] }],
  [
    'memberCerts (a signature bit)',
    {
      ...base,
      memberCerts: [
        memberCert(1),
        memberCert(2),
        { ...memberCert(3), signature: flipByte(memberCert(3).signature, 7) },
      ],
    },
  ],
  [
    'memberCerts (a body field)',
    {
      ...base,
      memberCerts: [
        { ...memberCert(1), body: { ...memberCert(1).body, notAfter: 2_001 } },
        memberCert(2),
        memberCert(3),
      ],
    },
  ],
  ['memberCerts (order)', { ...base, memberCerts: [memberCert(2), memberCert(1), memberCert(3)] }],
  ['memberCerts (absent)', uncertified],
  ['plaintext config.federation', { ...plainBase, config: { ...plain, federation: 'fed-e' } }],
  ['plaintext config.round', { ...plainBase, config: { ...plain, round: 13 } }],
  ['plaintext config.length', { ...plainBase, config: { ...plain, length: 41 } }],
  ['plaintext config.bits', { ...plainBase, config: { ...plain, bits: 15 } }],
  ['dp (present)', withDp({})],
  ['dp.noiseMultiplier', withDp({ noiseMultiplier: 1.1 })],
  ['dp.clip', withDp({ clip: 0.6 })],
  ['dp.gamma', withDp({ gamma: 2 ** -12 })],
  ['dp.beta', withDp({ beta: 0.5 })],
  ['dp.sigma2 (num)', withDp({ sigma2: { num: '1000001', den: '1048576' } })],
  ['dp.sigma2 (den)', withDp({ sigma2: { num: '1000000', den: '2097152' } })],
  ['dp.minSurvivors', withDp({ minSurvivors: 5 })],
  ['dp.colluders', withDp({ colluders: 1 })],
  ['dp.delta', withDp({ delta: 1e-6 })],
  ['dp.accounting.spent', withDp({}, { spent: 1.5 })],
  ['dp.accounting.after', withDp({}, { after: 2.5 })],
  ['dp.accounting.budget', withDp({}, { budget: 8 })],
  ['dp.accounting.rounds', withDp({}, { rounds: 3 })],
];

/** The DP part of a descriptor (docs/dp.md §12, docs/protocol.md §27). */
function withDp(p: Partial<DpDescriptor['params']>, a: Partial<DpDescriptor['accounting']> = {}): RoundMsg {
  return {
    ...base,
    dp: {
      params: {
        mechanism: 'ddg',
        noiseMultiplier: 1,
        clip: 0.5,
        gamma: 2 ** -13,
        beta: Math.exp(-0.5),
        sigma2: { num: '1000000', den: '1048576' },
        minSurvivors: 4,
        colluders: 0,
        delta: 1e-5,
        ...p,
      },
      accounting: { spent: 1, after: 2, budget: 10, rounds: 2, ...a },
    },
  };
}

describe('descriptorDigest', () => {
  it('the fixture is a round message the wire accepts', () => {
    expect(() => v.parse(RoundSchema, base)).not.toThrow();
    expect(() => v.parse(RoundSchema, plainBase)).not.toThrow();
    expect(descriptorDigest(base)).toHaveLength(32);
    expect(digestOf({ ...base })).toBe(digestOf(base));
  });

  it.each(changes)('changes with %s', (_, changed) => {
    expect(digestOf(changed)).not.toBe(digestOf(base));
  });

  it('gives every one of those changes its own digest', () => {
    const digests = new Map<string, string>();
    for (const [what, m] of [['base', base] as [string, RoundMsg], ...changes]) {
      const d = digestOf(m);
      expect(digests.get(d), `${what} has the digest of ${digests.get(d)}`).toBeUndefined();
      digests.set(d, what);
    }
  });

  it('a DP descriptor: the wire accepts it, and its digest is a known answer (docs/protocol.md §27)', () => {
    expect(() => v.parse(RoundSchema, withDp({}))).not.toThrow();
    expect(digestOf(withDp({}))).toBe(DP_DIGEST);
    // A descriptor without DP keeps the digest it had before DP existed.
    expect(digestOf(base)).toBe(BASE_DIGEST);
  });

  it('does not change with the role, the member index or the deadlines', () => {
    const d = digestOf(base);
    for (const role of ['trainer', 'member', 'idle'] as const) {
      expect(digestOf({ ...base, role })).toBe(d);
      for (const memberIndex of [undefined, 0, 1, 3]) {
        const m: RoundMsg = { ...base, role, ...(memberIndex === undefined ? {} : { memberIndex }) };
        expect(digestOf(m)).toBe(d);
      }
    }
    expect(digestOf({ ...base, submitBy: 0, answerBy: 1 })).toBe(d);
    expect(digestOf({ ...base, submitBy: base.submitBy + 1 })).toBe(d);
    expect(digestOf({ ...base, answerBy: base.answerBy + 1 })).toBe(d);
    expect(digestOf({ ...plainBase, role: 'idle', memberIndex: 2, submitBy: 3, answerBy: 4 })).toBe(
      digestOf(plainBase),
    );
  });

  it('depends on the values only, not on the objects that carry them', () => {
    const copy: RoundMsg = {
      ...base,
      config: {
        ...secure,
        memberKeys: secure.memberKeys.map((k) => Uint8Array.from(k)),
        committee: { ...secure.committee },
      },
      weights: Uint8Array.from(base.weights),
      architecture: JSON.parse(JSON.stringify(base.architecture)) as unknown,
      memberCerts: base.memberCerts?.map((c) => ({ body: { ...c.body }, signature: Uint8Array.from(c.signature) })),
    };
    expect(digestOf(copy)).toBe(digestOf(base));
  });
});
