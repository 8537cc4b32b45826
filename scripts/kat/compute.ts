/**
 * The generator of the core's known-answer vectors: fixed inputs run through the implementation
 * (its public API, src/secagg/index.ts). `npm run kat` (scripts/kat/gen.ts) writes the result
 * to src/secagg/kat/vectors.json; src/secagg/kat/kat.test.ts verifies the JSON independently.
 * docs/kat.md describes every field, docs/protocol.md the computations.
 *
 * Large outputs are given as their first values plus SHA-256 over the little-endian u32
 * (residues) or int8 (noise) encoding of the whole vector (docs/protocol.md §4).
 *
 * Every vector is cross-checked while it is generated (NTT against schoolbook products, Shamir
 * and the round against the plaintext, sealing against a direct AES-GCM, the join proof against
 * the server's check), so a wrong implementation cannot write vectors.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type CommitteeJob,
  DEFAULT_PROFILE,
  N,
  PLANS,
  PRIMES,
  type Residues,
  RoundAggregator,
  type RoundConfig,
  SecretRandom,
  answerJob,
  buildContribution,
  cbdFromBytes,
  concatBytes,
  contributionDigest,
  createIdentity,
  encodeSlice,
  expandPublicRing,
  joinProof,
  negacyclicSchoolbook,
  publicRingKey,
  quantize,
  randomnessLength,
  reconstruct,
  sampleNoise,
  sampleSecret,
  sealSlice,
  share,
  sizeCommittee,
  sliceAssociatedData,
  toHex,
  utf8,
  verifyJoinProof,
  x25519PublicKey,
} from '../../src/secagg/index.js';

/** docs/kat.md, `ntt`: a[i] = (i² + 3i + 7)·2654435761 mod q, b[i] = (5i + 11)³ mod q. */
function nttInputs(q: number): { a: Int32Array; b: Int32Array } {
  const mod = (x: bigint) => Number(((x % BigInt(q)) + BigInt(q)) % BigInt(q));
  const a = Int32Array.from({ length: N }, (_, i) => mod(BigInt(i * i + 3 * i + 7) * 2654435761n));
  const b = Int32Array.from({ length: N }, (_, i) => mod(BigInt(5 * i + 11) ** 3n));
  return { a, b };
}

/** The 32 bytes byte, byte+1, …, byte+31 (mod 256). */
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

function residueSummary(r: Residues): Record<string, unknown> {
  return { q1_sha256: u32Hash(r[0]), q2_sha256: u32Hash(r[1]), q1_head: head(r[0]), q2_head: head(r[1]) };
}

function sameResidues(a: Residues, b: Residues): boolean {
  return u32Hash(a[0]) === u32Hash(b[0]) && u32Hash(a[1]) === u32Hash(b[1]);
}

/** Σ of residue vectors, reduced mod q1 and q2. */
function sumResidues(vs: readonly Residues[], length: number): Residues {
  const out: Residues = [new Uint32Array(length), new Uint32Array(length)];
  for (const k of [0, 1] as const) {
    const q = PRIMES[k];
    for (const v of vs) for (let i = 0; i < length; i++) out[k][i] = ((out[k][i] as number) + (v[k][i] as number)) % q;
  }
  return out;
}

/** 32-bit words from a small LCG (fixed rounding randomness; recorded explicitly in the JSON). */
function lcgWords(count: number, start: number): number[] {
  let s = start >>> 0;
  return Array.from({ length: count }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0));
}

