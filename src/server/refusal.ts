import { CodedError } from '../base/error.js';

/**
 * Typed refusals of the server, sent to the participant as an `error` message and logged. A
 * message for another round is the core's WrongRoundError (WRONG_ROUND), wherever it is found.
 */
export type RefusalCode =
  | 'NOT_JOINED'
  | 'UNAUTHENTICATED'
  | 'ALREADY_JOINED'
  | 'NO_ROUND'
  | 'NOT_A_TRAINER'
  | 'NOT_A_MEMBER'
  | 'INSECURE_MODE_ONLY'
  | 'TEXT_FRAME'
  /** A certified federation: no or a bad certificate at join. */
  | 'UNCERTIFIED'
  /** A certified federation: a contribution or answer without a valid signature, or a replay. */
  | 'BAD_SIGNATURE'
  /** A certified federation: a member's complaint that claims a proof it does not carry (§25). */
  | 'BAD_COMPLAINT'
  /** A participant convicted by verifiable complaints (§25). */
  | 'OFFENDER';

export class Refusal extends CodedError<RefusalCode> {}
