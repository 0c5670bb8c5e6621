// A release command failure the operator can fix: a stable code and a sentence
// saying what to do. The CLI prints it without a stack trace (it has a code).
export type ReleaseErrorCode =
  | 'KEY_EXISTS'
  | 'KEY_UNREADABLE'
  | 'KEY_PERMISSIONS'
  | 'BAD_ARGUMENT'
  | 'FILE_UNREADABLE'
  | 'OLDER_VERSION'
  | 'VERSION_CONFLICT';

export class ReleaseError extends Error {
  constructor(
    readonly code: ReleaseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
