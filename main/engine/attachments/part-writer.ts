// The part file of a download: received ciphertext appended at its end, hashed on the
// way (BLAKE2b-256 of the whole part, the bytes already there included), written in
// the background while the next batch fills.
//
// The fetch (blob-fetch.ts) fills the writer's buffers in turn: `take` gives an empty
// one, `put` hashes it at once and queues its write (one write at a time); a buffer is
// free again once written. With three buffers the socket, the hash and the disk all
// work at once. Used where the download runs: on the attachment worker
// (crypto-worker.ts), or on the engine's thread when there is no worker.
//
// The part is flushed to disk as it grows (ProgressiveFlush), so that the fsync the
// downloader makes before declaring the file received has little left to do.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { ProgressiveFlush } from '../../../shared/util/progressive-flush.js';
import { hashFilePrefix, writeFully } from './file-crypto.js';
import { StreamHasher } from './secretstream.js';

const BUFFERS = 3;
/**
 * 1 MiB: a batch is copied from the socket, hashed and handed to the disk while it is
 * still in the core's cache (1 MiB of L2 per core here). With 4 MiB batches a 256 MiB
 * download took 1.1-1.35 s on the build VM, with 1 MiB 0.8-1.2 s, with 512 KiB
 * 0.9-1.2 s (docs/benchmarks.md, ninth session).
 */
const BUFFER_BYTES = 1024 * 1024;

export class PartWriter {
  private readonly free: Buffer[] = [];
  /** Waiting for a free buffer. */
  private freed: (() => void)[] = [];
  /** The writes, one after the other. */
  private pending: Promise<void> = Promise.resolve();
  /** Where the next buffer put goes (writes in the queue included). */
  private end: number;
  private failure: Error | undefined;
  private readonly flush: ProgressiveFlush;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly hasher: StreamHasher,
    private position: number,
    private readonly onWritten: (bytes: number) => void,
  ) {
    this.end = position;
    for (let i = 0; i < BUFFERS; i++) this.free.push(Buffer.allocUnsafe(BUFFER_BYTES));
    this.flush = new ProgressiveFlush(() => handle.datasync());
  }

  /**
   * Appends to `file` from `offset` (created when `offset` is 0; its first `offset`
   * bytes are hashed first). `onWritten` is told the part's length each time more of
   * it is in the file.
   */
  static async open(
    file: string,
    offset: number,
    onWritten: (bytes: number) => void = () => undefined,
  ): Promise<PartWriter> {
    const hasher = offset > 0 ? await hashFilePrefix(file, offset) : new StreamHasher();
    try {
      return new PartWriter(await open(file, offset > 0 ? 'r+' : 'w'), hasher, offset, onWritten);
    } catch (error) {
      hasher.dispose();
      throw error;
    }
  }

  /** Bytes of the part known to be written. */
  get written(): number {
    return this.position;
  }

  /** An empty buffer to fill; waits for a write when all are taken. A failed write rejects. */
  async take(): Promise<Buffer> {
    while (this.free.length === 0 && !this.failure) {
      await new Promise<void>((resolve) => this.freed.push(resolve));
    }
    if (this.failure) throw this.failure;
    return this.free.pop()!;
  }

  /** A free buffer if there is one now (none after a failed write: `take` tells why). */
  takeFree(): Buffer | undefined {
    return this.failure ? undefined : this.free.pop();
  }

  /**
   * Appends the first `length` bytes of a buffer from `take`: hashed now, written after
   * the writes before it (the buffer is free again once written). A failed write
   * rejects here or at the next call.
   */
  async put(buffer: Buffer, length: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (length === 0) {
      this.release(buffer);
      return;
    }
    const at = this.end;
    this.end += length;
    this.hasher.update(buffer.subarray(0, length));
    this.pending = this.pending.then(async () => {
      if (this.failure) return;
      try {
        await writeFully(this.handle, buffer, length, at);
      } catch (error) {
        this.failure = error as Error;
        this.release(buffer);
        return;
      }
      this.position = at + length;
      this.flush.wrote(length);
      this.release(buffer);
      this.onWritten(this.position);
    });
  }

  /** Waits for the writes started so far (`written` then counts them); a failed one rejects. */
  async drain(): Promise<void> {
    await this.pending;
    if (this.failure) throw this.failure;
  }

  /** Waits for every write and closes the file; the BLAKE2b-256 of the whole part. */
  async finish(): Promise<Uint8Array> {
    await this.pending;
    await this.flush.settle();
    if (this.failure) {
      await this.close();
      throw this.failure;
    }
    this.closed = true;
    try {
      await this.handle.close();
    } catch (error) {
      this.hasher.dispose();
      throw error;
    }
    return this.hasher.digest();
  }

  /** Closes the file after the writes already started (after a failure too). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending;
    await this.flush.settle();
    await this.handle.close().catch(() => undefined);
    this.hasher.dispose();
  }

  private release(buffer: Buffer): void {
    this.free.push(buffer);
    for (const wake of this.freed.splice(0)) wake();
  }
}
