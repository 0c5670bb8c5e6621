import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileTail, Watermark, isRecyclingBody } from './file-tail.js';

describe('FileTail', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'comgov-file-tail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads pieces handed back into again, and gives the file exactly', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 17);
    const file = path.join(dir, 'copy.enc');
    writeFileSync(file, bytes);
    const watermark = new Watermark();
    watermark.advance(bytes.length);
    const tail = new FileTail(file, 3, bytes.length, watermark);
    expect(isRecyclingBody(tail)).toBe(true);
    const seen = new Set<ArrayBufferLike>();
    const pieces: Buffer[] = [];
    for await (const piece of tail as AsyncIterable<Buffer>) {
      seen.add(piece.buffer);
      pieces.push(Buffer.from(piece)); // a copy: the piece is read into again
      tail.recycle(piece);
    }
    expect(Buffer.concat(pieces).equals(bytes.subarray(3))).toBe(true);
    // Six pieces, never more than a few buffers.
    expect(pieces.length).toBe(6);
    expect(seen.size).toBeLessThanOrEqual(3);
  });
});
