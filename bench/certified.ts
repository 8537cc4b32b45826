/**
 * Certified-federation fixtures for the bench (docs/protocol.md §22–§23): an enrollment
 * authority, participants' certificates and signing keys, signed contributions and answers, the
 * `round` and `job` messages a member receives, and the pre-certification trainer used as the
 * same-run baseline of `trainer_total`. Everything here is setup; the bench times the calls the
 * participants and the server make (src/client/verify.ts, src/server/signed.ts, src/cert).
 */
import { committeeJobOf } from '../src/client/job.js';
import { type CertRole, authorityId, issueCertificate } from '../src/cert/certificate.js';
import { type RawSigningKeyPair, createSigningKey, sign } from '../src/cert/sign.js';
import { answerBytes, contributionBytes, digest } from '../src/cert/statements.js';
import {
  type CommitteeJob,
  type CommitteeResponse,
  type Contribution,
  type ContributionDigests,
  type PublicRing,
  type RoundConfig,
  type TrainerTimings,
  PRIMES,
  SecretRandom,
  applyMask,
  expandPublicRing,
  randomnessLength,
  sampleNoise,
  sampleSecret,
  sealSlice,
  share,
  validateClientId,
  validateQuantized,
  validateRoundConfig,
  x25519PublicKey,
  packResidues,
} from '../src/secagg/index.js';
import { u32ToBytes } from '../src/wire/codec.js';
import { descriptorDigest } from '../src/wire/digest.js';
import type { AnswerMsg, ContributionMsg, JobMsg, RoundMsg, WireCertificate } from '../src/wire/messages.js';

/** The enrollment authority's Ed25519 key pair. */
export type Authority = RawSigningKeyPair;

export function benchAuthority(): Authority {
  return createSigningKey();
}

/** A participant's certificate and the signing key it names. */
export interface Credentials {
  readonly cert: WireCertificate;
  readonly signing: RawSigningKeyPair;
}

const HOUR = 3_600_000;

/** A fresh signing key and a real certificate for it from `authority` (valid from an hour ago for a day). */
export function certify(
  authority: Authority,
  federation: string,
  participantId: string,
  role: CertRole,
  sealKey: Uint8Array,
  now = Date.now(),
): Credentials {
  const signing = createSigningKey();
  const cert = issueCertificate(authority.secretKey, {
    federation,
    participantId,
    sealKey,
    signKey: signing.publicKey,
    roles: [role],
    notBefore: now - HOUR,
    notAfter: now + 24 * HOUR,
    authority: authorityId(authority.publicKey),
  });
  return { cert: { body: { ...cert.body, roles: [...cert.body.roles] }, signature: cert.signature }, signing };
}

/** The trainer's contribution statement (what the engine signs after buildContribution). */
export function contributionStatement(
  c: Contribution,
  digests: ContributionDigests,
  descriptor: Uint8Array,
): Uint8Array {
  return contributionBytes({
    federation: c.federation,
    round: c.round,
    descriptorDigest: descriptor,
    maskedDigest: digests.masked,
    ephemeralPublic: c.ephemeralPublic,
    sliceDigests: digests.slices,
    keyCommitments: digests.keys,
  });
}

/** What the server forwards to members with each slot (src/server/signed.ts SignedContribution). */
export interface SignedSlot {
  readonly cert: WireCertificate;
  readonly sig: Uint8Array;
  readonly masked: Uint8Array;
  readonly slices: Uint8Array[];
  readonly keys: Uint8Array[];
}

export function signedSlot(
  creds: Credentials,
  c: Contribution,
  digests: ContributionDigests,
  descriptor: Uint8Array,
): SignedSlot {
  const sig = sign(creds.signing.secretKey, contributionStatement(c, digests, descriptor));
  return { cert: creds.cert, sig, masked: digests.masked, slices: [...digests.slices], keys: [...digests.keys] };
}

/** A `round` message as the server sends it (src/server/descriptor.ts), for a secure round. */
export function roundMessage(
  cfg: RoundConfig,
  memberCerts: readonly WireCertificate[],
  role: 'trainer' | 'member',
  memberIndex?: number,
): RoundMsg {
  const now = Date.now();
  return {
    t: 'round',
    config: {
      mode: 'secure',
      federation: cfg.federation,
      round: cfg.round,
      length: cfg.length,
      delta: cfg.delta,
      bits: cfg.bits,
      nMax: cfg.nMax,
      committee: { m: cfg.committee.m, tRec: cfg.committee.tRec, rho: cfg.committee.rho },
      memberKeys: [...cfg.memberKeys],
      publicSeed: cfg.publicSeed,
    },
    version: 1,
    // The global weights (float32): the descriptor digest hashes them.
    weights: u32ToBytes(new Float32Array(cfg.length)),
    architecture: { kind: 'bench', length: cfg.length },
    role,
    ...(memberIndex !== undefined ? { memberIndex } : {}),
    submitBy: now + HOUR,
    answerBy: now + 2 * HOUR,
    quant: { clip: 1, weightCap: 1000 },
    train: { epochs: 1, batchSize: 32, learningRate: 0.01 },
    metrics: false,
    memberCerts: [...memberCerts],
  };
}

