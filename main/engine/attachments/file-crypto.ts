// Files through secretstream, disk to disk, in bounded memory (a few MiB whatever the
// file size): plaintext is read in batches of chunks, each chunk is pushed or pulled,
// and a batch is written while the next one is being processed. The layout of the
// encrypted form is in secretstream.ts.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { AttachmentError, corruptFile } from './errors.js';
import {
  STREAM_ABYTES,
  STREAM_HEADER_BYTES,
  StreamDecryptor,
  StreamEncryptor,
  StreamHasher,
  chunkCount,
  ciphertextSize,
} from './secretstream.js';

/**
 * Plaintext chunks per read or write: 64 × 64 KiB = 4 MiB per batch. Each file
 * operation is a trip to libuv's thread pool; on a busy machine the wake-ups cost more
 * than the copies, so fewer and larger ones (measured against 1 MiB batches).
 */
export const CHUNKS_PER_BATCH = 64;
/** Bytes per read when hashing a file. */
const HASH_READ_BYTES = 1024 * 1024;

export interface EncryptFileOptions {
  readonly key: Uint8Array;
  /** The header of a stream begun earlier: re-encryption then gives the same bytes. */
  readonly header?: Uint8Array;
  readonly chunkSize: number;
  /** Plaintext size measured before; the source must still have exactly this size. */
  readonly size: number;
  /** Called once the header is known, before any ciphertext is written. */
  readonly onHeader?: (header: Uint8Array) => void;
  /** Called after each write with the number of ciphertext bytes now in `target`. */
  readonly onWritten?: (bytes: number) => void;
  readonly signal?: AbortSignal;
}

export interface EncryptedFile {
  readonly header: Uint8Array;
  /** BLAKE2b-256 of the whole ciphertext, header included. */
  readonly hash: Uint8Array;
  readonly cipherSize: number;
}

/**
 * Encrypts `source` into `target` (created or overwritten in place) and hashes the
 * ciphertext on the way. Throws ATTACHMENT_SOURCE_CHANGED if the source does not have
 * `size` bytes or is modified while it is read.
 */
export async function encryptFile(
  source: string,
  target: string,
  options: EncryptFileOptions,
): Promise<EncryptedFile> {
  const { chunkSize, size } = options;
  const encryptor = new StreamEncryptor(options.key, options.header, chunkSize);
  const hasher = new StreamHasher(STREAM_HEADER_BYTES);
  hasher.update(encryptor.header);
  const cipherSize = ciphertextSize(size, chunkSize);
  const chunks = chunkCount(size, chunkSize);
  const batchPlain = chunkSize * CHUNKS_PER_BATCH;
  const batchCipher = (chunkSize + STREAM_ABYTES) * CHUNKS_PER_BATCH;

  let input: FileHandle | undefined;
  let output: FileHandle | undefined;
  // Reads and writes run ahead of the loop; on failure they are awaited before closing.
  let nextRead: Promise<number> | undefined;
  let pendingWrite: Promise<void> = Promise.resolve();
  try {
    options.onHeader?.(encryptor.header);
    input = await openSource(source);
    const inputHandle = input;
    const before = await input.stat();
    if (before.size !== size) throw sourceChanged(source);
    // 'r+' keeps the bytes of an earlier attempt (identical when re-encrypting).
    output = await open(target, 'r+').catch(() => open(target, 'w'));
    await output.write(encryptor.header, 0, STREAM_HEADER_BYTES, 0);
    let written = STREAM_HEADER_BYTES;
    options.onWritten?.(written);

    const inBuffers = [Buffer.allocUnsafe(batchPlain), Buffer.allocUnsafe(batchPlain)];
    const outBuffers = [Buffer.allocUnsafe(batchCipher), Buffer.allocUnsafe(batchCipher)];
    const batches = Math.ceil(chunks / CHUNKS_PER_BATCH);
    const readBatch = (b: number) => {
      const start = b * batchPlain;
      const length = Math.min(batchPlain, size - start);
      return readFully(inputHandle, inBuffers[b % 2]!, length, start).then((got) => {
        if (got !== length) throw sourceChanged(source);
        return length;
      });
    };
    nextRead = readBatch(0);
    let chunkIndex = 0;
    for (let b = 0; b < batches; b++) {
      if (options.signal?.aborted) throw stopped();
      const length = await nextRead!;
      // Start reading the next batch and keep writing the previous one while this one is encrypted.
      nextRead = b + 1 < batches ? readBatch(b + 1) : undefined;
      const plain = inBuffers[b % 2]!;
      const out = outBuffers[b % 2]!;
      let outLength = 0;
      for (let p = 0; p < length || (length === 0 && chunkIndex === 0); p += chunkSize) {
        const last = ++chunkIndex === chunks;
        const piece = plain.subarray(p, Math.min(p + chunkSize, length));
        outLength += encryptor.pushInto(piece, last, out, outLength, hasher);
        if (last) break;
      }
      await pendingWrite;
      const at = written;
      written += outLength;
      const outputHandle = output;
      pendingWrite = writeFully(outputHandle, out, outLength, at).then(() =>
        options.onWritten?.(at + outLength),
      );
    }
    await pendingWrite;
    if (written !== cipherSize) throw new Error('Encrypted size does not match its layout.');
    await output.truncate(cipherSize);
    const after = await input.stat();
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw sourceChanged(source);
    return { header: encryptor.header, hash: hasher.digest(), cipherSize };
  } finally {
    await nextRead?.catch(() => undefined);
    await pendingWrite.catch(() => undefined);
    encryptor.dispose();
    hasher.dispose();
    await input?.close();
    await output?.close();
  }
}

