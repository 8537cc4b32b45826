/**
 * Typed refusals of the secure-aggregation core (docs/protocol.md §18). Every refusal the
 * protocol can make has its own class and a stable `code` (the {@link CodedError} base), so
 * transports can map them to wire errors and logs without parsing messages.
 */
import { CodedError } from '../base/error.js';

export type SecAggErrorCode =
  | 'MALFORMED_INPUT'
  | 'BAD_PARAMETERS'
  | 'BUDGET_EXCEEDED'
  | 'THRESHOLD_NOT_MET'
  | 'INCONSISTENT_SURVIVOR_SET'
  | 'INCONSISTENT_SHARES'
  | 'SEAL_FAILED'
  | 'DUPLICATE'
  | 'LATE'
  | 'WRONG_ROUND'
  | 'CAPACITY_EXCEEDED'
  | 'TOO_FEW_SURVIVORS'
  | 'NOT_SUBSET_SAFE'
  | 'ENGINE_UNAVAILABLE';

/** Base of the core's refusals; `name` is the subclass's name. */
export class SecAggError extends CodedError<SecAggErrorCode> {}

/** Input of the wrong shape, length or range. */
export class MalformedInputError extends SecAggError {
  constructor(message: string) {
    super('MALFORMED_INPUT', message);
  }
}

/** Parameters that violate the protocol's constraints (t_rec ≤ m, 1 ≤ ρ ≤ t_rec − 1, …). */
export class ParameterError extends SecAggError {
  constructor(message: string) {
    super('BAD_PARAMETERS', message);
  }
}

/** The quantization budget n_max·2^(b−1) < q/(2Δ) or the noise bound Δ > 2·n_max·η fails. */
export class BudgetError extends SecAggError {
  constructor(message: string) {
    super('BUDGET_EXCEEDED', message);
  }
}

/** Fewer than t_rec consistent committee answers: the round cannot be unmasked. */
export class ThresholdError extends SecAggError {
  readonly have: number;
  readonly need: number;
  constructor(have: number, need: number, detail = '') {
    super(
      'THRESHOLD_NOT_MET',
      `only ${have} consistent committee answers, ${need} needed${detail ? `: ${detail}` : ''}`,
    );
    this.have = have;
    this.need = need;
  }
}

/** A committee job or answer whose survivor-set hash H_S disagrees. */
export class SurvivorSetError extends SecAggError {
  constructor(message: string) {
    super('INCONSISTENT_SURVIVOR_SET', message);
  }
}

/** More than t_rec answers that do not lie on one polynomial (a member answered garbage). */
export class InconsistentSharesError extends SecAggError {
  readonly members: number[];
  constructor(members: number[], message?: string) {
    super(
      'INCONSISTENT_SHARES',
      message ?? `committee answers of members ${members.join(', ')} are inconsistent with the others`,
    );
    this.members = members;
  }
}

/** A sealed slice that does not authenticate (wrong key, tampered, wrong associated data). */
export class SealError extends SecAggError {
  constructor(message: string) {
    super('SEAL_FAILED', message);
  }
}

/** A second message where the protocol allows one (contribution per client, answer per member). */
export class DuplicateError extends SecAggError {
  constructor(message: string) {
    super('DUPLICATE', message);
  }
}

/** A message after its phase closed (contribution after the cut-off, answer after unmasking). */
export class LateError extends SecAggError {
  constructor(message: string) {
    super('LATE', message);
  }
}

/** A message for another federation or round. */
export class WrongRoundError extends SecAggError {
  constructor(message: string) {
    super('WRONG_ROUND', message);
  }
}

/** More contributions than the round's budget allows (n_max). */
export class CapacityError extends SecAggError {
  constructor(message: string) {
    super('CAPACITY_EXCEEDED', message);
  }
}

/**
 * A committee job whose survivor set is too small to hide one trainer's update in the sum
 * (fewer than the member's own minimum of distinct trainers); the member does not answer.
 */
export class TooFewSurvivorsError extends SecAggError {
  constructor(message: string) {
    super('TOO_FEW_SURVIVORS', message);
  }
}

/**
 * Committee settings that are not subset-safe (2·t_rec ≤ m + c_max, docs/protocol.md §15): two
 * survivor sets could each be unmasked by groups of members that share only corrupt ones. The
 * core's arithmetic accepts such schemes (validateScheme); refusing them is the server's policy
 * (`requireSubsetSafe`).
 */
export class SubsetSafetyError extends SecAggError {
  constructor(message: string) {
    super('NOT_SUBSET_SAFE', message);
  }
}
