// Sending one file: encrypt it into the data folder and upload the encrypted copy to a
// relay blob, both at once, then finalise the blob with the ciphertext's hash.
//
// Why an encrypted copy on disk (and not encryption straight into the request): the
// bytes to send again after a cut must be the very bytes sent before, and the sender
// keeps the file as sent (to open it later, and to forward it: the same blob id and
// key can go into any number of messages, "upload once, send to many"). The upload
// does not wait for the copy to be complete: it reads the copy as it grows
// (file-tail.ts), so a file is read once and both steps overlap.
//
// The encryption runs on the attachment worker (crypto-thread.ts): on two cores the
// upload then runs beside it instead of waiting for it.
//
// Resuming:
// - after a cut connection (same run): ask the relay its offset (HEAD), send from there;
//   encryption goes on meanwhile;
// - after a restart during encryption: the key and the secretstream header were stored
//   before any ciphertext was written, and encrypting the same plaintext with the same
//   key and header gives the same bytes (secretstream.ts), so the copy is rewritten
//   identically from the start while the upload continues from the relay's offset: no
//   byte reaches the relay twice. The source file must not have changed (size and
//   modification time are checked); if it has, the transfer fails with a sentence;
// - after a restart with the copy complete: upload from the relay's offset.
// The relay is told the size first (`create`): its size limit and the account's quota
// are checked before anything is encrypted or sent.
import { stat } from 'node:fs/promises';
import { randomBytes } from '../../../shared/crypto/index.js';
import { sizeOrZero } from './attachment-folder.js';
import { AttachmentError } from './errors.js';
import { CryptoThread } from './crypto-thread.js';
import { stopped } from './file-crypto.js';
import { FileTail, Watermark } from './file-tail.js';
import { backoffMs, pause } from './retry.js';
import { STREAM_KEY_BYTES } from './secretstream.js';
import {
  ProgressMeter,
  type TransferContext,
  isRefusal,
  isTransient,
  markDone,
  noteWaiting,
  permanentError,
} from './transfer-context.js';
import type { TransferRecord } from './transfer-store.js';

export interface UploadStats {
  /** Ciphertext bytes handed to the relay connection in this run, every attempt counted. */
  bytesSent: number;
}

/** Runs an upload to the end (finalised blob); transient failures are waited out. */
export async function runUpload(
  ctx: TransferContext,
  id: string,
  signal: AbortSignal,
  stats: UploadStats,
): Promise<TransferRecord> {
  let discarded = 0;
  for (;;) {
    try {
      return await uploadOnce(ctx, ctx.store.get(id)!, signal, stats);
    } catch (error) {
      // The relay hashed other bytes than ours and dropped the upload: start afresh once,
      // with a new key and a new copy (the old copy cannot be trusted).
      if (isRefusal(error, 'BLOB_HASH_MISMATCH') && discarded++ === 0) {
        ctx.changed(
          ctx.store.update(id, {
            state: 'pending',
            blobId: null,
            header: null,
            hash: null,
            key: randomBytes(STREAM_KEY_BYTES),
            offset: 0,
          }),
        );
        continue;
      }
      throw error;
    }
  }
}

async function uploadOnce(
  ctx: TransferContext,
  start: TransferRecord,
  outer: AbortSignal,
  stats: UploadStats,
): Promise<TransferRecord> {
  const id = start.id;
  let record = await ensureBlob(ctx, start, outer);
  const copy = ctx.folder.encrypted(id);
  const watermark = new Watermark();
  const inner = new AbortController();
  const stop = () => inner.abort();
  outer.addEventListener('abort', stop, { once: true });
  if (outer.aborted) inner.abort();
  let encryption: Promise<Uint8Array>;
  // A complete copy is sent as it is; otherwise (first run, or a restart during
  // encryption, or a copy gone missing) it is written again, identical, from the source.
  if (record.state === 'uploading' && (await sizeOrZero(copy)) === record.cipherSize) {
    watermark.advance(record.cipherSize);
    encryption = Promise.resolve(record.hash!);
  } else {
    encryption = encrypt(ctx, record, copy, watermark, inner.signal);
    encryption.catch((error: Error) => watermark.fail(error));
  }
  try {
    record = await sendAndFinalise(ctx, id, copy, watermark, encryption, inner.signal, stats);
    return markDone(ctx, id, record.cipherSize);
  } catch (error) {
    inner.abort();
    await encryption.catch(() => undefined);
    throw error;
  } finally {
    outer.removeEventListener('abort', stop);
  }
}

