// What travels inside the end-to-end-encrypted message so that a recipient can fetch,
// check and decrypt one file. The relay sees only the blob; the key and the hash are
// in here. Proposed wire shape (shared/wire/content.proto):
//
//   message Attachment {
//     string blob_id = 1;     // 32 lowercase hex: the relay's blob
//     bytes key = 2;          // 32: secretstream key, random per file
//     bytes blake2b = 3;      // 32: BLAKE2b-256 of the whole blob (header included)
//     string name = 4;        // file name to show and to save under
//     string type = 5;        // MIME type
//     uint64 size = 6;        // plaintext bytes
//     uint32 chunk_size = 7;  // plaintext bytes per secretstream chunk (65536)
//   }
//
// The secretstream header is not a field: it is the blob's first 24 bytes, covered by
// the hash like the rest. Everything here comes from another device, so it is checked
// (`parseDescriptor`) before anything is downloaded.
import { isValidBlobId } from '../../../shared/wire/ids.js';
import { AttachmentError } from './errors.js';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, STREAM_KEY_BYTES } from './secretstream.js';

export interface AttachmentDescriptor {
  readonly blobId: string;
  readonly key: Uint8Array;
  /** BLAKE2b-256 of the ciphertext, header included. */
  readonly hash: Uint8Array;
  readonly name: string;
  /** MIME type. */
  readonly type: string;
  /** Plaintext bytes. */
  readonly size: number;
  readonly chunkSize: number;
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const MAX_NAME_LENGTH = 255;
export const DEFAULT_TYPE = 'application/octet-stream';

/** A descriptor as decoded from a message, not checked yet (protobuf sizes are bigint). */
export interface DescriptorInput {
  readonly blobId: string;
  readonly key: Uint8Array;
  readonly hash: Uint8Array;
  readonly name: string;
  readonly type: string;
  readonly size: number | bigint;
  readonly chunkSize: number;
}

/** Checks a descriptor received in a message; throws ATTACHMENT_BAD_DESCRIPTOR. */
export function parseDescriptor(input: DescriptorInput): AttachmentDescriptor {
  const bad = (what: string) =>
    new AttachmentError('ATTACHMENT_BAD_DESCRIPTOR', `The attachment's ${what} is not valid.`);
  if (!isValidBlobId(input.blobId)) throw bad('blob id');
  if (input.key.length !== STREAM_KEY_BYTES) throw bad('key');
  if (input.hash.length !== 32) throw bad('hash');
  const size = Number(input.size);
  if (!Number.isSafeInteger(size) || size < 0) throw bad('size');
  if (
    !Number.isInteger(input.chunkSize) ||
    input.chunkSize < MIN_CHUNK_SIZE ||
    input.chunkSize > MAX_CHUNK_SIZE
  ) {
    throw bad('chunk size');
  }
  return {
    blobId: input.blobId,
    key: input.key.slice(),
    hash: input.hash.slice(),
    name: safeFileName(input.name),
    type: normaliseType(input.type),
    size,
    chunkSize: input.chunkSize,
  };
}

/**
 * A name that is safe to show and to offer as a file name: no folders, no control
 * characters, no leading dots, at most 255 characters. Never empty.
 */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  clean = clean.replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (clean.length > MAX_NAME_LENGTH) {
    const dot = clean.lastIndexOf('.');
    const extension = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = clean.slice(0, MAX_NAME_LENGTH - extension.length) + extension;
  }
  return clean || 'fichier';
}

const TYPES_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
  zip: 'application/zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
};

/** A MIME type guessed from a file name's extension (a hint for the UI; never trusted). */
export function typeFromName(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot >= 0 && TYPES_BY_EXTENSION[name.slice(dot + 1).toLowerCase()]) || DEFAULT_TYPE;
}

export function normaliseType(type: string): string {
  const clean = type.trim().toLowerCase().split(';')[0]!.trim();
  return MIME.test(clean) ? clean : DEFAULT_TYPE;
}
