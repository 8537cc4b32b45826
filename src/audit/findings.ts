/**
 * What an audit finds wrong (docs/transcript.md §6): the round, the party at fault (the server,
 * a trainer or a member, by id or index) and the check that failed, in words.
 */
import { CodedError } from '../base/error.js';

export interface Finding {
  readonly round: number | undefined;
  /** `server`, `trainer <id>`, `member <j>`, `log line <n>`. */
  readonly party: string;
  /** A short stable name of the check (docs/transcript.md §6 lists them). */
  readonly check: string;
  readonly message: string;
}

/** Thrown inside one round's checks to stop at the first failure of that round. */
export class AuditFailure extends CodedError<'AUDIT_FAILED'> {
  constructor(readonly finding: Finding) {
    super('AUDIT_FAILED', `round ${finding.round ?? '?'}: ${finding.party}: ${finding.check}: ${finding.message}`);
  }
}

/** A failure of `check` by `party` in `round`. */
export function fail(round: number | undefined, party: string, check: string, message: string): never {
  throw new AuditFailure({ round, party, check, message });
}

export function describe(f: Finding): string {
  return `${f.party}: ${f.check}: ${f.message}`;
}
