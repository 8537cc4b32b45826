/** Typed refusals of certificate and signature checks. */
import { CodedError } from '../base/error.js';

export type CertificateErrorCode =
  | 'MALFORMED_CERTIFICATE'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_AUTHORITY'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_NOT_YET_VALID'
  | 'WRONG_FEDERATION'
  | 'WRONG_ROLE';

export class CertificateError extends CodedError<CertificateErrorCode> {}
