// The attachment layer of the engine: files sent and received, end-to-end encrypted,
// resumable both ways, stored encrypted in the data folder and decrypted on demand.
//
// Contract:
// - `upload(path)` resolves once the blob is finalised on the relay, with the
//   descriptor to put in a message. A cut connection, a relay that is down, a busy blob
//   are waited out (back-off), as the outbox does; only a permanent refusal rejects
//   (ATTACHMENT_TOO_LARGE and ATTACHMENT_QUOTA_EXCEEDED come before any byte is sent).
//   Aborting the signal stops the transfer where it is (ATTACHMENT_STOPPED); the row
//   stays, and `resumePending()` (at start-up) or `run(id)` goes on from there.
// - `register(descriptor)` records a received file (synchronous: call it inside the
//   transaction that stores the message); `download()` or `run(id)` fetches it.
// - `save(id, path)` and `open(id)` decrypt only a completely received, hash-checked
//   file; every chunk is authenticated before its plaintext is used, and `save` writes
//   to a temporary file renamed into place, so a refused file leaves nothing behind.
// - `fetchAndSave(id, path)` is `save` for a file that may not be there yet: it
//   decrypts behind the download as the bytes reach the disk (part-watch.ts), and
//   renames into place only once the download has checked the hash of those bytes.
// - A failed transfer keeps its code and sentence (`info(id).error`); `run(id)` tries
//   it again.
// Events: `progress` (ciphertext bytes done / total, at most every 100 ms per
// transfer) and `state` (every change of state, and each transient failure waited out).
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3-multiple-ciphers';
import { Sha256Hasher, randomBytes } from '../../../shared/crypto/index.js';
import { bytesEqual, toHex } from '../../../shared/util/bytes.js';
import { ProgressiveFlush } from '../../../shared/util/progressive-flush.js';
import { AttachmentFolder, isAttachmentId } from './attachment-folder.js';
import type { BlobClient } from './blob-client.js';
import {
  type AttachmentDescriptor,
  type DescriptorInput,
  normaliseType,
  parseDescriptor,
  safeFileName,
  typeFromName,
} from './descriptor.js';
import { runDownload } from './downloader.js';
import { PartWatches } from './part-watch.js';
import { PendingSaves } from './pending-saves.js';
import { AttachmentError, type AttachmentErrorCode, isAttachmentError } from './errors.js';
import { decryptFile, stopped, writeFully } from './file-crypto.js';
import { DEFAULT_RETRY, type RetryPolicy, backoffMs, pause } from './retry.js';
import { DEFAULT_CHUNK_SIZE, STREAM_KEY_BYTES, ciphertextSize } from './secretstream.js';
import { isTransient, permanentError, type TransferContext } from './transfer-context.js';
import {
  type TransferDirection,
  type TransferRecord,
  type TransferState,
  TransferStore,
} from './transfer-store.js';
import { runUpload, uploadCopyAgain } from './uploader.js';

export interface SaveOptions {
  readonly signal?: AbortSignal;
  /**
   * A signed document's SHA-256: the decrypted content must have it, or nothing is
   * written out (ATTACHMENT_CORRUPT).
   */
  readonly expectedSha256?: Uint8Array;
}

export interface AttachmentsOptions {
  /** The engine's open store, with ATTACHMENT_MIGRATION_STATEMENTS applied. */
  readonly db: Database.Database;
  /** The engine's data folder; files go in `<dataDir>/attachments/`. */
  readonly dataDir: string;
  readonly blobs: BlobClient;
  readonly chunkSize?: number;
  readonly retry?: RetryPolicy;
  readonly now?: () => number;
}

/** What the UI and the CLI see of an attachment. */
export interface AttachmentInfo {
  readonly id: string;
  readonly direction: TransferDirection;
  readonly state: TransferState;
  readonly name: string;
  readonly type: string;
  /** Plaintext bytes. */
  readonly size: number;
  /** Ciphertext bytes transferred when last recorded, out of `cipherSize`. */
  readonly offset: number;
  readonly cipherSize: number;
  /** The last failure: permanent when `state` is failed, else being waited out. */
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: number;
  readonly completedAt: number | null;
}

