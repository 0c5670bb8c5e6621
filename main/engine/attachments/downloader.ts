// Receiving one file: fetch the blob into `<id>.part` in the data folder, from where a
// cut or a restart left it (Range request from the part's length), hash the whole
// ciphertext, and only when the hash is the one the sender put in the message rename
// the part to `<id>.bin`. Nothing is decrypted here: the file stays encrypted and is
// decrypted on demand (attachments.ts, `save` and `open`), so nothing unverified ever
// reaches a place a person reads.
//
// After a restart the part's bytes are hashed again before the download goes on (the
// hash state is not stored; reading back from the disk is cheap next to the network).
// If a resumed download ends with a wrong hash, the part may have been damaged on this
// disk (a power cut): it is fetched once more from the start before giving up.
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm, truncate } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { bytesEqual } from '../../../shared/util/bytes.js';
import { RelayRequestError } from '../relay/relay-http.js';
import { sizeOrZero } from './attachment-folder.js';
import { AttachmentError } from './errors.js';
import { hashFilePrefix, stopped, writeFully } from './file-crypto.js';
import { backoffMs, pause } from './retry.js';
import { StreamHasher } from './secretstream.js';
import {
  ProgressMeter,
  type TransferContext,
  isRefusal,
  isTransient,
  noteWaiting,
  permanentError,
} from './transfer-context.js';
import type { TransferRecord } from './transfer-store.js';

/** Bytes gathered before each write to the part file. */
const WRITE_BATCH = 4 * 1024 * 1024;

export async function runDownload(
  ctx: TransferContext,
  id: string,
  signal: AbortSignal,
): Promise<TransferRecord> {
  const record = ctx.store.get(id)!;
  const part = ctx.folder.partial(id);
  await ctx.folder.ensure();
  const meter = new ProgressMeter(ctx, record);
  let refetched = false;
  for (let failures = 0; ;) {
    if (signal.aborted) throw stopped();
    let hasher: StreamHasher | undefined;
    try {
      let offset = await sizeOrZero(part);
      if (offset > record.cipherSize) {
        await truncate(part, 0);
        offset = 0;
      }
      const resumed = offset > 0;
      hasher = resumed ? await hashFilePrefix(part, offset) : new StreamHasher();
      meter.update(offset);
      if (offset < record.cipherSize) {
        const blob = await ctx.blobs.fetch(record.blobId!, offset, signal);
        if (blob.total !== record.cipherSize) {
          blob.body.destroy();
          throw corrupt(
            `The file on the relay has ${blob.total} bytes; its description says ${record.cipherSize}.`,
          );
        }
        const before = offset;
        offset = await receive(blob.body, part, offset, record.cipherSize, hasher, meter);
        if (offset > before) failures = 0;
        if (offset < record.cipherSize) continue; // the relay stopped early: ask for the rest
      }
      if (!bytesEqual(hasher.digest(), record.hash!)) {
        await rm(part, { force: true });
        if (resumed && !refetched) {
          refetched = true;
          continue;
        }
        throw corrupt('The file received does not match the hash given by its sender.');
      }
      await syncFile(part);
      await rename(part, ctx.folder.encrypted(id));
      meter.flush();
      const done = ctx.store.update(id, {
        state: 'done',
        offset: record.cipherSize,
        completedAt: ctx.now(),
        errorCode: null,
        errorMessage: null,
      });
      ctx.changed(done);
      return done;
    } catch (error) {
      if (error instanceof AttachmentError) throw error;
      if (signal.aborted) throw stopped();
      if (isRefusal(error, 'RANGE_NOT_SATISFIABLE')) {
        throw corrupt('The file on the relay is shorter than its description.');
      }
      // Not finalised yet: the sender's upload is still finishing; wait like for a cut.
      if (!isTransient(error) && !isRefusal(error, 'BLOB_NOT_FINALISED')) {
        throw permanentError(error);
      }
      noteWaiting(ctx, id, error);
      await pause(backoffMs(failures++, ctx.retry), signal);
    } finally {
      hasher?.dispose();
    }
  }
}

/**
 * Appends the body to the part file at `offset`, hashing it; returns the new length.
 * A cut connection rejects with a transient RelayRequestError after what arrived is
 * written, so the next attempt resumes from there.
 */
async function receive(
  body: Readable,
  part: string,
  offset: number,
  end: number,
  hasher: StreamHasher,
  meter: ProgressMeter,
): Promise<number> {
  const handle: FileHandle = await open(part, offset > 0 ? 'r+' : 'w');
  let batch = Buffer.allocUnsafe(WRITE_BATCH);
  let spare = Buffer.allocUnsafe(WRITE_BATCH);
  let filled = 0;
  let position = offset;
  let pendingWrite: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (filled === 0) return;
    await pendingWrite;
    const at = position;
    const bytes = batch;
    const length = filled;
    position += length;
    pendingWrite = writeFully(handle, bytes, length, at).then(() => meter.update(at + length));
    [batch, spare] = [spare, batch];
    filled = 0;
  };
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (position + filled + chunk.length > end) {
          throw corrupt('The relay sent more bytes than the file has.');
        }
        hasher.update(chunk);
        for (let used = 0; used < chunk.length;) {
          const take = Math.min(chunk.length - used, WRITE_BATCH - filled);
          chunk.copy(batch, filled, used, used + take);
          filled += take;
          used += take;
          if (filled === WRITE_BATCH) await flush();
        }
      }
    } catch (error) {
      if (error instanceof AttachmentError) throw error;
      // Keep what arrived (it is hashed already), then report the cut.
      await flush();
      await pendingWrite;
      throw new RelayRequestError(
        'RELAY_UNREACHABLE',
        `The download was cut (${(error as Error).message}).`,
        0,
      );
    }
    await flush();
    await pendingWrite;
    return position;
  } finally {
    body.destroy();
    await pendingWrite.catch(() => undefined);
    await handle.close();
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function corrupt(detail: string): AttachmentError {
  return new AttachmentError(
    'ATTACHMENT_CORRUPT',
    `${detail} The file was refused; nothing was written out.`,
  );
}
