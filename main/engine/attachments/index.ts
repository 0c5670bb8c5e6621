// Public surface of the attachment layer (see attachments.ts for the contract).
export {
  Attachments,
  type AttachmentsOptions,
  type AttachmentInfo,
  type ProgressEvent,
  type UploadResult,
} from './attachments.js';
export { BlobClient, type BlobClientOptions, isTransient } from './blob-client.js';
export { type AttachmentDescriptor, type DescriptorInput, parseDescriptor } from './descriptor.js';
export {
  ATTACHMENT_ERROR_TEXTS,
  AttachmentError,
  type AttachmentErrorCode,
  isAttachmentError,
} from './errors.js';
export {
  MAX_PREVIEW_BYTES,
  Previews,
  pictureType,
  previewDataUrl,
  previewFromDataUrl,
} from './preview.js';
export { ATTACHMENT_MIGRATION_STATEMENTS } from './schema.js';
export { DEFAULT_CHUNK_SIZE, ciphertextSize } from './secretstream.js';
export type { RetryPolicy } from './retry.js';
