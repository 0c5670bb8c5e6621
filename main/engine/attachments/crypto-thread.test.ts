import { createCipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b, randomBytes, ready } from '../../../shared/crypto/index.js';
import { CryptoThread } from './crypto-thread.js';
import { isAttachmentError } from './errors.js';
import { encryptFile } from './file-crypto.js';
import { ciphertextSize } from './secretstream.js';

const CHUNK = 64 * 1024;

/** Deterministic test bytes (AES-CTR keystream), fast for megabytes. */
function testBytes(length: number, seed = 1): Buffer {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

const modes = [
  ['on the worker thread', () => new CryptoThread(), true],
  ['on the calling thread', () => new CryptoThread({ worker: false }), false],
] as const;

describe.each(modes)('attachment crypto %s', (_name, make, expectWorker) => {
  let dir: string;
  let thread: CryptoThread;
  beforeAll(async () => {
    await ready();
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-crypto-thread-'));
    thread = make();
  });
  afterAll(async () => {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs where it says', async () => {
    expect(await thread.usesWorker()).toBe(expectWorker);
  });

  it('encrypts a file to the very bytes and hash of encryptFile, reporting progress', async () => {
    const size = 5 * 1024 * 1024 + 123;
    const source = path.join(dir, 'plain.bin');
    writeFileSync(source, testBytes(size));
    const key = randomBytes(32);
    const headers: Uint8Array[] = [];
    const written: number[] = [];
    const result = await thread.encryptFile(source, path.join(dir, 'a.enc'), {
      key,
      chunkSize: CHUNK,
      size,
      onHeader: (header) => headers.push(header),
      onWritten: (bytes) => written.push(bytes),
    });
    expect(headers).toHaveLength(1);
    expect(Buffer.from(headers[0]!).equals(Buffer.from(result.header))).toBe(true);
    expect(result.cipherSize).toBe(ciphertextSize(size, CHUNK));
    expect(written.at(-1)).toBe(result.cipherSize);
    expect(written).toEqual([...written].sort((a, b) => a - b));

    // The same key and header on this thread give the same bytes.
    const reference = await encryptFile(source, path.join(dir, 'b.enc'), {
      key,
      header: result.header,
      chunkSize: CHUNK,
      size,
    });
    const a = readFileSync(path.join(dir, 'a.enc'));
    expect(a.equals(readFileSync(path.join(dir, 'b.enc')))).toBe(true);
    expect(Buffer.from(result.hash).equals(Buffer.from(reference.hash))).toBe(true);
    expect(Buffer.from(blake2b(a)).equals(Buffer.from(result.hash))).toBe(true);
  });

  it('reports a source of the wrong size with its code, and stops when aborted', async () => {
    const source = path.join(dir, 'short.bin');
    writeFileSync(source, testBytes(1000));
    const wrong = thread.encryptFile(source, path.join(dir, 'c.enc'), {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 2000,
    });
    await expect(wrong).rejects.toSatisfy((e) => isAttachmentError(e, 'ATTACHMENT_SOURCE_CHANGED'));

    const big = path.join(dir, 'big.bin');
    writeFileSync(big, testBytes(32 * 1024 * 1024, 2));
    const abort = new AbortController();
    const stopped = thread.encryptFile(big, path.join(dir, 'd.enc'), {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 32 * 1024 * 1024,
      signal: abort.signal,
      onWritten: () => abort.abort(),
    });
    await expect(stopped).rejects.toSatisfy((e) => isAttachmentError(e, 'ATTACHMENT_STOPPED'));
  });

  it('appends through a sink in any pieces and hashes the whole file, prefix included', async () => {
    const data = testBytes(9 * 1024 * 1024 + 7, 3);
    const part = path.join(dir, 'download.part');
    const prefix = 1_000_003;
    writeFileSync(part, data.subarray(0, prefix));
    const sink = await thread.openSink(part, prefix);
    let at = prefix;
    for (const piece of [1, 4 * 1024 * 1024, 17, 3 * 1024 * 1024]) {
      const buffer = await sink.take();
      const length = Math.min(piece, buffer.length, data.length - at);
      data.copy(buffer, 0, at, at + length);
      await sink.put(buffer, length);
      at += length;
    }
    while (at < data.length) {
      const buffer = await sink.take();
      const length = Math.min(buffer.length, data.length - at);
      data.copy(buffer, 0, at, at + length);
      await sink.put(buffer, length);
      at += length;
    }
    const digest = await sink.finish();
    await sink.close(); // harmless after finish
    expect(sink.written).toBe(data.length);
    expect(readFileSync(part).equals(data)).toBe(true);
    expect(Buffer.from(digest).equals(Buffer.from(blake2b(data)))).toBe(true);
  });

  it('fails a sink whose file cannot be written, with the reason', async () => {
    const missing = path.join(dir, 'no-such-folder', 'x.part');
    await expect(thread.openSink(missing, 0)).rejects.toThrow(/ENOENT/);
    // The system error's code survives the trip from the worker (a full disk is ENOSPC).
    await expect(thread.openSink(missing, 0)).rejects.toMatchObject({ code: 'ENOENT' });
    // The thread still serves the next job.
    const part = path.join(dir, 'after.part');
    const sink = await thread.openSink(part, 0);
    const buffer = await sink.take();
    buffer.write('bonjour');
    await sink.put(buffer, 7);
    const digest = await sink.finish();
    expect(readFileSync(part, 'utf8')).toBe('bonjour');
    expect(Buffer.from(digest).equals(Buffer.from(blake2b(Buffer.from('bonjour'))))).toBe(true);
  });

  it('fails the jobs of a stopped worker with a sentence, and starts a new one for the next', async () => {
    const big = path.join(dir, 'stop.bin');
    writeFileSync(big, testBytes(48 * 1024 * 1024, 4));
    const running = thread.encryptFile(big, path.join(dir, 'stop.enc'), {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 48 * 1024 * 1024,
    });
    const outcome = running.then(
      (result) => result,
      (error: unknown) => error as Error,
    );
    const sink = await thread.openSink(path.join(dir, 'stop.part'), 0);
    await thread.stop();
    if (expectWorker) {
      expect(await outcome).toEqual(
        expect.objectContaining({ message: expect.stringMatching(/worker was stopped/) }),
      );
      await expect(sink.take()).rejects.toThrow(/worker was stopped/);
    } else {
      expect(await outcome).toMatchObject({ cipherSize: expect.any(Number) });
    }
    await sink.close();
    // The next job runs as before.
    const part = path.join(dir, 'next.part');
    const next = await thread.openSink(part, 0);
    const buffer = await next.take();
    buffer.write('encore');
    await next.put(buffer, 6);
    expect(
      Buffer.from(await next.finish()).equals(Buffer.from(blake2b(Buffer.from('encore')))),
    ).toBe(true);
    expect(await thread.usesWorker()).toBe(expectWorker);
  });
});
