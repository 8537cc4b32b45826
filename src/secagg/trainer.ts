/**
 * The trainer's one message (docs/protocol.md §10): mask the quantized update with a fresh
 * secret, pack-share the secret to the committee and seal each slice to its member.
 */
import { engineReady } from './engine.js';
import { MalformedInputError } from './errors.js';
import { PRIMES } from './field.js';
import { type PublicRing, type Residues, applyMask, expandPublicRing, sampleNoise, sampleSecret } from './mask.js';
import { type RoundConfig, maxQuantized, validateRoundConfig } from './params.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from './encoding.js';
import { sha256Async, x25519PublicKey } from './primitives.js';
import { SecretRandom } from './random.js';
import { packResidues } from './packing.js';
import { sealSliceKeyed, sliceKeyCommitment } from './seal.js';
import { randomnessLength, share } from './shamir.js';

export interface Contribution {
  readonly federation: string;
  readonly round: number;
  readonly clientId: string;
  /** y = Δ·x + Mask(s) mod q1 and mod q2, `length` coordinates each. */
  readonly masked: Residues;
  /** y mod q1 and mod q2 as they travel: 26-bit packed residues (§4.1), when built by buildContribution. */
  readonly wire?: readonly [Uint8Array, Uint8Array];
  /** The trainer's ephemeral X25519 public key for this round. */
  readonly ephemeralPublic: Uint8Array;
  /** sealed[j − 1] is the slice for member j. */
  readonly sealed: readonly Uint8Array[];
}

export interface TrainerTimings {
  /** Public ring expansion, secret and noise sampling, masking. */
  mask_ms: number;
  /** Packed Shamir sharing of the secret. */
  shares_ms: number;
  /** X25519 + HKDF + AES-GCM for every member. */
  seal_ms: number;
}

/**
 * What a certified trainer signs about its message (docs/protocol.md §23):
 *   masked    = SHA-256( SHA-256(packed y mod q1) ‖ SHA-256(packed y mod q2) )   (packed: §4.1)
 *   slices[j − 1] = SHA-256(sealed slice j)
 *   keys[j − 1]   = SHA-256("SpeakOnce/v1/slice-key" ‖ slice key j)   (§25)
 */
export interface ContributionDigests {
  readonly masked: Uint8Array;
  readonly slices: readonly Uint8Array[];
  readonly keys: readonly Uint8Array[];
}

/** The masked-vector digest of §23, over the packed residues as they travel (§4.1). */
export async function maskedDigest(wire: readonly [Uint8Array, Uint8Array]): Promise<Uint8Array> {
  const [d1, d2] = await Promise.all([sha256Async(wire[0]), sha256Async(wire[1])]);
  return sha256Async(concatBytes(d1, d2));
}

export interface TrainerOptions {
  /** Secret randomness; fresh from crypto.getRandomValues unless a test injects one. */
  rng?: SecretRandom;
  /** The round's public ring, if already expanded (it is the same for every party). */
  ring?: PublicRing;
  /** Progress through the stages (fraction in [0, 1] of the whole contribution). */
  onProgress?: (stage: 'mask' | 'shares' | 'seal' | 'done', fraction: number) => void;
}

const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

export function validateClientId(id: string): void {
  if (typeof id !== 'string' || !CLIENT_ID.test(id))
    throw new MalformedInputError('client id must be 1–128 printable ASCII characters');
}

/** Checks that every coordinate is an integer within ±(2^(b−1) − 1). */
export function validateQuantized(update: Int32Array, cfg: RoundConfig): void {
  if (!(update instanceof Int32Array)) throw new MalformedInputError('quantized update must be an Int32Array');
  if (update.length !== cfg.length)
    throw new MalformedInputError(`quantized update has ${update.length} coordinates, the round expects ${cfg.length}`);
  const limit = maxQuantized(cfg.bits);
  for (let i = 0; i < update.length; i++) {
    const v = update[i] as number;
    if (v > limit || v < -limit)
      throw new MalformedInputError(`coordinate ${i} = ${v} is outside the ${cfg.bits}-bit range ±${limit}`);
  }
}

/** Builds the trainer's single Contribution for this round. */
export async function buildContribution(
  cfg: RoundConfig,
  clientId: string,
  update: Int32Array,
  opts: TrainerOptions = {},
): Promise<{ contribution: Contribution; timings: TrainerTimings; digests: ContributionDigests }> {
  validateRoundConfig(cfg);
  validateClientId(clientId);
  validateQuantized(update, cfg);
  const rng = opts.rng ?? SecretRandom.fresh();
  const ctx = { federation: cfg.federation, round: cfg.round };

  const progress = opts.onProgress ?? (() => undefined);
  progress('mask', 0);
  let t0 = performance.now();
  const [ring, , secret, noise] = await Promise.all([
    opts.ring ?? expandPublicRing(cfg.publicSeed, ctx, cfg.length),
    engineReady(), // the wasm engine, where it runs (docs/protocol.md §6.1)
    sampleSecret(rng),
    sampleNoise(rng, cfg.length),
  ]);
  const masked = applyMask(update, secret, ring, noise, cfg.delta, cfg.length);
  const wire = [packResidues(masked[0]), packResidues(masked[1])] as const;
  // Hashed natively while the sharing and sealing below run (a second core hides it).
  const maskedDigestP = maskedDigest(wire);
  const mask_ms = performance.now() - t0;
  progress('shares', 0.8);

  t0 = performance.now();
  const rnd = randomnessLength(cfg.committee);
  const [r1, r2] = await rng.uniform('shamir', PRIMES, [rnd, rnd]);
  const slices = share(secret, [r1 as Uint32Array, r2 as Uint32Array], cfg.committee);
  const shares_ms = performance.now() - t0;
  progress('seal', 0.85);

  t0 = performance.now();
  const ephemeralSecret = await rng.bytes('x25519', 32);
  const ephemeralPublic = x25519PublicKey(ephemeralSecret);
  const keyed = await Promise.all(
    slices.map((slice, j) =>
      sealSliceKeyed(
        { ctx, clientId, memberIndex: j + 1 },
        slice,
        ephemeralSecret,
        ephemeralPublic,
        cfg.memberKeys[j] as Uint8Array,
      ),
    ),
  );
  const sealed = keyed.map((k) => k.sealed);
  // Slices are small: hashing them here beats m round trips to WebCrypto (bench/RESULTS.md, m = 128).
  const slices32 = sealed.map((x) => sha256(x));
  const keys32 = keyed.map((k) => sliceKeyCommitment(k.okm));
  const masked32 = await maskedDigestP;
  const seal_ms = performance.now() - t0;
  progress('done', 1);

  return {
    contribution: { federation: cfg.federation, round: cfg.round, clientId, masked, wire, ephemeralPublic, sealed },
    timings: { mask_ms, shares_ms, seal_ms },
    digests: { masked: masked32, slices: slices32, keys: keys32 },
  };
}
