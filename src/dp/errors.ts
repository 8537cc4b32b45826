/**
 * Typed refusals of the differential-privacy core (docs/dp.md §8). Every refusal has a stable
 * `code` (the {@link CodedError} base), so callers map it to wire errors, log lines or exit
 * statuses without parsing messages.
 */
import { CodedError } from '../base/error.js';

export type DpErrorCode = 'BAD_DP_PARAMETERS' | 'DP_FIELD_BUDGET' | 'DP_NOT_REACHABLE' | 'DP_ROUNDING_FAILED';

/** Base of the DP core's refusals. */
export class DpError extends CodedError<DpErrorCode> {}

/** A parameter of the wrong type or outside its range (σ² ≤ 0, δ ∉ (0, 1), C ≤ 0, …). */
export class DpParameterError extends DpError {
  constructor(message: string) {
    super('BAD_DP_PARAMETERS', message);
  }
}

/** The noisy sum could wrap around the secure field (docs/dp.md §7). */
export class DpBudgetError extends DpError {
  constructor(message: string) {
    super('DP_FIELD_BUDGET', message);
  }
}

/** A search (noise multiplier for a target ε) that cannot reach its target in range. */
export class DpUnreachableError extends DpError {
  constructor(message: string) {
    super('DP_NOT_REACHABLE', message);
  }
}
