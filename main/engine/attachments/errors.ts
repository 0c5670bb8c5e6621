// Errors of the attachment layer: a stable code for programs and a sentence a person
// can act on, in French and English (the texts are part of the engine API's errors,
// shared/api/attachment-errors.ts). The detailed English sentence of one occurrence is
// the error's `message` (logs, CLI).
import { ATTACHMENT_ERROR_TEXTS } from '../../../shared/api/attachment-errors.js';

export { ATTACHMENT_ERROR_TEXTS };

export type AttachmentErrorCode = keyof typeof ATTACHMENT_ERROR_TEXTS;

export class AttachmentError extends Error {
  constructor(
    readonly code: AttachmentErrorCode,
    message: string = ATTACHMENT_ERROR_TEXTS[code].en,
  ) {
    super(message);
    this.name = 'AttachmentError';
  }
}

export function isAttachmentError(
  value: unknown,
  code?: AttachmentErrorCode,
): value is AttachmentError {
  return value instanceof AttachmentError && (code === undefined || value.code === code);
}

/** A file refused as damaged or altered: ATTACHMENT_CORRUPT, with what was found. */
export function corruptFile(detail: string): AttachmentError {
  return new AttachmentError(
    'ATTACHMENT_CORRUPT',
    `${detail} The file was refused; nothing was written out.`,
  );
}