export interface DecryptOptions {
  readonly key: Uint8Array;
  readonly size: number;
  readonly chunkSize: number;
  readonly signal?: AbortSignal;
  /**
   * The file is still being written (a download in progress): resolves once its first
   * `bytes` bytes are on disk, rejects if they never will be. Bytes are read only once
   * they are there, and the file's length is not checked up front (its writer checks
   * it; the last chunk must still carry the stream's final tag).
   */
  readonly growing?: (bytes: number) => Promise<void>;
}

/**
 * Plaintext of an encrypted file, in batches of up to 4 MiB; a batch's buffer is
 * reused three steps later (be done with it, or copy it, before asking for the third
 * batch after it: a reader may keep two writes running). Every
 * chunk is authenticated before it is yielded; a stream cut short, altered, reordered
 * or extended throws ATTACHMENT_CORRUPT, and so does a file whose length does not
 * match `size`.
 */
export async function* decryptFile(
  cipherPath: string,
  options: DecryptOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { chunkSize, size } = options;
  const cipherSize = ciphertextSize(size, chunkSize);
  const chunks = chunkCount(size, chunkSize);
  // Waits for a growing file; stops waiting when the reader is closed or aborted.
  let close = (_: Error) => undefined as void;
  const closed = new Promise<never>((_, reject) => (close = reject));
  closed.catch(() => undefined);
  const onAbort = () => close(stopped());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const available = (bytes: number): Promise<unknown> | undefined =>
    options.growing && Promise.race([options.growing(bytes), closed]);
  let input: FileHandle | undefined;
  let decryptor: StreamDecryptor | undefined;
  let nextRead: Promise<number> | undefined;
  let afterNext: Promise<number> | undefined;
  try {
    if (options.signal?.aborted) throw stopped();
    await available(STREAM_HEADER_BYTES);
    input = await open(cipherPath, 'r');
    const file = input;
    if (!options.growing) {
      const actual = (await input.stat()).size;
      if (actual < cipherSize)
        throw corruptFile('The encrypted file is shorter than its description.');
      if (actual > cipherSize)
        throw corruptFile('The encrypted file is longer than its description.');
    }
    const header = Buffer.allocUnsafe(STREAM_HEADER_BYTES);
    if ((await readFully(input, header, STREAM_HEADER_BYTES, 0)) !== STREAM_HEADER_BYTES) {
      throw corruptFile('The encrypted file has no header.');
    }
    decryptor = new StreamDecryptor(options.key, header, chunkSize);
    const cipherChunk = chunkSize + STREAM_ABYTES;
    const batchCipher = cipherChunk * CHUNKS_PER_BATCH;
    // Three input buffers: two reads run ahead while a batch is decrypted.
    const inBuffers = [0, 1, 2].map(() => Buffer.allocUnsafe(batchCipher));
    const outBuffers = [0, 1, 2].map(() => Buffer.allocUnsafe(chunkSize * CHUNKS_PER_BATCH));
    const batches = Math.ceil(chunks / CHUNKS_PER_BATCH);
    const readBatch = async (b: number) => {
      const start = STREAM_HEADER_BYTES + b * batchCipher;
      const length = Math.min(batchCipher, cipherSize - start);
      await available(start + length);
      const got = await readFully(file, inBuffers[b % 3]!, length, start);
      if (got !== length) throw corruptFile('The encrypted file ends early.');
      return length;
    };
    nextRead = prefetch(readBatch(0));
    afterNext = batches > 1 ? prefetch(readBatch(1)) : undefined;
    let chunkIndex = 0;
    for (let b = 0; b < batches; b++) {
      if (options.signal?.aborted) throw stopped();
      const length = await nextRead!;
      nextRead = afterNext;
      afterNext = b + 2 < batches ? prefetch(readBatch(b + 2)) : undefined;
      const cipher = inBuffers[b % 3]!;
      const out = outBuffers[b % 3]!;
      let outLength = 0;
      for (let p = 0; p < length; p += cipherChunk) {
        const last = ++chunkIndex === chunks;
        try {
          outLength += decryptor.pullInto(
            cipher.subarray(p, Math.min(p + cipherChunk, length)),
            last,
            out,
            outLength,
          );
        } catch (error) {
          throw corruptFile((error as Error).message);
        }
      }
      yield out.subarray(0, outLength);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    close(stopped());
    await nextRead?.catch(() => undefined);
    await afterNext?.catch(() => undefined);
    decryptor?.dispose();
    await input?.close();
  }
}

/** BLAKE2b-256 of the first `length` bytes of a file, with `hasher` if given (it is updated). */
export async function hashFilePrefix(
  file: string,
  length: number,
  hasher = new StreamHasher(),
): Promise<StreamHasher> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(HASH_READ_BYTES);
    for (let position = 0; position < length;) {
      const want = Math.min(buffer.length, length - position);
      const got = await readFully(handle, buffer, want, position);
      if (got !== want) throw corruptFile('The partly downloaded file is shorter than recorded.');
      hasher.update(buffer.subarray(0, got));
      position += got;
    }
    return hasher;
  } finally {
    await handle.close();
  }
}

