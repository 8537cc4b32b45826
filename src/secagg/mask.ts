/**
 * The seed-homomorphic ring-LWE mask (docs/protocol.md §10, §14).
 *
 * For coordinates split into blocks of N, block j of the masked vector is
 *   y_j = Δ·x_j + INTT(â_j ⊙ ŝ) + e_j   (mod q1 and mod q2, RNS),
 * where â_j are public ring elements sampled directly in the NTT domain, ŝ is the trainer's
 * secret in the NTT domain and e_j is CBD noise (one integer, reduced mod both primes). The
 * mask is linear in ŝ, so Σ Mask(ŝ_i) = Mask(Σ ŝ_i) + (Σ e_i − e): the server removes the
 * aggregate mask with the reconstructed Σ ŝ and rounds away Σ e, since |Σ e| ≤ |S|·η < Δ/2.
 */
import { CBD_BYTES } from './cbd.js';
import { engine } from './engine.js';
import { MalformedInputError } from './errors.js';
import { PRIMES, centre, crt } from './field.js';
import { N } from './ntt.js';
import { type RoundContext, type SecretRandom, publicRingKey, uniformFromStream } from './random.js';
import { u64be } from './encoding.js';
import { KeyStream } from './primitives.js';

/** A pair of RNS residue vectors (mod q1, mod q2). */
export type Residues = [Uint32Array, Uint32Array];

/** The public ring elements â_j (NTT domain) of one round, for `blocks` blocks. */
export interface PublicRing {
  readonly blocks: number;
  readonly a: Residues;
}

export function blocksFor(length: number): number {
  return Math.ceil(length / N);
}

/** Expand the public ring elements for vectors of `length` coordinates (once per round). */
export async function expandPublicRing(publicSeed: Uint8Array, ctx: RoundContext, length: number): Promise<PublicRing> {
  if (!Number.isSafeInteger(length) || length < 1)
    throw new MalformedInputError(`vector length must be a positive integer, got ${length}`);
  const blocks = blocksFor(length);
  const stream = new KeyStream(publicRingKey(publicSeed, ctx));
  const a: Residues = [new Uint32Array(blocks * N), new Uint32Array(blocks * N)];
  const BATCH = 64;
  for (let start = 0; start < blocks; start += BATCH) {
    const end = Math.min(blocks, start + BATCH);
    const parts = await Promise.all(
      Array.from({ length: end - start }, (_, i) => uniformFromStream(stream, u64be(start + i), PRIMES, [N, N])),
    );
    parts.forEach((p, i) => {
      a[0].set(p[0] as Uint32Array, (start + i) * N);
      a[1].set(p[1] as Uint32Array, (start + i) * N);
    });
  }
  return { blocks, a };
}

/** A fresh uniform secret ŝ (NTT domain, both residues uniform). */
export async function sampleSecret(rng: SecretRandom): Promise<Residues> {
  const [s1, s2] = await rng.uniform('s', PRIMES, [N, N]);
  return [s1 as Uint32Array, s2 as Uint32Array];
}

/** CBD noise for `length` coordinates. */
export async function sampleNoise(rng: SecretRandom, length: number): Promise<Int8Array> {
  return engine().cbd(await rng.bytes('e', length * CBD_BYTES), length);
}

function checkRing(ring: PublicRing, length: number): void {
  if (ring.blocks < blocksFor(length))
    throw new MalformedInputError(
      `public ring has ${ring.blocks} blocks, ${blocksFor(length)} needed for length ${length}`,
    );
}

/**
 * y = Δ·x + Mask(ŝ) mod (q1, q2) for the `length` first coordinates. `x` may be undefined
 * (x = 0, the bare mask). `noise` must have `length` entries.
 */
export function applyMask(
  x: Int32Array | undefined,
  s: Residues,
  ring: PublicRing,
  noise: Int8Array,
  delta: number,
  length: number,
): Residues {
  checkRing(ring, length);
  if (noise.length < length) throw new MalformedInputError('noise shorter than the vector');
  if (x && x.length !== length) throw new MalformedInputError(`update has ${x.length} coordinates, expected ${length}`);
  // The engine computes the same bytes either way (docs/protocol.md §6.1).
  return engine().mask(ring.a, s, x, noise, delta, length);
}

/**
 * Removes the aggregate mask and decodes: z = Σy − INTT(â ⊙ Σŝ) mod q, centred into
 * (−q/2, q/2] by CRT, then round(z / Δ). Exact while |Σe| < Δ/2 and the sum is in budget.
 */
export function removeMask(
  sumY: Residues,
  sumS: Residues,
  ring: PublicRing,
  delta: number,
  length: number,
): Float64Array {
  checkRing(ring, length);
  if (sumY[0].length !== length || sumY[1].length !== length)
    throw new MalformedInputError('masked sum has the wrong length');
  const z: Residues = engine().unmask(ring.a, sumS, sumY, length);
  const out = new Float64Array(length);
  const [z1, z2] = z;
  // `+ 0` turns the −0 that Math.round gives for small negative noise into 0.
  for (let i = 0; i < length; i++) out[i] = Math.round(centre(crt(z1[i] as number, z2[i] as number)) / delta) + 0;
  return out;
}

/** The centred CRT value of residue pairs (used by tests and for noise inspection). */
export function centredValues(r: Residues): Float64Array {
  const out = new Float64Array(r[0].length);
  for (let i = 0; i < out.length; i++) out[i] = centre(crt(r[0][i] as number, r[1][i] as number));
  return out;
}
