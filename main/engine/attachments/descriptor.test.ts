import { describe, expect, it } from 'vitest';
import { normaliseType, parseDescriptor, safeFileName, typeFromName } from './descriptor.js';
import { isAttachmentError } from './errors.js';

const valid = {
  blobId: '0123456789abcdef0123456789abcdef',
  key: new Uint8Array(32),
  hash: new Uint8Array(32),
  name: 'rapport.pdf',
  type: 'application/pdf',
  size: 10n,
  chunkSize: 65536,
};

describe('attachment descriptors', () => {
  it('accepts a valid descriptor and converts its size', () => {
    expect(parseDescriptor(valid)).toMatchObject({ size: 10, name: 'rapport.pdf' });
  });

  it('refuses what would break the download or the decryption', () => {
    for (const bad of [
      { blobId: '../../etc/passwd' },
      { blobId: '0123456789ABCDEF0123456789ABCDEF' },
      { key: new Uint8Array(31) },
      { hash: new Uint8Array(16) },
      { size: -1 },
      { size: 2n ** 60n },
      { chunkSize: 0 },
      { chunkSize: 64 * 1024 * 1024 },
    ]) {
      let error: unknown;
      try {
        parseDescriptor({ ...valid, ...bad });
      } catch (e) {
        error = e;
      }
      expect(
        isAttachmentError(error, 'ATTACHMENT_BAD_DESCRIPTOR'),
        JSON.stringify(bad, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toBe(true);
    }
  });

  it('makes names safe to save under and types safe to use', () => {
    expect(safeFileName('../../.bashrc')).toBe('bashrc');
    expect(safeFileName('C:\\Users\\x\\note.txt')).toBe('note.txt');
    expect(safeFileName('a\u0000b<c>.txt')).toBe('a_b_c_.txt');
    expect(safeFileName('...')).toBe('fichier');
    expect(safeFileName(`${'é'.repeat(300)}.pdf`)).toMatch(/^é{251}\.pdf$/);
    expect(normaliseType('Text/Plain; charset=utf-8')).toBe('text/plain');
    expect(normaliseType('not a type')).toBe('application/octet-stream');
    expect(typeFromName('Rapport.PDF')).toBe('application/pdf');
    expect(typeFromName('archive')).toBe('application/octet-stream');
  });
});
