/**
 * The one coded error base of the project. Every error family (the protocol core's refusals,
 * wire decoding, the server's refusals, the ML module's input errors, client storage, usage
 * errors of the command-line tools) derives from {@link CodedError}, so that any layer can map
 * an error to a wire `error` message, a log line or an exit status by its stable `code`
 * without parsing messages.
 *
 * This file is the floor below the floors: it imports nothing and may be imported by any room.
 */
export class CodedError<C extends string = string> extends Error {
  /** Stable, machine-readable code, e.g. `THRESHOLD_NOT_MET`; never reworded. */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The shape errors take in logs, events and JSON output lines. */
  toJSON(): { name: string; code: C; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** True for any error of the project's families (an unknown thrown value is a bug, not a refusal). */
export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}