/**
 * Puts a complete file on the relay again, under a new blob: the encrypted copy kept
 * here, the same bytes, key and hash, so that a message may name it again once its
 * first blob is gone (a forward of a file older than the relay's blob TTL). The row
 * keeps its state; only its blob id changes. Transient failures are waited out.
 */
export async function uploadCopyAgain(
  ctx: TransferContext,
  id: string,
  signal: AbortSignal,
): Promise<TransferRecord> {
  const start = ctx.store.get(id)!;
  const copy = ctx.folder.encrypted(id);
  if (start.state !== 'done' || (await sizeOrZero(copy)) !== start.cipherSize) {
    throw new AttachmentError(
      'ATTACHMENT_UNAVAILABLE',
      `${start.name} is no longer on the relay and its copy here is incomplete: it cannot be sent again.`,
    );
  }
  const record = await ensureBlob(ctx, ctx.store.update(id, { blobId: null }), signal);
  const watermark = new Watermark();
  watermark.advance(record.cipherSize);
  try {
    return await sendAndFinalise(ctx, id, copy, watermark, record.hash!, signal, {
      bytesSent: 0,
    });
  } catch (error) {
    throw permanentError(error);
  }
}

/**
 * Sends the copy from the relay's offset, then finalises the blob with the hash (once
 * the encryption has given it). When the relay holds fewer bytes than were sent (it
 * lost some: BLOB_INCOMPLETE), the rest is sent again, three times at most.
 */
async function sendAndFinalise(
  ctx: TransferContext,
  id: string,
  copy: string,
  watermark: Watermark,
  hash: Promise<Uint8Array> | Uint8Array,
  signal: AbortSignal,
  stats: UploadStats,
): Promise<TransferRecord> {
  for (let incomplete = 0; ; incomplete++) {
    const record = await sendBytes(ctx, id, copy, watermark, signal, stats);
    try {
      await finalise(ctx, record, await hash, signal);
      return record;
    } catch (error) {
      if (isRefusal(error, 'BLOB_INCOMPLETE') && incomplete < 3) continue;
      throw error;
    }
  }
}

/** Creates the relay blob if the row has none yet; the relay's size checks happen here. */
async function ensureBlob(
  ctx: TransferContext,
  record: TransferRecord,
  signal: AbortSignal,
): Promise<TransferRecord> {
  if (record.blobId) return record;
  for (let failures = 0; ; failures++) {
    if (signal.aborted) throw stopped();
    try {
      const blobId = await ctx.blobs.create(record.cipherSize);
      return ctx.store.update(record.id, { blobId });
    } catch (error) {
      if (signal.aborted) throw stopped();
      if (!isTransient(error)) throw permanentError(error);
      noteWaiting(ctx, record.id, error);
      await pause(backoffMs(failures, ctx.retry), signal);
    }
  }
}