/** Reads up to `length` bytes at `position`, looping over short reads; returns the count. */
export async function readFully(
  handle: FileHandle,
  buffer: Uint8Array,
  length: number,
  position: number,
): Promise<number> {
  let total = 0;
  while (total < length) {
    const { bytesRead } = await handle.read(buffer, total, length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return total;
}

export async function writeFully(
  handle: FileHandle,
  buffer: Uint8Array,
  length: number,
  position: number,
): Promise<void> {
  let total = 0;
  while (total < length) {
    const { bytesWritten } = await handle.write(buffer, total, length - total, position + total);
    total += bytesWritten;
  }
}

async function openSource(source: string): Promise<FileHandle> {
  try {
    return await open(source, 'r');
  } catch (error) {
    throw new AttachmentError(
      'ATTACHMENT_SOURCE_UNREADABLE',
      `The file ${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
}

function sourceChanged(source: string): AttachmentError {
  return new AttachmentError(
    'ATTACHMENT_SOURCE_CHANGED',
    `The file ${source} changed while it was being sent; send it again.`,
  );
}

/**
 * A read started ahead of its use: its failure is seen when it is awaited, not
 * reported as unhandled while the batch before it is being written.
 */
function prefetch<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

export function stopped(): AttachmentError {
  return new AttachmentError('ATTACHMENT_STOPPED');
}
