// Receiving one file: fetch the blob into `<id>.part` in the data folder, from where a
// cut or a restart left it (Range request from the part's length), hash the whole
// ciphertext, and only when the hash is the one the sender put in the message rename
// the part to `<id>.bin`. Nothing is decrypted here: the file stays encrypted and is
// decrypted on demand (attachments.ts, `save` and `open`), so nothing unverified ever
// reaches a place a person reads.
//
// The request is signed here; sending it, receiving the body, hashing and writing run
// on the attachment worker (crypto-thread.ts, blob-fetch.ts), so that this thread only
// hears how far the part has grown. After a restart the part's bytes are hashed again
// before the download goes on (the hash state is not stored; reading back from the
// disk is cheap next to the network).
// If a resumed download ends with a wrong hash, the part may have been damaged on this
// disk (a power cut): it is fetched once more from the start before giving up.
//
// The part's length is reported as it grows (`ctx.partWritten`): a save started while
// the file arrives decrypts behind the download (attachments.ts, `fetchAndSave`).
import { open, rename, rm, truncate } from 'node:fs/promises';
import { bytesEqual } from '../../../shared/util/bytes.js';
import { sizeOrZero } from './attachment-folder.js';
import { AttachmentError, corruptFile } from './errors.js';
import { CryptoThread, type DownloadSink } from './crypto-thread.js';
import { stopped } from './file-crypto.js';
import { backoffMs, pause } from './retry.js';
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
    let sink: DownloadSink | undefined;
    try {
      let offset = await sizeOrZero(part);
      if (offset > record.cipherSize) {
        await truncate(part, 0);
        offset = 0;
      }
      const resumed = offset > 0;
      meter.update(offset);
      // Hashes what the part already holds, then what arrives (on the worker thread).
      sink = await CryptoThread.shared().openSink(part, offset, (bytes) => {
        ctx.partWritten?.(id, bytes);
        meter.update(bytes);
      });
      // The part's length now: a save following this download reads up to here (and
      // learns that the part was cut short, if it was).
      ctx.partWritten?.(id, offset);
      if (offset < record.cipherSize) {
        const before = offset;
        offset = await sink.fetch(
          ctx.blobs.rangeRequest(record.blobId!, offset, record.cipherSize),
          signal,
        );
        if (offset > before) failures = 0;
        if (offset < record.cipherSize) continue; // the relay stopped early: ask for the rest
      }
      const digest = await sink.finish();
      if (!bytesEqual(digest, record.hash!)) {
        ctx.partWritten?.(id, 0); // first, so that a save following the part lets it go
        await rm(part, { force: true });
        if (resumed && !refetched) {
          refetched = true;
          continue;
        }
        throw corruptFile('The file received does not match the hash given by its sender.');
      }
      await syncFile(part);
      await rename(part, ctx.folder.encrypted(id));
      meter.flush();
      return markDone(ctx, id, record.cipherSize);
    } catch (error) {
      if (error instanceof AttachmentError) throw error;
      if (signal.aborted) throw stopped();
      if (isRefusal(error, 'RANGE_NOT_SATISFIABLE')) {
        throw corruptFile('The file on the relay is shorter than its description.');
      }
      // Not finalised yet: the sender's upload is still finishing; wait like for a cut.
      if (!isTransient(error) && !isRefusal(error, 'BLOB_NOT_FINALISED')) {
        throw permanentError(error);
      }
      noteWaiting(ctx, id, error);
      await pause(backoffMs(failures++, ctx.retry), signal);
    } finally {
      await sink?.close();
    }
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
