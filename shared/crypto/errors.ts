/**
 * Every failure of the protocol library carries a stable code (for programs and
 * logs) and a sentence (for people). Decryption errors never reveal which check
 * failed beyond the code, and never carry key material.
 */
export type CryptoErrorCode =
  | 'NOT_READY'
  | 'BAD_KEY_LENGTH'
  | 'LOW_ORDER_POINT'
  | 'BAD_SIGNATURE'
  | 'BAD_PREKEY_SIGNATURE'
  | 'DECRYPT_FAILED'
  | 'MALFORMED_MESSAGE'
  | 'UNSUPPORTED_VERSION'
  | 'DUPLICATE_MESSAGE'
  | 'TOO_MANY_SKIPPED'
  | 'UNKNOWN_SENDER_KEY'
  | 'NOT_SENDER_KEY_OWNER'
  | 'MALFORMED_STATE'
  | 'BAD_ARGUMENT';

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = 'CryptoError';
    this.code = code;
  }
}

export function isCryptoError(value: unknown, code?: CryptoErrorCode): value is CryptoError {
  return value instanceof CryptoError && (code === undefined || value.code === code);
}
