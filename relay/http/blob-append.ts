// Writes the body of one PATCH into a blob file, from `offset` on.
//
// - Gathered into writes of BATCH_BYTES: the socket hands over 64 KiB or less at a time, and one
//   file write per piece costs more (a trip to libuv's thread pool each) than the copy.
//   While one batch is being written the next one fills.
// - Hashed on the way (upload-hashes.ts), so finalising does not read the blob back.
// - Never past the blob's declared length: extra bytes are dropped and reported.
// - A body that stops arriving for `idleMs` is cut, so that a half-open connection
//   does not keep the blob busy (BLOB_BUSY) for ever.
// - Whatever arrived before a cut is written before returning: the client asks the
//   offset and resumes from exactly there.
// - Flushed to disk as it goes (ProgressiveFlush), so the fsync at finalisation is short.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { ProgressiveFlush } from '../../shared/util/progressive-flush.js';
import type { RunningHash } from './upload-hashes.js';

/**
 * Two of these per upload in progress (one filling, one being written): small enough
 * for hundreds of simultaneous uploads, large enough that the writes cost little.
 */
const BATCH_BYTES = 256 * 1024;

export interface AppendOutcome {
  /** Bytes of the body now in the file. */
  readonly written: number;
  /** The body went past the blob's declared length (the extra bytes were dropped). */
  readonly overflow: boolean;
  /** Why the body ended early (connection cut, idle), if it did. */
  readonly interruption: Error | undefined;
}

export async function appendBody(
  body: IncomingMessage,
  file: string,
  offset: number,
  room: number,
  hash: RunningHash | undefined,
  idleMs: number,
): Promise<AppendOutcome> {
  const handle = await open(file, 'r+');
  const toDisk = new ProgressiveFlush(() => handle.datasync());
  let batch = Buffer.allocUnsafe(Math.min(BATCH_BYTES, Math.max(1, room)));
  let spare = Buffer.allocUnsafe(batch.length);
  let filled = 0;
  let position = offset;
  let received = 0;
  let pending: Promise<void> = Promise.resolve();
  let interruption: Error | undefined;

  const flush = async () => {
    if (filled === 0) return;
    await pending;
    const bytes = batch;
    const length = filled;
    const at = position;
    position += length;
    // Hashed while it is written; if the write fails the caller drops the hash (the
    // file's size then differs from the hash's offset).
    if (hash) {
      hash.hasher.update(bytes.subarray(0, length));
      hash.offset += length;
    }
    pending = writeFully(handle, bytes, length, at).then(() => toDisk.wrote(length));
    [batch, spare] = [spare, batch];
    filled = 0;
  };

  const idle = setTimeout(() => {
    body.destroy(new Error(`no bytes for ${idleMs} ms`));
  }, idleMs);
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        idle.refresh();
        const take = Math.max(0, Math.min(chunk.length, room - received));
        received += chunk.length;
        for (let used = 0; used < take;) {
          const n = Math.min(take - used, batch.length - filled);
          chunk.copy(batch, filled, used, used + n);
          filled += n;
          used += n;
          if (filled === batch.length) await flush();
        }
      }
    } catch (error) {
      interruption = error as Error;
    }
    await flush();
    await pending;
    return { written: position - offset, overflow: received > room, interruption };
  } finally {
    clearTimeout(idle);
    await pending.catch(() => undefined);
    await toDisk.settle();
    await handle.close();
  }
}

async function writeFully(
  handle: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<void> {
  for (let done = 0; done < length;) {
    const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
    done += bytesWritten;
  }
}
