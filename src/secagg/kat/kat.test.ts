/**
 * Verifier of the known-answer vectors in ./vectors.json (fields: docs/kat.md).
 *
 * It reads only the JSON and recomputes every output from the inputs recorded there, the way
 * another implementation following docs/protocol.md would: with the core's public API
 * (src/secagg/index.ts), and — for every byte layout the spec fixes (HKDF labels, counter
 * blocks, CBD bits, associated data, hashes, Lagrange evaluation, decoding) — once more
 * straight from the spec with @noble primitives, so that the document and the code cannot
 * drift apart. Everything that touches AES or X25519 runs under both backends (docs/protocol.md
 * §5): WebCrypto and the pure-JS fallback. The generator (scripts/kat/) is not imported.
 */
import { readFileSync } from 'node:fs';
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  type CommitteeJob,
  type EngineName,
  N,
  PLANS,
  PRIMES,
  type Residues,
  RoundAggregator,
  type RoundConfig,
  SecretRandom,
  activeBackends,
  addSliceInto,
  answerJob,
  applyMask,
  buildContribution,
  cbdFromBytes,
  contributionDigest,
  createIdentity,
  encodeSlice,
  engine,
  expandPublicRing,
  fromHex,
  generator,
  joinProof,
  negacyclicSchoolbook,
  openSlice,
  polyCount,
  powMod,
  publicRingKey,
  quantize,
  randomnessLength,
  reconstruct,
  removeMask,
  sampleNoise,
  sampleSecret,
  sealSlice,
  share,
  sizeCommittee,
  sliceAssociatedData,
  survivorHash,
  toHex,
  useBackend,
  useEngine,
  verifyJoinProof,
  x25519PublicKey,
} from '../index.js';

// ---- the JSON ---------------------------------------------------------------------------------

interface Summary {
  q1_sha256: string;
  q2_sha256: string;
  q1_head: number[];
  q2_head: number[];
}
interface Kat {
  ntt: { q: number; psi: number; forward_a: number[]; product_ab: number[] }[];
  xof: {
    public_seed: string;
    federation: string;
    round: number;
    blocks: number;
    a_q1_block0_head: number[];
    a_q2_block0_head: number[];
    a_q1_sha256: string;
    a_q2_sha256: string;
    aes_key: string;
  };
  cbd: {
    secret_seed: string;
    label: string;
    count: number;
    head: number[];
    sha256: string;
    bytes_examples: { bytes: string; value: number }[];
    aes_key: string;
  };
  shamir: {
    m: number;
    tRec: number;
    rho: number;
    secret_seed: string;
    secret_q1_sha256: string;
    secret_q2_sha256: string;
    slices_sha256: string[];
    slice1_head: number[];
  }[];
  round: {
    federation: string;
    round: number;
    length: number;
    delta: number;
    bits: number;
    n_max: number;
    committee: { m: number; tRec: number; rho: number };
    public_seed: string;
    member_secret_keys: string[];
    member_public_keys: string[];
    trainers: {
      client_id: string;
      secret_seed: string;
      masked_q1_sha256: string;
      masked_q2_sha256: string;
      masked_q1_head: number[];
      ephemeral_public: string;
      sealed_sha256: string[];
      contribution_digest: string;
    }[];
    survivor_hash: string;
    responses: { member: number; sum_sha256: string }[];
    sum_y: Summary;
    sum_s: Summary;
    decoded_sum: number[];
  };
  join: {
    secret_key: string;
    public_key: string;
    challenge_secret: string;
    challenge: string;
    shared_secret: string;
    proof: string;
  }[];
  quantize: {
    bits: number;
    clip: number;
    l2_clip?: number;
    weight: number;
    update: number[];
    random_words: number[];
    quantized: number[];
  }[];
  seal: {
    federation: string;
    round: number;
    client_id: string;
    member_index: number;
    ephemeral_secret: string;
    ephemeral_public: string;
    member_secret_key: string;
    member_public_key: string;
    slice: number[];
    associated_data: string;
    shared_secret: string;
    key: string;
    nonce: string;
    sealed: string;
  };
  committee_sizing: {
    n: number;
    m: number;
    corrupt_fraction: number;
    dropout_fraction: number;
    sigma: number;
    c_max: number;
    d_max: number;
    t_rec: number;
    rho: number;
    subset_safe: boolean;
  }[];
}

