/**
 * Known-answer vectors of the core, computed from fixed inputs. `npm run kat` (scripts/kat/gen.ts) writes them to
 * src/secagg/kat/vectors.json; the test suite recomputes and compares, and another
 * implementation can check itself against the JSON (docs/kat.md describes every field).
 *
 * Large outputs are given as their first values plus SHA-256 over the little-endian u32
 * (residues) or int8 (noise) encoding of the whole vector.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { RoundAggregator } from '../../src/secagg/aggregator.js';
import { cbdFromBytes } from '../../src/secagg/cbd.js';
import { toHex } from '../../src/secagg/encoding.js';
import { PRIMES } from '../../src/secagg/field.js';
import { createIdentity } from '../../src/secagg/identity.js';
import { expandPublicRing, sampleNoise, sampleSecret } from '../../src/secagg/mask.js';
import { type CommitteeJob, answerJob } from '../../src/secagg/member.js';
import { N, PLANS, negacyclicSchoolbook } from '../../src/secagg/ntt.js';
import { DEFAULT_PROFILE, type RoundConfig } from '../../src/secagg/params.js';
import { SecretRandom } from '../../src/secagg/random.js';
import { encodeSlice } from '../../src/secagg/seal.js';
import { randomnessLength, reconstruct, share } from '../../src/secagg/shamir.js';
import { buildContribution } from '../../src/secagg/trainer.js';

/** Fixed inputs: a[i] = (i² + 3i + 7)·2654435761 mod q, b[i] = (5i + 11)^3 mod q — simple to reproduce. */
export function nttInputs(q: number): { a: Int32Array; b: Int32Array } {
  const mod = (x: bigint) => Number(((x % BigInt(q)) + BigInt(q)) % BigInt(q));
  const a = Int32Array.from({ length: N }, (_, i) => mod(BigInt(i * i + 3 * i + 7) * 2654435761n));
  const b = Int32Array.from({ length: N }, (_, i) => mod(BigInt(5 * i + 11) ** 3n));
  return { a, b };
}

function seed(byte: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (byte + i) & 0xff);
}

function u32Hash(v: ArrayLike<number>): string {
  const b = new Uint8Array(v.length * 4);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < v.length; i++) dv.setUint32(4 * i, v[i] as number, true);
  return toHex(sha256(b));
}

