import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, ready } from '../../../shared/crypto/index.js';
import { type Store, openStore } from '../store/open-store.js';
import {
  MAX_PREVIEW_BYTES,
  Previews,
  isValidPreview,
  previewDataUrl,
  previewFromDataUrl,
  previewType,
} from './preview.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const WEBP = new Uint8Array([...Buffer.from('RIFF'), 4, 0, 0, 0, ...Buffer.from('WEBPVP8 ')]);
const SVG = new Uint8Array(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'));

function padded(head: Uint8Array, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(head);
  return bytes;
}

describe('previews', () => {
  it('knows JPEG, PNG and WebP by their first bytes, and nothing else', () => {
    expect(previewType(JPEG)).toBe('image/jpeg');
    expect(previewType(PNG)).toBe('image/png');
    expect(previewType(WEBP)).toBe('image/webp');
    expect(previewType(SVG)).toBeNull();
    expect(previewType(new Uint8Array(Buffer.from('GIF89a')))).toBeNull();
    expect(previewType(new Uint8Array([0xff, 0xd8]))).toBeNull();
    expect(
      previewType(new Uint8Array([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVE')])),
    ).toBeNull();
  });

  it('takes at most MAX_PREVIEW_BYTES', () => {
    expect(isValidPreview(padded(JPEG, MAX_PREVIEW_BYTES))).toBe(true);
    expect(isValidPreview(padded(JPEG, MAX_PREVIEW_BYTES + 1))).toBe(false);
    expect(isValidPreview(new Uint8Array())).toBe(false);
  });

  it('reads a data: URL from the app, and gives one back', () => {
    const url = previewDataUrl(padded(PNG, 100));
    expect(url).toMatch(/^data:image\/png;base64,/);
    expect(previewFromDataUrl(url)).toEqual(padded(PNG, 100));
    expect(previewDataUrl(JPEG)).toMatch(/^data:image\/jpeg;base64,/);
  });

  it('refuses a data: URL that is not a valid preview', () => {
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    // Bytes that are not the format the URL names.
    expect(previewFromDataUrl(`data:image/png;base64,${b64(JPEG)}`)).toBeNull();
    expect(previewFromDataUrl(`data:image/svg+xml;base64,${b64(SVG)}`)).toBeNull();
    expect(previewFromDataUrl(`data:image/jpeg;base64,${b64(SVG)}`)).toBeNull();
    expect(previewFromDataUrl(`data:image/jpeg,${b64(JPEG)}`)).toBeNull();
    expect(previewFromDataUrl(`data:image/jpeg;base64,${b64(JPEG)} `)).toBeNull();
    expect(previewFromDataUrl('https://example.org/photo.jpg')).toBeNull();
    expect(previewFromDataUrl('')).toBeNull();
    expect(
      previewFromDataUrl(`data:image/jpeg;base64,${b64(padded(JPEG, MAX_PREVIEW_BYTES + 3))}`),
    ).toBeNull();
    // A huge string is refused before it is decoded.
    expect(previewFromDataUrl(`data:image/jpeg;base64,${'A'.repeat(10_000_000)}`)).toBeNull();
  });

  describe('in the store', () => {
    let dir: string;
    let db: Store;
    beforeAll(() => ready());
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'comgov-previews-'));
      db = openStore(path.join(dir, 'store.db'), randomBytes(32));
    });
    afterEach(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps a valid preview once per file, refuses an invalid one, forgets on demand', () => {
      const previews = new Previews(db);
      expect(previews.keep('a1', SVG)).toBe(false);
      expect(previews.get('a1')).toBeUndefined();
      expect(previews.keep('a1', JPEG)).toBe(true);
      // The same file received again with another picture keeps the first.
      expect(previews.keep('a1', PNG)).toBe(true);
      expect(previews.get('a1')).toEqual(JPEG);
      previews.forget('a1');
      expect(previews.get('a1')).toBeUndefined();
    });
  });
});