const V = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Kat;

// ---- docs/protocol.md §4: encodings and the summaries of large vectors --------------------------

const te = new TextEncoder();
const utf8 = (s: string): Uint8Array => te.encode(s);
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u64 = (n: number) => cat(u32(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32));
const lp = (s: string) => cat(Uint8Array.of(utf8(s).length >>> 8, utf8(s).length & 0xff), utf8(s));
function le32(v: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(v.length * 4);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < v.length; i++) dv.setUint32(4 * i, v[i] as number, true);
  return b;
}
const u32Hash = (v: ArrayLike<number>) => toHex(sha256(le32(v)));
const i8Hash = (v: Int8Array) => toHex(sha256(new Uint8Array(v.buffer, v.byteOffset, v.length)));
const head = (v: ArrayLike<number>, n = 8) => Array.from({ length: Math.min(n, v.length) }, (_, i) => v[i] as number);
const summary = (r: Residues): Summary => ({
  q1_sha256: u32Hash(r[0]),
  q2_sha256: u32Hash(r[1]),
  q1_head: head(r[0]),
  q2_head: head(r[1]),
});

// ---- straight from the spec (independent of src/secagg's own code paths) ------------------------

const SALT = utf8('SpeakOnce/v1');

/** §5: AES-256-CTR keystream, counter block = nonce8 ‖ 64-bit big-endian counter from 0. */
const keystream = (key: Uint8Array, nonce8: Uint8Array, length: number) =>
  ctr(key, cat(nonce8, new Uint8Array(8))).encrypt(new Uint8Array(length));

/** §7: uniform residues by rejection from a keystream, counts[k] mod primes[k] in order. */
function specUniform(key: Uint8Array, nonce8: Uint8Array, counts: readonly number[]): Uint32Array[] {
  for (let words = 5000; ; words *= 2) {
    const bytes = keystream(key, nonce8, 4 * words);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let w = 0;
    const outs = counts.map((count, k) => {
      const out = new Uint32Array(count);
      for (let f = 0; f < count && w < words; w++) {
        const v = dv.getUint32(4 * w, true) & 0x3ffffff;
        if (v < (PRIMES[k] as number)) out[f++] = v;
      }
      return out;
    });
    if (w < words) return outs;
  }
}

/** §8: the key of a secret stream. */
const secretKey = (seed: Uint8Array, label: string) => hkdf(sha256, seed, SALT, utf8(`secret/${label}`), 32);

/** §9: CBD(21) from 6 bytes per value (48-bit little-endian X). */
function specCbd(bytes: Uint8Array, count: number): Int8Array {
  const pop = (x: number) => x.toString(2).replace(/0/g, '').length;
  return Int8Array.from({ length: count }, (_, i) => {
    let x = 0;
    for (let b = 5; b >= 0; b--) x = x * 256 + (bytes[6 * i + b] as number);
    return pop(x % 2 ** 21) - pop(Math.floor(x / 2 ** 21) % 2 ** 21);
  });
}

/** §6: â[i] = Σ_c a[c]·ψ^((2·brv₁₁(i) + 1)·c) mod q, in BigInt. */
function specNttEntry(a: ArrayLike<number>, q: number, psi: number, i: number): number {
  let r = 0;
  for (let b = 0; b < 11; b++) r = (r << 1) | ((i >>> b) & 1);
  const Q = BigInt(q);
  const x = BigInt(powMod(psi, 2 * r + 1, q));
  let acc = 0n;
  let p = 1n;
  for (let c = 0; c < a.length; c++) {
    acc = (acc + BigInt(a[c] as number) * p) % Q;
    p = (p * x) % Q;
  }
  return Number(acc);
}