export { descriptorDigest };

/** The `job` message of a certified round: the core's job plus each slot's signed data. */
export function jobMessage(job: CommitteeJob, signed: ReadonlyMap<string, SignedSlot>): JobMsg {
  return {
    t: 'job',
    round: job.round,
    memberIndex: job.memberIndex,
    survivors: job.survivors.map((s) => ({ id: s.clientId, digest: s.digest })),
    hS: job.survivorHash,
    slots: job.slots.map((s) => {
      const sl = signed.get(s.clientId);
      return {
        id: s.clientId,
        eph: s.ephemeralPublic,
        sealed: s.sealed,
        ...(sl
          ? { signed: { cert: sl.cert, sig: sl.sig, masked: sl.masked, slices: [...sl.slices], keys: [...sl.keys] } }
          : {}),
      };
    }),
  };
}

/** The core's job from the wire message, as the engine builds it. */
export { committeeJobOf };

/** The member's signature of its answer, as the engine makes it. */
export function signAnswer(secretKey: Uint8Array, r: CommitteeResponse): { sum: Uint8Array; sig: Uint8Array } {
  const sum = u32ToBytes(r.sum);
  const statement = answerBytes({
    federation: r.federation,
    round: r.round,
    memberIndex: r.memberIndex,
    survivorHash: r.survivorHash,
    answerDigest: digest(sum),
  });
  return { sum, sig: sign(secretKey, statement) };
}

export function answerMessage(r: CommitteeResponse, signed: { sum: Uint8Array; sig: Uint8Array }): AnswerMsg {
  return { t: 'answer', round: r.round, memberIndex: r.memberIndex, hS: r.survivorHash, ...signed };
}

export function contributionMessage(c: Contribution, sig: Uint8Array, keys: readonly Uint8Array[]): ContributionMsg {
  return {
    t: 'contribution',
    round: c.round,
    // Copies, as a decoded message holds its own bytes.
    y1: (c.wire?.[0] ?? packResidues(c.masked[0])).slice(),
    y2: (c.wire?.[1] ?? packResidues(c.masked[1])).slice(),
    eph: c.ephemeralPublic,
    sealed: [...c.sealed],
    sig,
    keys: [...keys],
  };
}

/**
 * The trainer as it was before certified federations (git 961c3bf, src/secagg/trainer.ts):
 * `buildContribution` without the masked-vector and slice digests and the slice-key
 * commitments, step for step with the core's exported functions. The same-run baseline of the
 * issue-13 trainer target; keep it in step with buildContribution's mask/pack/share/seal steps
 * if those change (it packs the masked vector for the wire, §4.1, as the trainer does, so the
 * ratio isolates the cost of the checks).
 */
export async function buildContributionUncertified(
  cfg: RoundConfig,
  clientId: string,
  update: Int32Array,
  opts: { ring?: PublicRing } = {},
): Promise<{ contribution: Contribution; timings: TrainerTimings }> {
  validateRoundConfig(cfg);
  validateClientId(clientId);
  validateQuantized(update, cfg);
  const rng = SecretRandom.fresh();
  const ctx = { federation: cfg.federation, round: cfg.round };
  let t0 = performance.now();
  const [ring, secret, noise] = await Promise.all([
    opts.ring ?? expandPublicRing(cfg.publicSeed, ctx, cfg.length),
    sampleSecret(rng),
    sampleNoise(rng, cfg.length),
  ]);
  const masked = applyMask(update, secret, ring, noise, cfg.delta, cfg.length);
  const wire = [packResidues(masked[0]), packResidues(masked[1])] as const;
  const mask_ms = performance.now() - t0;
  t0 = performance.now();
  const rnd = randomnessLength(cfg.committee);
  const [r1, r2] = await rng.uniform('shamir', PRIMES, [rnd, rnd]);
  const slices = share(secret, [r1 as Uint32Array, r2 as Uint32Array], cfg.committee);
  const shares_ms = performance.now() - t0;
  t0 = performance.now();
  const ephemeralSecret = await rng.bytes('x25519', 32);
  const ephemeralPublic = x25519PublicKey(ephemeralSecret);
  const sealed = await Promise.all(
    slices.map((slice, j) =>
      sealSlice(
        { ctx, clientId, memberIndex: j + 1 },
        slice,
        ephemeralSecret,
        ephemeralPublic,
        cfg.memberKeys[j] as Uint8Array,
      ),
    ),
  );
  const seal_ms = performance.now() - t0;
  return {
    contribution: { federation: cfg.federation, round: cfg.round, clientId, masked, wire, ephemeralPublic, sealed },
    timings: { mask_ms, shares_ms, seal_ms },
  };
}
