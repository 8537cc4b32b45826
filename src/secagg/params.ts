/**
 * The default profile and the validation of a round's configuration (docs/protocol.md §3).
 * Everything a party needs to take part in one round
 * is in `RoundConfig`; it is validated at every boundary where it enters.
 */
import { BudgetError, MalformedInputError, ParameterError } from './errors.js';
import { ETA } from './cbd.js';
import { Q } from './field.js';
import { N } from './ntt.js';
import { type SharingScheme, validateScheme } from './shamir.js';

export const PROTOCOL_VERSION = 1;

export interface Profile {
  /** Scale Δ, a power of two with Δ > 2·n_max·η. */
  readonly delta: number;
  /** Quantization bits b: updates are b-bit signed integers. */
  readonly bits: number;
  /** Largest number of trainers a round may sum. */
  readonly nMax: number;
}

export const DEFAULT_PROFILE: Profile = Object.freeze({ delta: 2 ** 19, bits: 16, nMax: 10_000 });

/** The largest magnitude of a quantized coordinate, 2^(b−1) − 1. */
export function maxQuantized(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/**
 * Throws BudgetError unless the decoding is exact for any n ≤ n_max trainers:
 *   Δ > 2·n_max·η       (the summed noise rounds away), and
 *   n_max·2^(b−1) < q/(2Δ)  (the summed update does not wrap around q).
 */
export function checkBudget(p: Profile): void {
  const { delta, bits, nMax } = p;
  if (!Number.isSafeInteger(nMax) || nMax < 1)
    throw new ParameterError(`n_max must be a positive integer, got ${nMax}`);
  if (!Number.isSafeInteger(bits) || bits < 2 || bits > 30)
    throw new ParameterError(`quantization bits must be an integer in 2..30, got ${bits}`);
  if (!Number.isSafeInteger(delta) || delta < 2 || Math.log2(delta) % 1 !== 0)
    throw new ParameterError(`Δ must be a power of two, got ${delta}`);
  if (!(delta > 2 * nMax * ETA))
    throw new BudgetError(
      `Δ = ${delta} must exceed 2·n_max·η = ${2 * nMax * ETA}: the summed noise would not round away`,
    );
  if (!(nMax * 2 ** (bits - 1) < Q / (2 * delta))) {
    throw new BudgetError(
      `n_max·2^(b−1) = ${nMax * 2 ** (bits - 1)} must be below q/(2Δ) = ${Math.floor(Q / (2 * delta))}: the sum would wrap around q (lower b or n_max, or Δ)`,
    );
  }
}

/** Everything that defines one round for every party. */
export interface RoundConfig extends Profile {
  readonly federation: string;
  readonly round: number;
  /** Coordinates of the masked vector (including any weight or metric coordinates). */
  readonly length: number;
  readonly committee: SharingScheme;
  /** Long-term X25519 public keys of the members; member j (1-based) is at index j − 1. */
  readonly memberKeys: readonly Uint8Array[];
  /** 32-byte public seed of the round's public ring elements. */
  readonly publicSeed: Uint8Array;
}

/** Largest vector the core accepts (10^7 coordinates, ≈ 80 MB of masked residues). */
export const MAX_LENGTH = 10_000_000;

export function validateRoundConfig(c: RoundConfig): void {
  if (typeof c.federation !== 'string' || c.federation.length === 0 || c.federation.length > 256)
    throw new MalformedInputError('federation must be a non-empty string of at most 256 characters');
  if (!Number.isSafeInteger(c.round) || c.round < 0)
    throw new MalformedInputError(`round must be a non-negative integer, got ${c.round}`);
  if (!Number.isSafeInteger(c.length) || c.length < 1 || c.length > MAX_LENGTH)
    throw new MalformedInputError(`length must be an integer in 1..${MAX_LENGTH}, got ${c.length}`);
  checkBudget(c);
  validateScheme(c.committee);
  if (c.memberKeys.length !== c.committee.m)
    throw new MalformedInputError(`${c.memberKeys.length} member keys for a committee of ${c.committee.m}`);
  c.memberKeys.forEach((k, i) => {
    if (!(k instanceof Uint8Array) || k.length !== 32)
      throw new MalformedInputError(`member ${i + 1}'s public key must be 32 bytes`);
  });
  if (!(c.publicSeed instanceof Uint8Array) || c.publicSeed.length !== 32)
    throw new MalformedInputError('public seed must be 32 bytes');
}

export { N };