/** §11: f(x) for the polynomial through (xs[i], ys[i]) over F_q (Lagrange, BigInt). */
function lagrangeAt(xs: number[], ys: number[], x: number, q: number): number {
  const Q = BigInt(q);
  const m = (v: bigint) => ((v % Q) + Q) % Q;
  const inv = (v: bigint) => {
    let r = 1n;
    for (let b = m(v), e = Q - 2n; e > 0n; e >>= 1n, b = (b * b) % Q) if (e & 1n) r = (r * b) % Q;
    return r;
  };
  let acc = 0n;
  xs.forEach((xb, b) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xl, l) => {
      if (l !== b) {
        num = m(num * BigInt(x - xl));
        den = m(den * BigInt(xb - xl));
      }
    });
    acc = m(acc + BigInt(ys[b] as number) * num * inv(den));
  });
  return Number(acc);
}

/** §12: the AES-GCM key and nonce of one slice. */
function specSealKey(shared: Uint8Array, ephPub: Uint8Array, memberPub: Uint8Array, ad: Uint8Array) {
  const okm = hkdf(sha256, shared, cat(ephPub, memberPub), cat(utf8('SpeakOnce/v1/seal'), ad), 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}
const specAd = (fed: string, round: number, client: string, member: number) =>
  cat(utf8('SpeakOnce/v1/slice'), lp(fed), u64(round), lp(client), u32(member));

/** §13: contribution digest and H_S. */
const specDigest = (ephPub: Uint8Array, sealed: readonly Uint8Array[]) =>
  sha256(
    cat(utf8('SpeakOnce/v1/contribution'), ephPub, u32(sealed.length), ...sealed.flatMap((s) => [u32(s.length), s])),
  );
const specSurvivorHash = (fed: string, round: number, entries: { clientId: string; digest: Uint8Array }[]) =>
  sha256(
    cat(
      utf8('SpeakOnce/v1/survivors'),
      lp(fed),
      u64(round),
      u32(entries.length),
      ...entries.flatMap((e) => [lp(e.clientId), e.digest]),
    ),
  );

/** §17: clip, scale, stochastic rounding; the weight coordinate last. */
function specQuantize(c: Kat['quantize'][number]): number[] {
  const limit = 2 ** (c.bits - 1) - 1;
  const norm = Math.sqrt(c.update.reduce((s, v) => s + v * v, 0));
  const l2 = c.l2_clip !== undefined && norm > c.l2_clip ? c.l2_clip / norm : 1;
  const S = limit / c.clip;
  const round = (v: number, w: number) => {
    const r = Math.floor(v) + (w / 2 ** 32 < v - Math.floor(v) ? 1 : 0);
    return Math.max(-limit, Math.min(limit, r));
  };
  const clamp = (u: number) => Math.max(-c.clip, Math.min(c.clip, u));
  const xs = c.update.map((u, i) => round(c.weight * clamp(u * l2) * S, c.random_words[i] as number));
  return [...xs, round(c.weight * limit, c.random_words[c.update.length] as number)];
}

/** §14: z = CRT(z1, z2) centred into (−q/2, q/2], then round(z/Δ) (ties towards +∞). */
function specDecode(z1: number, z2: number, delta: number): number {
  const [q1, q2] = [BigInt(PRIMES[0]), BigInt(PRIMES[1])];
  let inv = 1n;
  for (let b = q1 % q2, e = q2 - 2n; e > 0n; e >>= 1n, b = (b * b) % q2) if (e & 1n) inv = (inv * b) % q2;
  const t = (((BigInt(z2) - BigInt(z1)) % q2) + q2) % q2;
  let z = BigInt(z1) + q1 * ((t * inv) % q2);
  if (z > (q1 * q2 - 1n) / 2n) z -= q1 * q2;
  return Math.floor(Number(z) / delta + 0.5) + 0;
}

/** Crypto backends (docs/protocol.md §5) and arithmetic engines (§6.1): every pair. */
const BACKENDS = ['webcrypto', 'noble'] as const satisfies readonly Backend[];
const ENGINES = ['wasm', 'ts'] as const satisfies readonly EngineName[];

// ---- backend-independent vectors -----------------------------------------------------------------

describe('known-answer vectors: arithmetic (docs/protocol.md §6, §15, §17)', () => {
  it('ntt: ψ, the forward transform in bit-reversed order, the negacyclic product', async () => {
    expect(V.ntt.map((e) => e.q)).toEqual([...PRIMES]);
    V.ntt.forEach((e, k) => {
      const q = e.q;
      expect(e.psi).toBe(powMod(generator(q), (q - 1) / (2 * N), q));
      expect(powMod(e.psi, N, q)).toBe(q - 1);
      const mod = (x: bigint) => Number(((x % BigInt(q)) + BigInt(q)) % BigInt(q));
      const a = Int32Array.from({ length: N }, (_, i) => mod(BigInt(i * i + 3 * i + 7) * 2654435761n));
      const b = Int32Array.from({ length: N }, (_, i) => mod(BigInt(5 * i + 11) ** 3n));
      const plan = PLANS[k as 0 | 1];
      const A = a.slice();
      plan.forward(A);
      expect(Array.from(A)).toEqual(e.forward_a);
      for (const i of [0, 1, 2, 1000, 2047]) expect(specNttEntry(a, q, e.psi, i), `â[${i}]`).toBe(e.forward_a[i]);
      const B = b.slice();
      plan.forward(B);
      const C = new Int32Array(N);
      plan.pointwise(A, B, C);
      plan.inverse(C);
      expect(Array.from(C)).toEqual(e.product_ab);
      expect(Array.from(negacyclicSchoolbook(a, b, q))).toEqual(e.product_ab);
    });
    // the same vectors through each arithmetic engine (docs/protocol.md §6.1)
    for (const name of ENGINES) {
      await useEngine(name);
      const E = engine();
      expect(E.name).toBe(name);
      V.ntt.forEach((e, k) => {
        const mod = (x: bigint) => Number(((x % BigInt(e.q)) + BigInt(e.q)) % BigInt(e.q));
        const A = Int32Array.from({ length: N }, (_, i) => mod(BigInt(i * i + 3 * i + 7) * 2654435761n));
        const B = Int32Array.from({ length: N }, (_, i) => mod(BigInt(5 * i + 11) ** 3n));
        E.nttForward(k as 0 | 1, A);
        expect(Array.from(A), `${name}: forward`).toEqual(e.forward_a);
        E.nttForward(k as 0 | 1, B);
        const C = new Int32Array(N);
        E.pointwise(k as 0 | 1, A, B, C);
        E.nttInverse(k as 0 | 1, C);
        expect(Array.from(C), `${name}: product`).toEqual(e.product_ab);
      });
    }
    await useEngine(undefined);
  });

  it('quantize: clipping, scaling and stochastic rounding from the recorded words', () => {
    for (const c of V.quantize) {
      const o = { bits: c.bits, clip: c.clip, ...(c.l2_clip !== undefined ? { l2Clip: c.l2_clip } : {}) };
      const q = quantize(Float64Array.from(c.update), c.weight, o, Uint32Array.from(c.random_words));
      expect(Array.from(q)).toEqual(c.quantized);
      expect(specQuantize(c)).toEqual(c.quantized);
    }
  });

  it('committee sizing from hypergeometric tails', () => {
    for (const c of V.committee_sizing) {
      const s = sizeCommittee({
        n: c.n,
        m: c.m,
        corruptFraction: c.corrupt_fraction,
        dropoutFraction: c.dropout_fraction,
        sigma: c.sigma,
      });
      expect({ c_max: s.cMax, d_max: s.dMax, t_rec: s.tRec, rho: s.rho, subset_safe: s.subsetSafe }).toEqual({
        c_max: c.c_max,
        d_max: c.d_max,
        t_rec: c.t_rec,
        rho: c.rho,
        subset_safe: c.subset_safe,
      });
      expect(s.tRec).toBe(c.m - c.d_max);
      expect(s.rho).toBe(c.t_rec - c.c_max);
    }
  });
});

// ---- vectors that use AES or X25519, under each backend --------------------------------------------

for (const [backend, arith] of BACKENDS.flatMap((b) => ENGINES.map((e) => [b, e] as const))) {
  describe(`known-answer vectors under the ${backend} backend, ${arith} engine`, () => {
    beforeAll(async () => {
      useBackend(backend === 'noble' ? 'noble' : undefined);
      await useEngine(arith);
    });
    afterAll(async () => {
      useBackend(undefined);
      await useEngine(undefined);
    });

    it('runs on the intended backend and arithmetic engine', async () => {
      expect(await activeBackends()).toEqual({ aes: backend, x25519: backend });
      expect(engine().name).toBe(arith);
    });

    it('xof: the public ring elements (§7)', async () => {
      const x = V.xof;
      const seed = fromHex(x.public_seed);
      const ctx = { federation: x.federation, round: x.round };
      const ring = await expandPublicRing(seed, ctx, x.blocks * N);
      expect(ring.blocks).toBe(x.blocks);
      expect(head(ring.a[0])).toEqual(x.a_q1_block0_head);
      expect(head(ring.a[1])).toEqual(x.a_q2_block0_head);
      expect(u32Hash(ring.a[0])).toBe(x.a_q1_sha256);
      expect(u32Hash(ring.a[1])).toBe(x.a_q2_sha256);
      // from the spec: the HKDF key, then per block its own counter stream
      const key = hkdf(sha256, seed, SALT, cat(utf8('public-a'), lp(x.federation), u64(x.round)), 32);
      expect(toHex(key)).toBe(x.aes_key);
      expect(toHex(publicRingKey(seed, ctx))).toBe(x.aes_key);
      const a1 = new Uint32Array(x.blocks * N);
      const a2 = new Uint32Array(x.blocks * N);
      for (let j = 0; j < x.blocks; j++) {
        const [r1, r2] = specUniform(key, u64(j), [N, N]);
        a1.set(r1 as Uint32Array, j * N);
        a2.set(r2 as Uint32Array, j * N);
      }
      expect(u32Hash(a1)).toBe(x.a_q1_sha256);
      expect(u32Hash(a2)).toBe(x.a_q2_sha256);
    });

    it('cbd: the noise stream and the bit layout (§8, §9)', async () => {
      const c = V.cbd;
      const seed = fromHex(c.secret_seed);
      const noise = await sampleNoise(new SecretRandom(seed), c.count);
      expect(head(noise, c.head.length)).toEqual(c.head);
      expect(i8Hash(noise)).toBe(c.sha256);
      const key = secretKey(seed, c.label);
      expect(toHex(key)).toBe(c.aes_key);
      expect(i8Hash(specCbd(keystream(key, u64(0), 6 * c.count), c.count))).toBe(c.sha256);
      for (const ex of c.bytes_examples) {
        expect(cbdFromBytes(fromHex(ex.bytes), 1)[0]).toBe(ex.value);
        expect(specCbd(fromHex(ex.bytes), 1)[0]).toBe(ex.value);
      }
    });

    it('shamir: the secret, the sharing randomness, the slices, reconstruction (§10, §11)', async () => {
      for (const v of V.shamir) {
        const scheme = { m: v.m, tRec: v.tRec, rho: v.rho };
        const seed = fromHex(v.secret_seed);
        const rng = new SecretRandom(seed);
        const secret = await sampleSecret(rng);
        expect([u32Hash(secret[0]), u32Hash(secret[1])]).toEqual([v.secret_q1_sha256, v.secret_q2_sha256]);
        const [s1, s2] = specUniform(secretKey(seed, 's'), u64(0), [N, N]);
        expect([s1, s2].map((s) => u32Hash(s as Uint32Array))).toEqual([v.secret_q1_sha256, v.secret_q2_sha256]);
        const len = randomnessLength(scheme);
        const rnd = specUniform(secretKey(seed, 'shamir'), u64(0), [len, len]) as [Uint32Array, Uint32Array];
        expect(rnd.map(u32Hash)).toEqual((await rng.uniform('shamir', PRIMES, [len, len])).map(u32Hash));
        const slices = share(secret, rnd, scheme);
        expect(slices.map(u32Hash)).toEqual(v.slices_sha256);
        expect(head(slices[0] as Uint32Array)).toEqual(v.slice1_head);
        // from the spec: polynomial p of prime k through the secrets at −1..−ρ and the
        // randomness at −(ρ+1)..−t; member j's slice holds f(j) at k·P + p
        const P = polyCount(scheme);
        const nodes = Array.from({ length: v.tRec }, (_, i) => -(i + 1));
        for (const k of [0, 1] as const) {
          for (const p of [0, 1, P - 1]) {
            const ys = nodes.map((_, i) => {
              if (i >= v.rho) return rnd[k][p * (v.tRec - v.rho) + i - v.rho] as number;
              return p * v.rho + i < N ? (secret[k][p * v.rho + i] as number) : 0;
            });
            for (let j = 1; j <= v.m; j++) {
              expect((slices[j - 1] as Uint32Array)[k * P + p]).toBe(lagrangeAt(nodes, ys, j, PRIMES[k]));
            }
          }
        }
        for (const from of [0, v.m - v.tRec]) {
          const shares = slices.slice(from, from + v.tRec).map((values, i) => ({ index: from + i + 1, values }));
          const back = reconstruct(shares, scheme);
          expect([u32Hash(back[0]), u32Hash(back[1])]).toEqual([v.secret_q1_sha256, v.secret_q2_sha256]);
        }
      }
    });

    it('join: the proof of possession for a challenge (§16)', async () => {
      for (const j of V.join) {
        const me = createIdentity(fromHex(j.secret_key));
        expect(toHex(me.publicKey)).toBe(j.public_key);
        const challenge = x25519PublicKey(fromHex(j.challenge_secret));
        expect(toHex(challenge)).toBe(j.challenge);
        const proof = await joinProof(me, challenge);
        expect(toHex(proof)).toBe(j.proof);
        const shared = x25519.getSharedSecret(me.secretKey, challenge);
        expect(toHex(shared)).toBe(j.shared_secret);
        expect(toHex(hmac(sha256, shared, cat(utf8('SpeakOnce/v1/join'), challenge, me.publicKey)))).toBe(j.proof);
        expect(await verifyJoinProof(fromHex(j.challenge_secret), challenge, me.publicKey, proof)).toBe(true);
        const wrong = proof.slice();
        wrong[0] = (wrong[0] as number) ^ 1;
        expect(await verifyJoinProof(fromHex(j.challenge_secret), challenge, me.publicKey, wrong)).toBe(false);
      }
    });

    it('seal: one slice, its associated data, key, nonce and ciphertext (§12)', async () => {
      const s = V.seal;
      const ctx = { federation: s.federation, round: s.round };
      const id = { ctx, clientId: s.client_id, memberIndex: s.member_index };
      const eph = fromHex(s.ephemeral_secret);
      const ephPub = x25519PublicKey(eph);
      expect(toHex(ephPub)).toBe(s.ephemeral_public);
      const member = createIdentity(fromHex(s.member_secret_key));
      expect(toHex(member.publicKey)).toBe(s.member_public_key);
      const ad = sliceAssociatedData(id);
      expect(toHex(ad)).toBe(s.associated_data);
      expect(toHex(specAd(s.federation, s.round, s.client_id, s.member_index))).toBe(s.associated_data);
      const shared = x25519.getSharedSecret(eph, member.publicKey);
      expect(toHex(shared)).toBe(s.shared_secret);
      const { key, nonce } = specSealKey(shared, ephPub, member.publicKey, ad);
      expect([toHex(key), toHex(nonce)]).toEqual([s.key, s.nonce]);
      const slice = Uint32Array.from(s.slice);
      const sealed = await sealSlice(id, slice, eph, ephPub, member.publicKey);
      expect(toHex(sealed)).toBe(s.sealed);
      expect(toHex(gcm(key, nonce, ad).encrypt(le32(slice)))).toBe(s.sealed);
      expect(Array.from(await openSlice(id, sealed, ephPub, member.secretKey, member.publicKey))).toEqual(s.slice);
    });

    it('round: each trainer, H_S, each answer, Σy, Σŝ and the decoded sum (§10–§14)', async () => {
      const r = V.round;
      const ctx = { federation: r.federation, round: r.round };
      const L = r.length;
      const members = r.member_secret_keys.map((k) => createIdentity(fromHex(k)));
      expect(members.map((m) => toHex(m.publicKey))).toEqual(r.member_public_keys);
      const cfg: RoundConfig = {
        federation: r.federation,
        round: r.round,
        length: L,
        delta: r.delta,
        bits: r.bits,
        nMax: r.n_max,
        committee: r.committee,
        memberKeys: members.map((m) => m.publicKey),
        publicSeed: fromHex(r.public_seed),
      };
      const ring = await expandPublicRing(cfg.publicSeed, ctx, L);
      const keys = cfg.memberKeys;
      // x_t[i] = ((i+1)·(t+3)·7919 mod 65535) − 32767, t the trainer's position in the list
      const updates = r.trainers.map((_, t) =>
        Int32Array.from({ length: L }, (_, i) => (((i + 1) * (t + 3) * 7919) % 65535) - 32767),
      );

      // §10: a trainer's message, step by step, then through buildContribution
      const built = [];
      for (const [t, v] of r.trainers.entries()) {
        const rng = new SecretRandom(fromHex(v.secret_seed));
        const secret = await sampleSecret(rng);
        const noise = await sampleNoise(rng, L);
        const masked = applyMask(updates[t], secret, ring, noise, cfg.delta, L);
        expect([u32Hash(masked[0]), u32Hash(masked[1])]).toEqual([v.masked_q1_sha256, v.masked_q2_sha256]);
        expect(head(masked[0])).toEqual(v.masked_q1_head);
        const len = randomnessLength(cfg.committee);
        const [r1, r2] = await rng.uniform('shamir', PRIMES, [len, len]);
        const slices = share(secret, [r1 as Uint32Array, r2 as Uint32Array], cfg.committee);
        const eph = await rng.bytes('x25519', 32);
        expect(toHex(eph)).toBe(toHex(keystream(secretKey(fromHex(v.secret_seed), 'x25519'), u64(0), 32)));
        const ephPub = x25519PublicKey(eph);
        expect(toHex(ephPub)).toBe(v.ephemeral_public);
        const sealed = await Promise.all(
          slices.map((sl, j) => {
            const slot = { ctx, clientId: v.client_id, memberIndex: j + 1 };
            return sealSlice(slot, sl, eph, ephPub, keys[j]!);
          }),
        );
        expect(sealed.map((s) => toHex(sha256(s)))).toEqual(v.sealed_sha256);
        sealed.forEach((s, j) => {
          const ad = specAd(r.federation, r.round, v.client_id, j + 1);
          const { key, nonce } = specSealKey(x25519.getSharedSecret(eph, keys[j]!), ephPub, keys[j]!, ad);
          expect(toHex(gcm(key, nonce, ad).encrypt(le32(slices[j] as Uint32Array)))).toBe(toHex(s));
        });
        expect(toHex(await contributionDigest(ephPub, sealed))).toBe(v.contribution_digest);
        expect(toHex(specDigest(ephPub, sealed))).toBe(v.contribution_digest);
        const again = new SecretRandom(fromHex(v.secret_seed));
        const { contribution: c } = await buildContribution(cfg, v.client_id, updates[t] as Int32Array, { rng: again });
        expect([u32Hash(c.masked[0]), u32Hash(c.masked[1])]).toEqual([v.masked_q1_sha256, v.masked_q2_sha256]);
        expect(toHex(c.ephemeralPublic)).toBe(v.ephemeral_public);
        expect(c.sealed.map((s) => toHex(sha256(s)))).toEqual(v.sealed_sha256);
        built.push({ contribution: c, secret });
      }

      // §13: the survivor set is every trainer, in sorted id order
      const survivors = built.map((b) => b.contribution).sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
      const entries = await Promise.all(
        survivors.map(async (c) => ({
          clientId: c.clientId,
          digest: await contributionDigest(c.ephemeralPublic, c.sealed),
        })),
      );
      expect(toHex(survivorHash(ctx, entries))).toBe(r.survivor_hash);
      expect(toHex(specSurvivorHash(r.federation, r.round, entries))).toBe(r.survivor_hash);

      // §13: each answering member opens its slices of S and sums them
      const answers = [];
      for (const resp of r.responses) {
        const me = members[resp.member - 1]!;
        const sum = new Uint32Array(2 * polyCount(cfg.committee));
        for (const c of survivors) {
          const id = { ctx, clientId: c.clientId, memberIndex: resp.member };
          const sealed = c.sealed[resp.member - 1]!;
          addSliceInto(sum, await openSlice(id, sealed, c.ephemeralPublic, me.secretKey, me.publicKey));
        }
        expect(toHex(sha256(encodeSlice(sum)))).toBe(resp.sum_sha256);
        const job: CommitteeJob = {
          ...ctx,
          memberIndex: resp.member,
          survivors: entries,
          survivorHash: fromHex(r.survivor_hash),
          slots: survivors.map((c) => ({
            clientId: c.clientId,
            ephemeralPublic: c.ephemeralPublic,
            sealed: c.sealed[resp.member - 1]!,
          })),
        };
        expect(Array.from((await answerJob(cfg, job, me)).sum)).toEqual(Array.from(sum));
        answers.push({ index: resp.member, values: sum });
      }

      // §14: Σy, Σŝ from t_rec answers, and the decoding
      const sumY: Residues = [new Uint32Array(L), new Uint32Array(L)];
      const sumSecrets: Residues = [new Uint32Array(N), new Uint32Array(N)];
      const addInto = (acc: Uint32Array, v: Uint32Array, q: number) =>
        acc.forEach((a, i) => (acc[i] = (a + (v[i] as number)) % q));
      for (const k of [0, 1] as const) {
        for (const c of survivors) addInto(sumY[k], c.masked[k], PRIMES[k]);
        for (const b of built) addInto(sumSecrets[k], b.secret[k], PRIMES[k]);
      }
      expect(summary(sumY)).toEqual(r.sum_y);
      const sumS = reconstruct(answers, cfg.committee);
      expect(summary(sumS)).toEqual(r.sum_s);
      expect(summary(sumSecrets)).toEqual(r.sum_s);
      const plain = Array.from({ length: L }, (_, i) => updates.reduce((s, u) => s + (u[i] as number), 0));
      expect(r.decoded_sum).toEqual(plain);
      expect(Array.from(removeMask(sumY, sumS, ring, cfg.delta, L))).toEqual(r.decoded_sum);
      // from the spec: subtract the bare mask of Σŝ (no update, no noise), CRT, centre, round
      const bare = applyMask(undefined, sumS, ring, new Int8Array(L), cfg.delta, L);
      const z = (k: 0 | 1, i: number) => ((sumY[k][i] as number) - (bare[k][i] as number) + PRIMES[k]) % PRIMES[k];
      expect(Array.from({ length: L }, (_, i) => specDecode(z(0, i), z(1, i), cfg.delta))).toEqual(r.decoded_sum);

      // and the server's role end to end
      const agg = new RoundAggregator(cfg, ring);
      for (const c of survivors) await agg.add(c);
      const cut = agg.closeContributions();
      expect(toHex(cut.survivorHash)).toBe(r.survivor_hash);
      for (const resp of r.responses) {
        agg.receive(await answerJob(cfg, cut.jobs[resp.member - 1]!, members[resp.member - 1]!));
      }
      expect(Array.from((await agg.unmask()).sum)).toEqual(r.decoded_sum);
    });
  });
}
