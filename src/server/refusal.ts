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
  | 'TEXT_FRAME';

export class Refusal extends CodedError<RefusalCode> {}
