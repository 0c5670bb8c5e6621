import { createCipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b, randomBytes, ready } from '../../../shared/crypto/index.js';
import { isAttachmentError } from './errors.js';
import { decryptFile, encryptFile, hashFilePrefix } from './file-crypto.js';
import type { StreamFaultError } from './secretstream.js';
import {
  STREAM_ABYTES,
  STREAM_HEADER_BYTES,
  StreamDecryptor,
  StreamEncryptor,
  ciphertextSize,
} from './secretstream.js';

const CHUNK = 1024;

/** Deterministic test bytes (AES-CTR keystream), fast for megabytes. */
function testBytes(length: number, seed = 1): Buffer {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

async function decryptAll(file: string, key: Uint8Array, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of decryptFile(file, { key, size, chunkSize: CHUNK })) {
    parts.push(Buffer.from(piece));
  }
  return Buffer.concat(parts);
}

describe('secretstream chunks', () => {
  beforeAll(() => ready());

  it('re-creates the same ciphertext from the key and the header', () => {
    const key = randomBytes(32);
    const first = new StreamEncryptor(key);
    const again = new StreamEncryptor(key, first.header);
    for (const [i, final] of [false, false, true].entries()) {
      const plain = testBytes(100, i + 1);
      expect(Buffer.from(again.push(plain, final))).toEqual(Buffer.from(first.push(plain, final)));
    }
  });

  it('requires the final tag exactly on the last chunk', () => {
    const key = randomBytes(32);
    const stream = new StreamEncryptor(key);
    const a = stream.push(testBytes(10), false);
    const b = stream.push(testBytes(10, 2), true);
    const fault = (run: () => void) => {
      try {
        run();
      } catch (error) {
        return (error as StreamFaultError).fault;
      }
      return 'accepted';
    };
    expect(fault(() => new StreamDecryptor(key, stream.header).pull(a, true))).toBe('truncated');
    expect(fault(() => new StreamDecryptor(key, stream.header).pull(b, false))).toBe('tampered');
    const reader = new StreamDecryptor(key, stream.header);
    reader.pull(a, false);
    expect(fault(() => reader.pull(b, false))).toBe('trailing');
  });
});

describe('encryptFile / decryptFile', () => {
  let dir: string;
  beforeAll(async () => {
    await ready();
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-file-crypto-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const roundTrip = async (size: number) => {
    const source = path.join(dir, `plain-${size}`);
    const target = path.join(dir, `cipher-${size}`);
    const plain = testBytes(size, size % 251);
    writeFileSync(source, plain);
    const key = randomBytes(32);
    const result = await encryptFile(source, target, { key, chunkSize: CHUNK, size });
    const cipher = readFileSync(target);
    expect(cipher.length).toBe(ciphertextSize(size, CHUNK));
    expect(result.cipherSize).toBe(cipher.length);
    expect(Buffer.from(result.hash)).toEqual(Buffer.from(blake2b(cipher, 32)));
    expect(Buffer.from(cipher.subarray(0, STREAM_HEADER_BYTES))).toEqual(
      Buffer.from(result.header),
    );
    expect((await decryptAll(target, key, size)).equals(plain)).toBe(true);
    return { key, target, plain, cipher, result, source };
  };

  it('round-trips sizes around chunk and batch boundaries', async () => {
    for (const size of [
      0,
      1,
      CHUNK - 1,
      CHUNK,
      CHUNK + 1,
      16 * CHUNK,
      16 * CHUNK + 5,
      40 * CHUNK,
    ]) {
      await roundTrip(size);
    }
  });

  it('re-encrypts to identical bytes with the stored key and header', async () => {
    const { key, target, cipher, result, source } = await roundTrip(20 * CHUNK + 7);
    const again = await encryptFile(source, `${target}.again`, {
      key,
      header: result.header,
      chunkSize: CHUNK,
      size: 20 * CHUNK + 7,
    });
    expect(readFileSync(`${target}.again`).equals(cipher)).toBe(true);
    expect(Buffer.from(again.hash)).toEqual(Buffer.from(result.hash));
  });

  it('refuses a truncated, extended, reordered or altered file, and a wrong key', async () => {
    const size = 5 * CHUNK + 100;
    const { key, target, cipher } = await roundTrip(size);
    const chunkBytes = CHUNK + STREAM_ABYTES;
    const variants: Record<string, { bytes: Buffer; size?: number; key?: Uint8Array }> = {
      'last chunk dropped': {
        bytes: cipher.subarray(0, STREAM_HEADER_BYTES + 5 * chunkBytes),
        size: 5 * CHUNK,
      },
      'cut inside a chunk': { bytes: cipher.subarray(0, cipher.length - 10) },
      'bytes appended': { bytes: Buffer.concat([cipher, Buffer.alloc(17)]) },
      'chunks swapped': {
        bytes: Buffer.concat([
          cipher.subarray(0, STREAM_HEADER_BYTES),
          cipher.subarray(STREAM_HEADER_BYTES + chunkBytes, STREAM_HEADER_BYTES + 2 * chunkBytes),
          cipher.subarray(STREAM_HEADER_BYTES, STREAM_HEADER_BYTES + chunkBytes),
          cipher.subarray(STREAM_HEADER_BYTES + 2 * chunkBytes),
        ]),
      },
      'one bit flipped': (() => {
        const bytes = Buffer.from(cipher);
        bytes[STREAM_HEADER_BYTES + 3 * chunkBytes + 40]! ^= 1;
        return { bytes };
      })(),
      'header altered': (() => {
        const bytes = Buffer.from(cipher);
        bytes[3]! ^= 0x80;
        return { bytes };
      })(),
      'wrong key': { bytes: cipher, key: randomBytes(32) },
    };
    for (const [what, variant] of Object.entries(variants)) {
      const file = `${target}.${what.replace(/ /g, '-')}`;
      writeFileSync(file, variant.bytes);
      const error = await decryptAll(file, variant.key ?? key, variant.size ?? size).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAttachmentError(error, 'ATTACHMENT_CORRUPT'), what).toBe(true);
    }
  });

  it('hashes a prefix the way the whole-file hash starts', async () => {
    const { target, cipher } = await roundTrip(3 * CHUNK);
    const hasher = await hashFilePrefix(target, 1500);
    hasher.update(cipher.subarray(1500));
    expect(Buffer.from(hasher.digest())).toEqual(Buffer.from(blake2b(cipher, 32)));
  });

  it('refuses a source whose size is not the one announced', async () => {
    const source = path.join(dir, 'changed');
    writeFileSync(source, testBytes(3000));
    const error = await encryptFile(source, `${source}.enc`, {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 4000,
    }).catch((e: unknown) => e);
    expect(isAttachmentError(error, 'ATTACHMENT_SOURCE_CHANGED')).toBe(true);
  });
});