export interface ProgressEvent {
  readonly id: string;
  readonly direction: TransferDirection;
  /** Ciphertext bytes transferred. */
  readonly done: number;
  readonly total: number;
}

export interface UploadResult {
  readonly id: string;
  readonly descriptor: AttachmentDescriptor;
  /** Ciphertext bytes put on the wire by this call, every attempt counted. */
  readonly bytesSent: number;
}

/** Transfers run at once by resumePending and by fetchInBackground (others wait their turn). */
const PARALLEL_TRANSFERS = 3;

type Events = { progress: ProgressEvent; state: AttachmentInfo };
type Listener<K extends keyof Events> = (event: Events[K]) => void;

export class Attachments {
  readonly folder: AttachmentFolder;
  private readonly store: TransferStore;
  private readonly ctx: TransferContext;
  private readonly chunkSize: number;
  private readonly running = new Map<string, Promise<TransferRecord>>();
  /** Files being put on the relay again (ensureOnRelay), one run each. */
  private readonly reuploads = new Map<string, Promise<void>>();
  private readonly bytesSent = new Map<string, { bytesSent: number }>();
  private readonly parts = new PartWatches();
  private readonly pendingSaves: PendingSaves;
  /** Received files waiting to be fetched in the background, in order. */
  private readonly background: string[] = [];
  private backgroundRunning = 0;
  private backgroundStopped = false;
  private readonly listeners: { [K in keyof Events]: Set<Listener<K>> } = {
    progress: new Set(),
    state: new Set(),
  };

  constructor(options: AttachmentsOptions) {
    const now = options.now ?? Date.now;
    this.folder = new AttachmentFolder(options.dataDir);
    this.store = new TransferStore(options.db, now);
    this.pendingSaves = new PendingSaves(options.db);
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.ctx = {
      store: this.store,
      blobs: options.blobs,
      folder: this.folder,
      retry: options.retry ?? DEFAULT_RETRY,
      now,
      progress: (record, done) =>
        this.emit('progress', {
          id: record.id,
          direction: record.direction,
          done,
          total: record.cipherSize,
        }),
      changed: (record) => this.emit('state', toInfo(record)),
      partWritten: (id, bytes) => this.parts.written(id, bytes),
    };
  }

