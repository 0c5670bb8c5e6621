// A failure the relay reports to a client: a stable code from the wire protocol,
// a sentence a person can act on, and the HTTP status when it answers a request.
import type { RelayErrorCode } from '../shared/wire/errors.js';

const HTTP_STATUS: Partial<Record<RelayErrorCode, number>> = {
  BAD_REQUEST: 400,
  BAD_FRAME: 400,
  UNKNOWN_FIELD: 400,
  UNSUPPORTED_VERSION: 400,
  BAD_IDENTITY_KEY: 400,
  BAD_PROOF: 400,
  BAD_SIGNED_PREKEY: 400,
  BAD_PREKEY: 400,
  TOO_MANY_PREKEYS: 400,
  HTTP_AUTH_MISSING: 401,
  HTTP_AUTH_FAILED: 401,
  HTTP_AUTH_STALE: 401,
  HTTP_AUTH_REPLAY: 401,
  DEVICE_REVOKED: 403,
  DASHBOARD_FORBIDDEN: 403,
  USER_REVOKED: 403,
  ENROLMENT_CODE_UNKNOWN: 404,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  BLOB_NOT_FOUND: 404,
  ENROLMENT_CODE_USED: 409,
  BLOB_OFFSET_MISMATCH: 409,
  BLOB_BUSY: 409,
  BLOB_INCOMPLETE: 409,
  BLOB_NOT_FINALISED: 409,
  BLOB_ALREADY_FINALISED: 409,
  ENROLMENT_CODE_EXPIRED: 410,
  FRAME_TOO_LARGE: 413,
  BLOB_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  BLOB_HASH_MISMATCH: 422,
  BLOB_QUOTA_EXCEEDED: 507,
  STORAGE_FULL: 507,
  RATE_LIMITED: 429,
  SHUTTING_DOWN: 503,
};

/**
 * What a client is told when the relay's disk is full. Clients wait and try again
 * (it is not a refusal of what they sent); the operator sees the code in the logs and
 * in relay_errors_total.
 */
export function storageFullError(): RelayError {
  return new RelayError(
    'STORAGE_FULL',
    "The relay's disk is full: nothing was stored. Try again later; the relay operator must free space.",
  );
}

export class RelayError extends Error {
  readonly code: RelayErrorCode;

  constructor(code: RelayErrorCode, message: string) {
    super(message);
    this.name = 'RelayError';
    this.code = code;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }
}
