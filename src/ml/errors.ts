/**
 * Typed errors of the ML module. Every error thrown on bad input derives from
 * {@link MlError} (a {@link CodedError} with a stable `code`) so callers can distinguish
 * "your input is wrong" from bugs.
 */
import { CodedError } from '../base/error.js';

export type MlErrorCode = 'ML_INPUT' | 'SHAPE_MISMATCH' | 'CHECKPOINT_FORMAT' | 'CSV_INVALID';

/** Base class of all errors raised by `src/ml` for invalid input or state. */
export class MlError<C extends MlErrorCode = MlErrorCode> extends CodedError<C> {
  override readonly name: string = 'MlError';
}

/** A function argument or option is out of range or of the wrong shape. */
export class MlInputError extends MlError<'ML_INPUT'> {
  override readonly name: string = 'MlInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ML_INPUT', message, options);
  }
}

/** A weight vector or checkpoint does not match the model architecture. */
export class ShapeMismatchError extends MlError<'SHAPE_MISMATCH'> {
  override readonly name: string = 'ShapeMismatchError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHAPE_MISMATCH', message, options);
  }
}

/** A checkpoint (manifest or weights) is malformed or of an unsupported version. */
export class CheckpointFormatError extends MlError<'CHECKPOINT_FORMAT'> {
  override readonly name: string = 'CheckpointFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_FORMAT', message, options);
  }
}

/** One rejected CSV line: 1-based physical line number and the reason. */
export interface CsvRowIssue {
  readonly line: number;
  readonly reason: string;
}

/**
 * The CSV input contained malformed rows (or a malformed header). Lists every
 * bad line with its 1-based line number; no row is silently dropped.
 */
export class CsvValidationError extends MlError<'CSV_INVALID'> {
  override readonly name: string = 'CsvValidationError';
  readonly issues: readonly CsvRowIssue[];
  /** Total number of bad rows (may exceed `issues.length` if the list was capped). */
  readonly badRowCount: number;

  constructor(issues: readonly CsvRowIssue[], badRowCount: number = issues.length) {
    const shown = issues.slice(0, 10).map((i) => `  line ${i.line}: ${i.reason}`);
    const more = badRowCount > shown.length ? `\n  ... and ${badRowCount - shown.length} more` : '';
    super('CSV_INVALID', `CSV has ${badRowCount} invalid row(s):\n${shown.join('\n')}${more}`);
    this.issues = issues;
    this.badRowCount = badRowCount;
  }
}

/** Throws {@link MlInputError} unless `cond` holds. */
export function require_(cond: boolean, message: string): asserts cond {
  if (!cond) throw new MlInputError(message);
}
