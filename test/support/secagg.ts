/** Protocol-core test helpers: whole rounds in process, with the plaintext kept by the harness. */
import {
  DEFAULT_PROFILE,
  type MemberIdentity,
  type RoundConfig,
  PRIMES,
  type Residues,
  SecretRandom,
  type SharingScheme,
  createIdentity,
  maxQuantized,
} from '../../src/secagg/index.js';

/** A deterministic 32-byte seed from a small integer. */
export function seedOf(n: number, tag = 0): Uint8Array {
  const s = new Uint8Array(32);
  new DataView(s.buffer).setUint32(0, n >>> 0);
  new DataView(s.buffer).setUint32(4, tag >>> 0);
  return s;
}

export function deterministicRng(n: number, tag = 0): SecretRandom {
  return new SecretRandom(seedOf(n, tag));
}

export interface Federation {
  cfg: RoundConfig;
  members: MemberIdentity[];
}

export function makeFederation(length: number, committee: SharingScheme, round = 1, seed = 1): Federation {
  const members = Array.from({ length: committee.m }, (_, j) => createIdentity(seedOf(seed, 1000 + j)));
  const cfg: RoundConfig = {
    ...DEFAULT_PROFILE,
    federation: 'test-federation',
    round,
    length,
    committee,
    memberKeys: members.map((m) => m.publicKey),
    publicSeed: seedOf(seed, 7),
  };
  return { cfg, members };
}

/** Random b-bit updates from a simple LCG (fast, reproducible), edge values included. */
export function randomUpdate(length: number, bits: number, seed: number): Int32Array {
  const limit = maxQuantized(bits);
  let s = seed >>> 0 || 1;
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const r = s % 8;
    out[i] = r === 0 ? limit : r === 1 ? -limit : (s % (2 * limit + 1)) - limit;
  }
  return out;
}

/** A 32-bit linear congruential generator: cheap reproducible numbers for property tests. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** `count` residues per prime from `next`. */
export function randomResidues(count: number, next: () => number): Residues {
  return [
    Uint32Array.from({ length: count }, () => next() % PRIMES[0]),
    Uint32Array.from({ length: count }, () => next() % PRIMES[1]),
  ];
}
