// Encoding of the plaintext inside every end-to-end encrypted message
// (shared/wire/content.proto). Padding rounds the size up to a multiple of
// 64 bytes plus up to 32 random bytes, so the relay learns less from lengths.
import { type MessageInitShape, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { randomBytes } from '../../shared/crypto/index.js';
import { type Content, ContentSchema } from '../../shared/wire/gen/content_pb.js';

export const CONTENT_VERSION = 1;
/** Longest text a message may carry (characters); longer texts go as attachments. */
export const MAX_TEXT_CHARS = 64_000;

export function encodeContent(body: MessageInitShape<typeof ContentSchema>['body']): Uint8Array {
  const bare = toBinary(ContentSchema, create(ContentSchema, { version: CONTENT_VERSION, body }));
  const target = Math.ceil((bare.length + 4) / 64) * 64;
  const extra = randomBytes(1)[0]! % 32;
  const padding = randomBytes(Math.max(0, target - bare.length - 3) + extra);
  return toBinary(
    ContentSchema,
    create(ContentSchema, { version: CONTENT_VERSION, body, padding }),
  );
}

export class ContentError extends Error {}

export function decodeContent(bytes: Uint8Array): Content {
  let content: Content;
  try {
    content = fromBinary(ContentSchema, bytes);
  } catch {
    throw new ContentError('The decrypted content is not a valid message.');
  }
  if (content.version !== CONTENT_VERSION) {
    throw new ContentError(
      `Content version ${content.version} is not supported by this app; update it.`,
    );
  }
  return content;
}

/** A fresh message id: 16 random bytes in hex. */
export function newMessageId(): string {
  return Buffer.from(randomBytes(16)).toString('hex');
}

export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

export type { Content };
