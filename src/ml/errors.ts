/**
 * Typed errors of the ML module. Every error thrown on bad input derives from
 * {@link MlError} so callers can distinguish "your input is wrong" from bugs.
 */

/** Base class of all errors raised by `src/ml` for invalid input or state. */
export class MlError extends Error {
  override readonly name: string = 'MlError';
}

/** A function argument or option is out of range or of the wrong shape. */
export class MlInputError extends MlError {
  override readonly name: string = 'MlInputError';
}

/** A weight vector or checkpoint does not match the model architecture. */
export class ShapeMismatchError extends MlError {
  override readonly name: string = 'ShapeMismatchError';
}

/** A checkpoint (manifest or weights) is malformed or of an unsupported version. */
export class CheckpointFormatError extends MlError {
  override readonly name: string = 'CheckpointFormatError';
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
export class CsvValidationError extends MlError {
  override readonly name: string = 'CsvValidationError';
  readonly issues: readonly CsvRowIssue[];
  /** Total number of bad rows (may exceed `issues.length` if the list was capped). */
  readonly badRowCount: number;

  constructor(issues: readonly CsvRowIssue[], badRowCount: number = issues.length) {
    const shown = issues.slice(0, 10).map((i) => `  line ${i.line}: ${i.reason}`);
    const more = badRowCount > shown.length ? `\n  ... and ${badRowCount - shown.length} more` : '';
    super(`CSV has ${badRowCount} invalid row(s):\n${shown.join('\n')}${more}`);
    this.issues = issues;
    this.badRowCount = badRowCount;
  }
}

/** Throws {@link MlInputError} unless `cond` holds. */
export function require_(cond: boolean, message: string): asserts cond {
  if (!cond) throw new MlInputError(message);
}
