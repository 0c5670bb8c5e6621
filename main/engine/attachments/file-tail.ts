// Reading a file while it is still being written: the upload sends the encrypted copy
// as the encryption produces it. The writer announces how many bytes are in the file
// (`Watermark.advance`); the reader never reads past that mark, and waits for it to
// move. A failed writer fails the reader.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** How far a file being written is readable; monotonic. */
export class Watermark {
  private bytes = 0;
  private failure: Error | undefined;
  private waiters: { atLeast: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  get position(): number {
    return this.bytes;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  advance(bytes: number): void {
    if (bytes <= this.bytes) return;
    this.bytes = bytes;
    this.waiters = this.waiters.filter((w) => {
      if (w.atLeast > bytes) return true;
      w.resolve();
      return false;
    });
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Resolves once at least `bytes` bytes are readable. */
  reach(bytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.bytes >= bytes) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ atLeast: bytes, resolve, reject }));
  }
}

/** 1 MiB: large enough that a read costs little, small enough to stay in a core's cache. */
const READ_BYTES = 1024 * 1024;
/** Buffers kept for reuse: what the stream and the socket hold at once, about. */
const SPARE_BUFFERS = 3;

/**
 * A body whose pieces may be handed back once the socket has written them, so that
 * the next reads reuse them (BlobClient does, see `send`).
 */
export interface RecyclingBody extends Readable {
  recycle(piece: Buffer): void;
}

export function isRecyclingBody(body: Readable): body is RecyclingBody {
  return typeof (body as Partial<RecyclingBody>).recycle === 'function';
}

/**
 * Bytes [start, end) of `file`, read as the watermark allows, in pieces of up to
 * 1 MiB. Pieces given back with `recycle` are read into again: a fresh buffer per
 * read made the engine's garbage collector run every few dozen MiB of an upload
 * (each buffer counts as external memory until collected).
 */
export class FileTail extends Readable implements RecyclingBody {
  private handle: FileHandle | undefined;
  private position: number;
  private reading = false;
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly file: string,
    start: number,
    private readonly end: number,
    private readonly watermark: Watermark,
    /** Called with the count of every piece handed to the consumer. */
    private readonly onBytes: (count: number) => void = () => undefined,
  ) {
    super({ highWaterMark: READ_BYTES });
    this.position = start;
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    this.next().then(
      (piece) => {
        this.reading = false;
        this.push(piece);
      },
      (error: Error) => this.destroy(error),
    );
  }

  private async next(): Promise<Buffer | null> {
    if (this.position >= this.end) return null;
    await this.watermark.reach(this.position + 1);
    // Opened only now: the writer may not have created the file when the upload starts.
    if (!this.handle) {
      const handle = await open(this.file, 'r');
      if (this.destroyed) {
        await handle.close();
        return null;
      }
      this.handle = handle;
    }
    const length = Math.min(
      READ_BYTES,
      this.end - this.position,
      this.watermark.position - this.position,
    );
    const buffer = this.spare.pop() ?? Buffer.allocUnsafe(READ_BYTES);
    const { bytesRead } = await this.handle!.read(buffer, 0, length, this.position);
    if (bytesRead === 0) throw new Error('The encrypted copy is shorter than announced.');
    this.position += bytesRead;
    this.onBytes(bytesRead);
    return buffer.subarray(0, bytesRead);
  }

  /** A piece this stream gave, written out and no longer used by anyone. */
  recycle(piece: Buffer): void {
    // Only whole buffers of ours (an allocation this large has its own ArrayBuffer).
    if (this.spare.length >= SPARE_BUFFERS || piece.buffer.byteLength !== READ_BYTES) return;
    this.spare.push(Buffer.from(piece.buffer, 0, READ_BYTES));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return callback(error);
    handle.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