  /**
   * Deletes the temporary files of saves cut short by a previous run (see
   * pending-saves.ts); the engine calls it once at start. Returns how many.
   */
  removeInterruptedSaves(): Promise<number> {
    return this.pendingSaves.sweep();
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, listener: Listener<K>): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /**
   * Records a file to send (its size and modification time are noted: a file changed
   * before it is completely sent is refused) and returns its attachment id.
   */
  async prepareUpload(file: string, meta: { name?: string; type?: string } = {}): Promise<string> {
    const source = path.resolve(file);
    let info;
    try {
      info = await stat(source);
    } catch (error) {
      throw new AttachmentError(
        'ATTACHMENT_SOURCE_UNREADABLE',
        `The file ${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      );
    }
    if (!info.isFile()) {
      throw new AttachmentError('ATTACHMENT_SOURCE_UNREADABLE', `${source} is not a file.`);
    }
    await this.folder.ensure();
    const id = newId();
    const name = safeFileName(meta.name ?? path.basename(source));
    const record = this.store.insert({
      id,
      direction: 'upload',
      state: 'pending',
      blobId: null,
      filePath: source,
      fileMtimeMs: info.mtimeMs,
      name,
      type: meta.type ? normaliseType(meta.type) : typeFromName(name),
      size: info.size,
      chunkSize: this.chunkSize,
      cipherSize: ciphertextSize(info.size, this.chunkSize),
      key: randomBytes(STREAM_KEY_BYTES),
      header: null,
      hash: null,
    });
    this.emit('state', toInfo(record));
    return id;
  }

  /** Encrypts and uploads a file; resolves with the descriptor once the relay has it all. */
  async upload(
    file: string,
    meta: { name?: string; type?: string } = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<UploadResult> {
    const id = await this.prepareUpload(file, meta);
    const stats = { bytesSent: 0 };
    this.bytesSent.set(id, stats);
    try {
      await this.run(id, options);
      return { id, descriptor: this.descriptor(id), bytesSent: stats.bytesSent };
    } finally {
      this.bytesSent.delete(id);
    }
  }

  /**
   * Records a file received in a message and returns its attachment id; the same blob
   * received again (a forward, a second message) gives the same id. Synchronous, so
   * that it can join the transaction that stores the message.
   */
  register(input: DescriptorInput): string {
    const descriptor = parseDescriptor(input);
    // The very same file (blob, key, hash, size): a completed copy first, else the
    // transfer already under way or failed (run() tries a failed one again).
    const same = this.store
      .byBlob(descriptor.blobId)
      .filter(
        (r) =>
          r.hash !== null &&
          bytesEqual(r.hash, descriptor.hash) &&
          bytesEqual(r.key, descriptor.key) &&
          r.size === descriptor.size &&
          r.chunkSize === descriptor.chunkSize,
      );
    const known =
      same.find((r) => r.state === 'done') ?? same.find((r) => r.direction === 'download');
    if (known) return known.id;
    const record = this.store.insert({
      id: newId(),
      direction: 'download',
      state: 'downloading',
      blobId: descriptor.blobId,
      filePath: null,
      fileMtimeMs: null,
      name: descriptor.name,
      type: descriptor.type,
      size: descriptor.size,
      chunkSize: descriptor.chunkSize,
      cipherSize: ciphertextSize(descriptor.size, descriptor.chunkSize),
      key: descriptor.key,
      header: null,
      hash: descriptor.hash,
    });
    this.emit('state', toInfo(record));
    return record.id;
  }

  /** Registers (if new) and downloads a received file; resolves with its id once verified. */
  async download(input: DescriptorInput, options: { signal?: AbortSignal } = {}): Promise<string> {
    const id = this.register(input);
    await this.run(id, options);
    return id;
  }

  /**
   * Runs one transfer to its end: resumes it if it was cut, tries a failed one again,
   * does nothing for a completed one. Concurrent calls for one id share one run.
   */
  run(id: string, options: { signal?: AbortSignal } = {}): Promise<AttachmentInfo> {
    const current = this.running.get(id);
    if (current) return current.then(toInfo);
    let record = this.record(id);
    if (record.state === 'done') return Promise.resolve(toInfo(record));
    if (record.state === 'failed') {
      record = this.store.update(id, {
        state:
          record.direction === 'upload'
            ? record.header
              ? 'encrypting'
              : 'pending'
            : 'downloading',
        errorCode: null,
        errorMessage: null,
      });
      this.emit('state', toInfo(record));
    }
    const signal = options.signal ?? new AbortController().signal;
    const stats = this.bytesSent.get(id) ?? { bytesSent: 0 };
    const task = (
      record.direction === 'upload'
        ? runUpload(this.ctx, id, signal, stats)
        : runDownload(this.ctx, id, signal)
    )
      .catch(async (error: unknown) => {
        throw await this.fail(id, error);
      })
      .finally(() => {
        this.running.delete(id);
        this.parts.ended(id);
      });
    this.running.set(id, task);
    return task.then(toInfo);
  }

  /**
   * Before a message names a file again (a forward): the relay keeps a blob for its TTL
   * (30 days by default, docs/relay.md), so an older one may be gone. A file complete
   * here then goes up again from its encrypted copy (uploader.ts, `uploadCopyAgain`);
   * one gone from the relay and not complete here cannot be sent (ATTACHMENT_UNAVAILABLE).
   * Transient failures are waited out. The relay keeps a blob a message names as long
   * as that message may wait, so what is checked here is there for the recipients.
   */
  async ensureOnRelay(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = options.signal ?? new AbortController().signal;
    const again = this.reuploads.get(id);
    if (again) return again;
    let record = this.record(id);
    for (let failures = 0; ; failures++) {
      if (signal.aborted) throw stopped();
      try {
        if (record.blobId && (await this.ctx.blobs.isAvailable(record.blobId))) return;
        break;
      } catch (error) {
        if (!isTransient(error)) throw permanentError(error);
        await pause(backoffMs(failures, this.ctx.retry), signal);
        record = this.record(id);
      }
    }
    // Another forward of the same file may have found it gone meanwhile: one upload.
    const started = this.reuploads.get(id);
    if (started) return started;
    const task = uploadCopyAgain(this.ctx, id, signal)
      .then(() => undefined)
      .finally(() => this.reuploads.delete(id));
    this.reuploads.set(id, task);
    return task;
  }

  /**
   * Fetches received files in the background, in the order given, PARALLEL_TRANSFERS
   * at a time: on a poor link each file then arrives sooner than if all shared the
   * link, and the relay's limit of downloads per device is not hit. A file a person
   * asks for meanwhile starts at once (`run`, `fetchAndSave`). Failures stay in rows.
   */
  fetchInBackground(ids: readonly string[]): void {
    for (const id of ids) if (!this.background.includes(id)) this.background.push(id);
    this.pumpBackground();
  }

  /** Starts no further background fetch (the engine is closing). */
  stopBackground(): void {
    this.backgroundStopped = true;
    this.background.length = 0;
  }

  private pumpBackground(): void {
    while (
      !this.backgroundStopped &&
      this.backgroundRunning < PARALLEL_TRANSFERS &&
      this.background.length > 0
    ) {
      const id = this.background.shift()!;
      this.backgroundRunning++;
      void this.run(id)
        .catch(() => undefined)
        .finally(() => {
          this.backgroundRunning--;
          this.pumpBackground();
        });
    }
  }

  /**
   * Resumes every transfer left unfinished (call at start-up, and when the relay is
   * reachable again), three at a time. Resolves when each has ended (done, failed, or
   * stopped by the signal), with their states; failures are in their rows.
   */
  async resumePending(options: { signal?: AbortSignal } = {}): Promise<AttachmentInfo[]> {
    const ids = this.store.unfinished().map((r) => r.id);
    const results: AttachmentInfo[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        results[i] = await this.run(ids[i]!, options).catch(() => this.info(ids[i]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_TRANSFERS, ids.length) }, worker));
    return results;
  }

  /**
   * The descriptor of a file on the relay, to send (or forward) it without uploading it
   * again: a sent file once its upload is done; a received file as its sender described
   * it, fetched here or not (the new recipient checks the same hash), unless fetching
   * it failed for good (gone from the relay, damaged).
   */
  descriptor(id: string): AttachmentDescriptor {
    const record = this.record(id);
    const ready =
      record.direction === 'upload' ? record.state === 'done' : record.state !== 'failed';
    if (!ready || !record.blobId || !record.hash) {
      throw new AttachmentError('ATTACHMENT_NOT_READY');
    }
    return {
      blobId: record.blobId,
      key: record.key,
      hash: record.hash,
      name: record.name,
      type: record.type,
      size: record.size,
      chunkSize: record.chunkSize,
    };
  }

  info(id: string): AttachmentInfo {
    return toInfo(this.record(id));
  }

  list(): AttachmentInfo[] {
    return this.store.list().map(toInfo);
  }

  /** The plaintext, decrypted as it is read; errors (ATTACHMENT_CORRUPT) end the stream. */
  open(id: string): Readable {
    const record = this.completed(id);
    const batches = decryptFile(this.folder.encrypted(id), {
      key: record.key,
      size: record.size,
      chunkSize: record.chunkSize,
    });
    // The stream may hold several batches while its reader is slow: give it copies.
    return Readable.from(
      (async function* () {
        for await (const batch of batches) yield Buffer.from(batch);
      })(),
      { objectMode: false },
    );
  }

  /**
   * Decrypts a completed attachment to `outPath` (replaced if it exists). The plaintext
   * goes to a temporary file beside it, renamed into place only once the whole stream
   * has been authenticated: a refused file leaves nothing at `outPath`.
   */
  async save(id: string, outPath: string, options: SaveOptions = {}): Promise<void> {
    const record = this.completed(id);
    await this.writePlaintext(record, outPath, { cipherPath: this.folder.encrypted(id) }, options);
  }

  /**
   * `save` for a file that may not be complete yet: runs (or joins) its transfer and,
   * for a download, decrypts behind it as its bytes reach the disk, a few MiB behind
   * instead of after its end. The file is renamed into place only once the download
   * has checked the hash of the very bytes decrypted. Should the part be started over
   * (a damaged part fetched again) or anything else go wrong while following, the
   * download's own outcome decides: its error, or a plain `save` of the verified file.
   */
  async fetchAndSave(id: string, outPath: string, options: SaveOptions = {}): Promise<void> {
    const record = this.record(id);
    if (record.state !== 'done' && record.direction === 'upload') await this.run(id, options);
    if (record.state === 'done' || record.direction === 'upload') {
      return this.save(id, outPath, options);
    }
    const watch = this.parts.follow(id);
    // A run started here stops with `options.signal`; one already under way goes on.
    const ours = !this.running.has(id);
    const download = this.run(id, options);
    download.catch(() => undefined);
    try {
      await this.writePlaintext(
        record,
        outPath,
        {
          cipherPath: this.folder.partial(id),
          growing: (bytes) => watch.reach(bytes),
          beforeRename: async () => {
            await download;
            if (watch.reset) throw new Error('The part was started over.');
          },
        },
        options,
      );
    } catch (error) {
      if (isAttachmentError(error, 'ATTACHMENT_STOPPED')) {
        // Stopped means stopped: returns once our run has let go of the part.
        if (ours) await download.catch(() => undefined);
        throw error;
      }
      if (isAttachmentError(error, 'ATTACHMENT_WRITE_FAILED')) throw error;
      await download;
      await this.save(id, outPath, options);
    }
  }

  /**
   * Decrypts `source` to `outPath` through a temporary file beside it, renamed into
   * place once the whole stream is authenticated (and `beforeRename` agrees).
   */
  private async writePlaintext(
    record: TransferRecord,
    outPath: string,
    source: {
      readonly cipherPath: string;
      readonly growing?: (bytes: number) => Promise<void>;
      readonly beforeRename?: () => Promise<void>;
    },
    options: SaveOptions,
  ): Promise<void> {
    const target = path.resolve(outPath);
    const temporary = path.join(
      path.dirname(target),
      `.${path.basename(target)}.${toHex(randomBytes(6))}.partial`,
    );
    let handle;
    this.pendingSaves.begin(temporary);
    try {
      handle = await open(temporary, 'wx', 0o600);
    } catch (error) {
      this.pendingSaves.end(temporary);
      throw writeFailed(target, error);
    }
    let complete = false;
    const opened = handle;
    const flush = new ProgressiveFlush(() => opened.datasync());
    // Two writes run while the next batch is decrypted (decryptFile reuses a batch's
    // buffer three batches later, so two pending writes are safe).
    const writes: Promise<void>[] = [];
    const contentHash = options.expectedSha256 ? new Sha256Hasher() : null;
    try {
      let position = 0;
      for await (const plain of decryptFile(source.cipherPath, {
        key: record.key,
        size: record.size,
        chunkSize: record.chunkSize,
        signal: options.signal,
        growing: source.growing,
      })) {
        if (writes.length === 2) await writes.shift();
        contentHash?.update(plain);
        const file = handle;
        const length = plain.length;
        const write = writeFully(file, plain, length, position).then(
          () => flush.wrote(length),
          (error: unknown) => {
            throw writeFailed(target, error);
          },
        );
        write.catch(() => undefined);
        writes.push(write);
        position += plain.length;
      }
      await Promise.all(writes);
      await flush.settle();
      await handle.sync();
      await handle.close();
      handle = undefined;
      if (contentHash && !bytesEqual(contentHash.digest(), options.expectedSha256!)) {
        throw new AttachmentError(
          'ATTACHMENT_CORRUPT',
          `The content of ${record.name} differs from the signed document: it was not saved.`,
        );
      }
      await source.beforeRename?.();
      await rename(temporary, target).catch((error: unknown) => {
        throw writeFailed(target, error);
      });
      complete = true;
    } finally {
      await Promise.allSettled(writes);
      await flush.settle();
      await handle?.close().catch(() => undefined);
      if (!complete) await rm(temporary, { force: true });
      this.pendingSaves.end(temporary);
    }
  }

  /**
   * Erases a file for good (its message disappeared): no longer fetched, a transfer
   * under way is let end first, then its encrypted copy and its row are deleted. An
   * unknown id is already erased.
   */
  async erase(id: string): Promise<void> {
    const queued = this.background.indexOf(id);
    if (queued >= 0) this.background.splice(queued, 1);
    for (let running = this.running.get(id); running; running = this.running.get(id)) {
      await running.catch(() => undefined);
    }
    if (!isAttachmentId(id) || !this.store.get(id)) return;
    await this.folder.remove(id);
    this.store.delete(id);
  }

  /** Forgets an attachment and deletes its encrypted file (a transfer under way is stopped first by its caller). */
  async remove(id: string): Promise<void> {
    this.record(id);
    if (this.running.has(id)) {
      throw new AttachmentError('ATTACHMENT_NOT_READY', 'This transfer is running; stop it first.');
    }
    await this.folder.remove(id);
    this.store.delete(id);
  }

  private record(id: string): TransferRecord {
    const record = isAttachmentId(id) ? this.store.get(id) : undefined;
    if (!record) throw new AttachmentError('UNKNOWN_ATTACHMENT');
    return record;
  }

  private completed(id: string): TransferRecord {
    const record = this.record(id);
    if (record.state !== 'done') throw new AttachmentError('ATTACHMENT_NOT_READY');
    return record;
  }

  /**
   * Records a permanent failure on the row (a stop is not one), removes what the
   * transfer left on disk, and returns the error to throw.
   */
  private async fail(id: string, error: unknown): Promise<Error> {
    const failure = permanentError(error);
    if (isAttachmentError(failure, 'ATTACHMENT_STOPPED')) return failure;
    const code: AttachmentErrorCode | 'INTERNAL' = isAttachmentError(failure)
      ? failure.code
      : 'INTERNAL';
    let record = this.store.update(id, {
      state: 'failed',
      errorCode: code,
      errorMessage: failure.message,
    });
    if (record.direction === 'download') {
      await rm(this.folder.partial(id), { force: true }).catch(() => undefined);
    } else if (code !== 'INTERNAL') {
      // Nothing of a failed upload is kept: neither the copy nor the partial blob (quota).
      await rm(this.folder.encrypted(id), { force: true }).catch(() => undefined);
      if (record.blobId) {
        const blobId = record.blobId;
        record = this.store.update(id, { blobId: null });
        void this.ctx.blobs.remove(blobId).catch(() => undefined);
      }
    }
    this.emit('state', toInfo(record));
    return failure;
  }

  private emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(value);
      } catch {
        // A listener's failure is its own; transfers go on.
      }
    }
  }
}

function toInfo(record: TransferRecord): AttachmentInfo {
  return {
    id: record.id,
    direction: record.direction,
    state: record.state,
    name: record.name,
    type: record.type,
    size: record.size,
    offset: record.offset,
    cipherSize: record.cipherSize,
    error:
      record.errorCode !== null
        ? { code: record.errorCode, message: record.errorMessage ?? '' }
        : null,
    createdAt: record.createdAt,
    completedAt: record.completedAt,
  };
}

function newId(): string {
  return toHex(randomBytes(16));
}

function writeFailed(target: string, error: unknown): AttachmentError {
  if (error instanceof AttachmentError) return error;
  return new AttachmentError(
    'ATTACHMENT_WRITE_FAILED',
    `${target} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
  );
}
