// A file's preview: a small picture of it (a thumbnail of a photo) that travels inside
// the end-to-end-encrypted message with the file's descriptor, so that the recipient
// sees what the file is before it is fetched, on a poor link in seconds instead of
// after the whole file. The app makes it (renderer/src/conversation/preview.ts, with
// Chromium's own image decoders); the engine only checks it and keeps it.
//
// A preview comes from another device or from the renderer, so it is checked at both
// boundaries: at most MAX_PREVIEW_BYTES, and a JPEG, PNG or WebP by its first bytes
// (never SVG or anything that can carry script). The UI gets it as a `data:` URL, the
// one form of image the app's Content-Security-Policy lets it show besides its own.
// A received message whose preview fails the check keeps its file, without a preview.
import type Database from 'better-sqlite3-multiple-ciphers';
import { MAX_PREVIEW_BYTES } from '../../../shared/api/contract.js';
import { statement } from '../store/statements.js';

export { MAX_PREVIEW_BYTES };

export type PreviewType = 'image/jpeg' | 'image/png' | 'image/webp';

export const PREVIEW_MIGRATION_STATEMENTS: readonly string[] = [
  `CREATE TABLE attachment_previews (
    attachment_id TEXT PRIMARY KEY,
    image BLOB NOT NULL
  )`,
];

/** The picture format of `bytes` by its signature, or null if it is none we show. */
export function previewType(bytes: Uint8Array): PreviewType | null {
  const type = pictureType(bytes);
  return type === 'image/gif' ? null : type;
}

/**
 * The format of a picture the app may show (a preview, or a received picture opened in
 * the app) by its signature, whatever its name or declared type says; null otherwise.
 */
export function pictureType(bytes: Uint8Array): PreviewType | 'image/gif' | null {
  const starts = (signature: readonly number[], at = 0) =>
    bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
  if (starts([0x47, 0x49, 0x46, 0x38]) && (starts([0x37, 0x61], 4) || starts([0x39, 0x61], 4))) {
    return 'image/gif';
  }
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  // RIFF, a 4-byte length, WEBP.
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}

/** Whether `bytes` may be kept and shown as a preview. */
export function isValidPreview(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.length <= MAX_PREVIEW_BYTES && previewType(bytes) !== null;
}

const DATA_URL = /^data:(image\/(?:jpeg|png|webp));base64,([A-Za-z0-9+/]+={0,2})$/;

/**
 * The bytes of a preview given as a `data:` URL (how the app hands it over), or null
 * if it is not a valid preview: another form, too large, or bytes that are not the
 * picture format the URL names.
 */
export function previewFromDataUrl(url: string): Uint8Array | null {
  // Base64 of MAX_PREVIEW_BYTES, plus the prefix: anything longer is refused unread.
  if (url.length > Math.ceil(MAX_PREVIEW_BYTES / 3) * 4 + 32) return null;
  const match = DATA_URL.exec(url);
  if (!match) return null;
  const bytes = new Uint8Array(Buffer.from(match[2]!, 'base64'));
  return isValidPreview(bytes) && previewType(bytes) === match[1] ? bytes : null;
}

/** A preview as the UI shows it. */
export function previewDataUrl(bytes: Uint8Array): string {
  return `data:${previewType(bytes) ?? 'image/jpeg'};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** The previews of attachments, by attachment id (the same file received twice shares one). */
export class Previews {
  constructor(private readonly db: Database.Database) {}

  /** Keeps a checked preview; a file that has one keeps it. Returns whether it was valid. */
  keep(attachmentId: string, bytes: Uint8Array): boolean {
    if (!isValidPreview(bytes)) return false;
    statement(
      this.db,
      'INSERT OR IGNORE INTO attachment_previews (attachment_id, image) VALUES (?, ?)',
    ).run(attachmentId, bytes);
    return true;
  }

  get(attachmentId: string): Uint8Array | undefined {
    const row = statement(this.db, 'SELECT image FROM attachment_previews WHERE attachment_id = ?')
      .pluck()
      .get(attachmentId) as Uint8Array | undefined;
    return row && new Uint8Array(row);
  }

  forget(attachmentId: string): void {
    statement(this.db, 'DELETE FROM attachment_previews WHERE attachment_id = ?').run(attachmentId);
  }
}