function i8Hash(v: Int8Array): string {
  return toHex(sha256(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
}

const head = (v: ArrayLike<number>, n = 8) => Array.from({ length: Math.min(n, v.length) }, (_, i) => v[i] as number);

export async function computeKat(): Promise<Record<string, unknown>> {
  // --- NTT -----------------------------------------------------------------------------
  const ntt = PLANS.map((plan) => {
    const { a, b } = nttInputs(plan.q);
    const A = a.slice();
    plan.forward(A);
    const B = b.slice();
    plan.forward(B);
    const C = new Int32Array(N);
    plan.pointwise(A, B, C);
    plan.inverse(C);
    const school = negacyclicSchoolbook(a, b, plan.q);
    if (!C.every((v, i) => v === school[i])) throw new Error('NTT product disagrees with schoolbook');
    return { q: plan.q, psi: plan.psi, forward_a: Array.from(A), product_ab: Array.from(C) };
  });

  // --- public ring expansion ("XOF") ---------------------------------------------------------
  const ctx = { federation: 'kat-federation', round: 42 };
  const publicSeed = seed(0x10);
  const ring = await expandPublicRing(publicSeed, ctx, 3 * N);
  const xof = {
    public_seed: toHex(publicSeed),
    federation: ctx.federation,
    round: ctx.round,
    blocks: 3,
    a_q1_block0_head: head(ring.a[0]),
    a_q2_block0_head: head(ring.a[1]),
    a_q1_sha256: u32Hash(ring.a[0]),
    a_q2_sha256: u32Hash(ring.a[1]),
  };

  // --- CBD ------------------------------------------------------------------------------
  const secretSeed = seed(0x20);
  const rng = new SecretRandom(secretSeed);
  const noise = await sampleNoise(rng, 10_000);
  const cbd = {
    secret_seed: toHex(secretSeed),
    label: 'e',
    count: 10_000,
    head: head(noise, 32),
    sha256: i8Hash(noise),
    bytes_examples: [
      { bytes: 'ffff1f000000', value: cbdFromBytes(Uint8Array.of(0xff, 0xff, 0x1f, 0, 0, 0), 1)[0] },
      { bytes: '0000e0ffff03', value: cbdFromBytes(Uint8Array.of(0, 0, 0xe0, 0xff, 0xff, 0x03), 1)[0] },
      { bytes: '0100000100fc', value: cbdFromBytes(Uint8Array.of(1, 0, 0, 1, 0, 0xfc), 1)[0] },
    ],
  };

  // --- packed Shamir ----------------------------------------------------------------------
  const shamir = await Promise.all(
    [
      { m: 5, tRec: 3, rho: 1 },
      { m: 7, tRec: 5, rho: 2 },
    ].map(async (scheme) => {
      const r = new SecretRandom(seed(0x30 + scheme.m));
      const secret = await sampleSecret(r);
      const len = randomnessLength(scheme);
      const [r1, r2] = await r.uniform('shamir', PRIMES, [len, len]);
      const slices = share(secret, [r1 as Uint32Array, r2 as Uint32Array], scheme);
      const back = reconstruct(
        slices.slice(scheme.m - scheme.tRec).map((values, j) => ({ index: scheme.m - scheme.tRec + j + 1, values })),
        scheme,
      );
      if (u32Hash(back[0]) !== u32Hash(secret[0]) || u32Hash(back[1]) !== u32Hash(secret[1])) throw new Error('Shamir reconstruction failed');
      return {
        ...scheme,
        secret_seed: toHex(seed(0x30 + scheme.m)),
        secret_q1_sha256: u32Hash(secret[0]),
        secret_q2_sha256: u32Hash(secret[1]),
        slices_sha256: slices.map(u32Hash),
        slice1_head: head(slices[0] as Uint32Array),
      };
    }),
  );

  // --- one whole round ----------------------------------------------------------------------
  const members = [0, 1, 2, 3].map((j) => createIdentity(seed(0x40 + j)));
  const L = 300;
  const cfg: RoundConfig = {
    ...DEFAULT_PROFILE,
    federation: 'kat-federation',
    round: 7,
    length: L,
    committee: { m: 4, tRec: 3, rho: 1 },
    memberKeys: members.map((m) => m.publicKey),
    publicSeed: seed(0x50),
  };
  const updates = [0, 1, 2].map((t) => Int32Array.from({ length: L }, (_, i) => (((i + 1) * (t + 3) * 7919) % 65535) - 32767));
  const agg = new RoundAggregator(cfg);
  const trainers = [];
  for (const [t, u] of updates.entries()) {
    const { contribution: c } = await buildContribution(cfg, `trainer-${t}`, u, { rng: new SecretRandom(seed(0x60 + t)) });
    await agg.add(c);
    trainers.push({
      client_id: c.clientId,
      secret_seed: toHex(seed(0x60 + t)),
      masked_q1_sha256: u32Hash(c.masked[0]),
      masked_q2_sha256: u32Hash(c.masked[1]),
      masked_q1_head: head(c.masked[0]),
      ephemeral_public: toHex(c.ephemeralPublic),
      sealed_sha256: c.sealed.map((s) => toHex(sha256(s))),
    });
  }
  const cut = agg.closeContributions();
  const responses = [];
  for (const j of [1, 2, 3]) {
    const r = await answerJob(cfg, cut.jobs[j] as CommitteeJob, members[j]!);
    agg.receive(r);
    responses.push({ member: j + 1, sum_sha256: toHex(sha256(encodeSlice(r.sum))) });
  }
  const { sum } = await agg.unmask();
  const plain = Array.from({ length: L }, (_, i) => updates.reduce((s, u) => s + (u[i] as number), 0));
  if (!plain.every((v, i) => v === sum[i])) throw new Error('round KAT does not decode exactly');
  const round = {
    federation: cfg.federation,
    round: cfg.round,
    length: L,
    delta: cfg.delta,
    bits: cfg.bits,
    committee: cfg.committee,
    public_seed: toHex(cfg.publicSeed),
    member_secret_keys: members.map((m) => toHex(m.secretKey)),
    member_public_keys: members.map((m) => toHex(m.publicKey)),
    update_rule: 'x_t[i] = ((i+1)·(t+3)·7919 mod 65535) − 32767',
    trainers,
    survivor_hash: toHex(cut.survivorHash),
    responses,
    decoded_sum: Array.from(sum),
  };

  return { version: 1, description: 'SpeakOnce secure-aggregation known-answer vectors; see docs/kat.md', ntt, xof, cbd, shamir, round };
}