export async function computeKat(): Promise<Record<string, unknown>> {
  // --- NTT (docs/protocol.md §6) ---------------------------------------------------------------
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
    return {
      q: plan.q,
      psi: plan.psi,
      forward_a: Array.from(A),
      product_ab: Array.from(C),
      a_rule: 'a[i] = (i² + 3i + 7)·2654435761 mod q',
      b_rule: 'b[i] = (5i + 11)³ mod q',
    };
  });

  // --- public ring expansion ("XOF", §7) -----------------------------------------------------
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
    aes_key: toHex(publicRingKey(publicSeed, ctx)),
  };

  // --- CBD (§8, §9) ----------------------------------------------------------------------------
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
    aes_key: toHex(hkdf(sha256, secretSeed, utf8('SpeakOnce/v1'), utf8('secret/e'), 32)),
  };

  // --- packed Shamir (§11) -----------------------------------------------------------------------
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
      if (!sameResidues(back, secret)) throw new Error('Shamir reconstruction failed');
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

  // --- one whole round (§10–§14) -----------------------------------------------------------------
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
  const updates = [0, 1, 2].map((t) =>
    Int32Array.from({ length: L }, (_, i) => (((i + 1) * (t + 3) * 7919) % 65535) - 32767),
  );
  const agg = new RoundAggregator(cfg);
  const trainers = [];
  const masked: Residues[] = [];
  const secrets: Residues[] = [];
  for (const [t, u] of updates.entries()) {
    const rngT = new SecretRandom(seed(0x60 + t));
    const { contribution: c } = await buildContribution(cfg, `trainer-${t}`, u, { rng: rngT });
    await agg.add(c);
    masked.push(c.masked);
    secrets.push(await sampleSecret(new SecretRandom(seed(0x60 + t))));
    trainers.push({
      client_id: c.clientId,
      secret_seed: toHex(seed(0x60 + t)),
      masked_q1_sha256: u32Hash(c.masked[0]),
      masked_q2_sha256: u32Hash(c.masked[1]),
      masked_q1_head: head(c.masked[0]),
      ephemeral_public: toHex(c.ephemeralPublic),
      sealed_sha256: c.sealed.map((s) => toHex(sha256(s))),
      contribution_digest: toHex(await contributionDigest(c.ephemeralPublic, c.sealed)),
    });
  }
  const cut = agg.closeContributions();
  const responses = [];
  const answers = [];
  for (const j of [1, 2, 3]) {
    const r = await answerJob(cfg, cut.jobs[j] as CommitteeJob, members[j]!);
    agg.receive(r);
    answers.push({ index: r.memberIndex, values: r.sum });
    responses.push({ member: j + 1, sum_sha256: toHex(sha256(encodeSlice(r.sum))) });
  }
  const sumY = sumResidues(masked, L);
  const sumS = reconstruct(answers, cfg.committee);
  if (!sameResidues(sumS, sumResidues(secrets, N))) throw new Error('round KAT: Σŝ is not the sum of the secrets');
  const { sum } = await agg.unmask();
  const plain = Array.from({ length: L }, (_, i) => updates.reduce((s, u) => s + (u[i] as number), 0));
  if (!plain.every((v, i) => v === sum[i])) throw new Error('round KAT does not decode exactly');
  const round = {
    federation: cfg.federation,
    round: cfg.round,
    length: L,
    delta: cfg.delta,
    bits: cfg.bits,
    n_max: cfg.nMax,
    committee: cfg.committee,
    public_seed: toHex(cfg.publicSeed),
    member_secret_keys: members.map((m) => toHex(m.secretKey)),
    member_public_keys: members.map((m) => toHex(m.publicKey)),
    update_rule: 'x_t[i] = ((i+1)·(t+3)·7919 mod 65535) − 32767',
    trainers,
    survivor_hash: toHex(cut.survivorHash),
    responses,
    sum_y: residueSummary(sumY),
    sum_s: residueSummary(sumS),
    decoded_sum: Array.from(sum),
  };

  // --- join proof (§16) --------------------------------------------------------------------------
  const join = await Promise.all(
    [
      [0x70, 0x80],
      [0x71, 0x90],
    ].map(async ([sk, cs]) => {
      const me = createIdentity(seed(sk as number));
      const challengeSecret = seed(cs as number);
      const challenge = x25519PublicKey(challengeSecret);
      const proof = await joinProof(me, challenge);
      const ok = await verifyJoinProof(challengeSecret, challenge, me.publicKey, proof);
      if (!ok) throw new Error('join proof does not verify');
      return {
        secret_key: toHex(me.secretKey),
        public_key: toHex(me.publicKey),
        challenge_secret: toHex(challengeSecret),
        challenge: toHex(challenge),
        shared_secret: toHex(x25519.getSharedSecret(me.secretKey, challenge)),
        proof: toHex(proof),
      };
    }),
  );

  // --- quantization (§17) ------------------------------------------------------------------------
  const quantCases = [
    {
      bits: 16,
      clip: 0.5,
      weight: 1,
      update: [0, 0.25, -0.25, 0.5, -0.5, 0.75, -3, 1e-6, -1e-6, 0.123456789, -0.333, 0.4999],
      // ties at frac = 0.5 (0.25·S = 16383.5): 2^31 does not round up, 2^31 − 1 does.
      random_words: [
        0, 0x80000000, 0x7fffffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff, 0x40000000, 0xc0000000, 0x12345678, 0,
      ],
    },
    {
      bits: 8,
      clip: 1,
      l2_clip: 1.5,
      weight: 0.3,
      update: [1.2, -0.9, 0.6, 0.05, -0.05, 2.5],
      random_words: lcgWords(7, 1),
    },
    {
      bits: 16,
      clip: 0.05,
      l2_clip: 10,
      weight: 0.6,
      update: lcgWords(16, 7).map((w) => Math.round((w / 2 ** 32 - 0.5) * 160_000) / 1_000_000),
      random_words: lcgWords(17, 99),
    },
  ];
  const quantizeKat = quantCases.map((c) => {
    const o = { bits: c.bits, clip: c.clip, ...(c.l2_clip !== undefined ? { l2Clip: c.l2_clip } : {}) };
    const q = quantize(Float64Array.from(c.update), c.weight, o, Uint32Array.from(c.random_words));
    return { ...c, quantized: Array.from(q) };
  });

  // --- sealing of one slice (§12) ----------------------------------------------------------------
  const sealKat = await (async () => {
    const id = { ctx: { federation: 'kat-federation', round: 7 }, clientId: 'trainer-0', memberIndex: 2 };
    const ephemeralSecret = seed(0xa0);
    const ephemeralPublic = x25519PublicKey(ephemeralSecret);
    const member = createIdentity(seed(0xb0));
    const slice = Uint32Array.of(1, PRIMES[0] - 1, 0, PRIMES[1] - 1);
    const sealed = await sealSlice(id, slice, ephemeralSecret, ephemeralPublic, member.publicKey);
    const ad = sliceAssociatedData(id);
    const shared = x25519.getSharedSecret(ephemeralSecret, member.publicKey);
    const salt = concatBytes(ephemeralPublic, member.publicKey);
    const okm = hkdf(sha256, shared, salt, concatBytes(utf8('SpeakOnce/v1/seal'), ad), 44);
    const direct = gcm(okm.subarray(0, 32), okm.subarray(32, 44), ad).encrypt(encodeSlice(slice));
    if (toHex(direct) !== toHex(sealed)) throw new Error('sealed slice disagrees with the direct AES-GCM');
    return {
      federation: id.ctx.federation,
      round: id.ctx.round,
      client_id: id.clientId,
      member_index: id.memberIndex,
      ephemeral_secret: toHex(ephemeralSecret),
      ephemeral_public: toHex(ephemeralPublic),
      member_secret_key: toHex(member.secretKey),
      member_public_key: toHex(member.publicKey),
      slice: Array.from(slice),
      associated_data: toHex(ad),
      shared_secret: toHex(shared),
      key: toHex(okm.subarray(0, 32)),
      nonce: toHex(okm.subarray(32, 44)),
      sealed: toHex(sealed),
    };
  })();

  // --- committee sizing (§15) --------------------------------------------------------------------
  const sizing = [
    { n: 1000, m: 128 },
    { n: 10_000, m: 128 },
    { n: 200, m: 128 },
    { n: 128, m: 128 },
    { n: 1000, m: 64 },
    { n: 50, m: 20 },
    { n: 5000, m: 100, corrupt_fraction: 0.1, dropout_fraction: 0.2, sigma: 30 },
  ].map((c) => {
    const s = sizeCommittee({
      n: c.n,
      m: c.m,
      corruptFraction: c.corrupt_fraction ?? 0.05,
      dropoutFraction: c.dropout_fraction ?? 0.1,
      sigma: c.sigma ?? 40,
    });
    return {
      n: c.n,
      m: c.m,
      corrupt_fraction: c.corrupt_fraction ?? 0.05,
      dropout_fraction: c.dropout_fraction ?? 0.1,
      sigma: c.sigma ?? 40,
      c_max: s.cMax,
      d_max: s.dMax,
      t_rec: s.tRec,
      rho: s.rho,
      subset_safe: s.subsetSafe,
    };
  });

  return {
    version: 1,
    description: 'SpeakOnce secure-aggregation known-answer vectors; see docs/kat.md',
    ntt,
    xof,
    cbd,
    shamir,
    round,
    join,
    quantize: quantizeKat,
    seal: sealKat,
    committee_sizing: sizing,
  };
}
