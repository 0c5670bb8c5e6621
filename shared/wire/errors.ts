// Stable error codes of the relay protocol. The relay sends each with an English
// sentence a person can act on; clients show their own translation by code.

export const RELAY_ERROR_CODES = [
  // Frames and requests
  'BAD_FRAME',
  'UNKNOWN_FIELD',
  'UNSUPPORTED_VERSION',
  'FRAME_TOO_LARGE',
  'BAD_REQUEST',
  'NOT_FOUND',
  'RATE_LIMITED',
  'INTERNAL',
  'SHUTTING_DOWN',
  /** The relay's disk is full: nothing more is stored until its operator frees space. */
  'STORAGE_FULL',
  /** The health dashboard, asked from an address its settings do not allow. */
  'DASHBOARD_FORBIDDEN',
  // Authentication
  'NOT_AUTHENTICATED',
  'ALREADY_AUTHENTICATED',
  'AUTH_TIMEOUT',
  'AUTH_FAILED',
  'DEVICE_REVOKED',
  'REPLACED',
  'HTTP_AUTH_MISSING',
  'HTTP_AUTH_FAILED',
  'HTTP_AUTH_STALE',
  'HTTP_AUTH_REPLAY',
  // Enrolment and directory
  'ENROLMENT_CODE_UNKNOWN',
  'ENROLMENT_CODE_USED',
  'ENROLMENT_CODE_EXPIRED',
  'BAD_IDENTITY_KEY',
  'BAD_PROOF',
  'BAD_SIGNED_PREKEY',
  'BAD_PREKEY',
  'TOO_MANY_PREKEYS',
  'USER_NOT_FOUND',
  'USER_REVOKED',
  // Messages
  'STALE_DEVICES',
  'UNKNOWN_RECIPIENT',
  'DUPLICATE_RECIPIENT',
  'TOO_MANY_RECIPIENTS',
  'CIPHERTEXT_TOO_LARGE',
  'QUEUE_FULL',
  // Blobs
  'BLOB_NOT_FOUND',
  'BLOB_TOO_LARGE',
  'BLOB_QUOTA_EXCEEDED',
  'BLOB_OFFSET_MISMATCH',
  'BLOB_INCOMPLETE',
  'BLOB_HASH_MISMATCH',
  'BLOB_BUSY',
  'BLOB_NOT_FINALISED',
  'BLOB_ALREADY_FINALISED',
  'RANGE_NOT_SATISFIABLE',
] as const;

export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

export function isRelayErrorCode(value: string): value is RelayErrorCode {
  return (RELAY_ERROR_CODES as readonly string[]).includes(value);
}

/** A protocol failure with a stable code and a sentence for people. */
export class WireError extends Error {
  readonly code: RelayErrorCode;

  constructor(code: RelayErrorCode, message: string) {
    super(message);
    this.name = 'WireError';
    this.code = code;
  }
}