/** Writes the encrypted copy; resolves with the ciphertext's hash once it is complete. */
async function encrypt(
  ctx: TransferContext,
  record: TransferRecord,
  copy: string,
  watermark: Watermark,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const source = record.filePath!;
  const now = await stat(source).catch(() => undefined);
  if (!now || now.size !== record.size || now.mtimeMs !== record.fileMtimeMs) {
    throw new AttachmentError(
      'ATTACHMENT_SOURCE_CHANGED',
      `The file ${source} changed or disappeared before it was completely sent; send it again.`,
    );
  }
  const result = await CryptoThread.shared().encryptFile(source, copy, {
    key: record.key,
    header: record.header ?? undefined,
    chunkSize: record.chunkSize,
    size: record.size,
    signal,
    // Stored before any ciphertext exists, so that a restart re-creates the same bytes.
    onHeader: (header) => {
      if (!record.header) ctx.changed(ctx.store.update(record.id, { header, state: 'encrypting' }));
      else if (record.state !== 'encrypting') ctx.store.update(record.id, { state: 'encrypting' });
    },
    onWritten: (bytes) => watermark.advance(bytes),
  });
  ctx.changed(ctx.store.update(record.id, { hash: result.hash, state: 'uploading' }));
  watermark.advance(result.cipherSize);
  return result.hash;
}

/** Sends the copy from the relay's offset to the end, resuming after cuts. */
async function sendBytes(
  ctx: TransferContext,
  id: string,
  copy: string,
  watermark: Watermark,
  signal: AbortSignal,
  stats: UploadStats,
): Promise<TransferRecord> {
  let record = ctx.store.get(id)!;
  const meter = new ProgressMeter(ctx, record);
  for (let failures = 0, attempt = 0; ; attempt++) {
    if (signal.aborted) throw stopped();
    try {
      const status = await ctx.blobs.status(record.blobId!);
      if (status.length !== record.cipherSize) throw new Error('blob length mismatch');
      if (status.final) return record;
      let offset = status.offset;
      meter.update(offset);
      // The encryption runs on the attachment worker (crypto-thread.ts): on two cores the
      // upload then runs beside it instead of waiting for it.
      //
      // Resuming: the request cut earlier may still be running on the relay, which would
      // refuse our PATCH only after we sent its body. Ask with an empty one first.
      if (offset < record.cipherSize && (attempt > 0 || offset > 0)) {
        offset = await ctx.blobs.probe(record.blobId!, offset);
      }
      if (offset < record.cipherSize) {
        const from = offset;
        let sent = 0;
        const body = new FileTail(copy, from, record.cipherSize, watermark, (count) => {
          sent += count;
          stats.bytesSent += count;
          meter.update(from + sent);
        });
        offset = await ctx.blobs.append(
          record.blobId!,
          from,
          body,
          record.cipherSize - from,
          signal,
        );
        if (offset > from) failures = 0;
      }
      if (offset >= record.cipherSize) {
        meter.update(record.cipherSize);
        meter.flush();
        return ctx.store.update(id, { offset: record.cipherSize });
      }
    } catch (error) {
      if (watermark.error) throw watermark.error;
      if (signal.aborted) throw stopped();
      if (isRefusal(error, 'BLOB_OFFSET_MISMATCH')) continue;
      if (
        isRefusal(error, 'BLOB_NOT_FOUND') ||
        (error as Error).message === 'blob length mismatch'
      ) {
        // The blob expired or was removed on the relay: upload the copy again, to a new blob.
        record = await ensureBlob(ctx, ctx.store.update(id, { blobId: null }), signal);
        continue;
      }
      if (!isTransient(error)) throw permanentError(error);
      noteWaiting(ctx, id, error);
      await pause(backoffMs(failures++, ctx.retry), signal);
    }
  }
}

async function finalise(
  ctx: TransferContext,
  record: TransferRecord,
  hash: Uint8Array,
  signal: AbortSignal,
): Promise<void> {
  for (let failures = 0; ; failures++) {
    if (signal.aborted) throw stopped();
    try {
      await ctx.blobs.finalise(record.blobId!, hash);
      return;
    } catch (error) {
      if (signal.aborted) throw stopped();
      if (isRefusal(error, 'BLOB_HASH_MISMATCH') || isRefusal(error, 'BLOB_INCOMPLETE'))
        throw error;
      if (!isTransient(error)) throw permanentError(error);
      noteWaiting(ctx, record.id, error);
      await pause(backoffMs(failures, ctx.retry), signal);
    }
  }
}
