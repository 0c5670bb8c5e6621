// What an upload or a download needs from the engine, and the pieces both share:
// progress reporting (throttled for the UI, recorded in the store now and then) and
// turning relay refusals into attachment errors.
import { RelayRequestError } from '../relay/relay-http.js';
import type { AttachmentFolder } from './attachment-folder.js';
import type { BlobClient, BlobRefusal } from './blob-client.js';
import { isTransient } from './blob-client.js';
import { AttachmentError } from './errors.js';
import type { RetryPolicy } from './retry.js';
import type { TransferRecord, TransferStore } from './transfer-store.js';

export interface TransferContext {
  readonly store: TransferStore;
  readonly blobs: BlobClient;
  readonly folder: AttachmentFolder;
  readonly retry: RetryPolicy;
  readonly now: () => number;
  /** Ciphertext bytes transferred so far out of `record.cipherSize`. */
  progress(record: TransferRecord, done: number): void;
  /** The row changed: a new state, or a transient error being waited out. */
  changed(record: TransferRecord): void;
  /**
   * A download's part file holds `bytes` bytes written to disk; a length below the one
   * reported before means the part was cut short or deleted.
   */
  partWritten?(id: string, bytes: number): void;
}

const EVENT_INTERVAL_MS = 100;
/**
 * The recorded offset is for the UI after a restart (a resume asks the relay, or
 * measures the part file): each record is a commit, with an fsync, so not too often.
 */
const RECORD_INTERVAL_MS = 5000;

/** Progress of one run: events at most every 100 ms, the offset recorded every 5 s. */
export class ProgressMeter {
  private lastEvent = 0;
  private lastRecord = Date.now();
  private done = 0;

  constructor(
    private readonly ctx: TransferContext,
    private readonly record: TransferRecord,
  ) {}

  update(done: number): void {
    this.done = done;
    const now = Date.now();
    if (now - this.lastEvent >= EVENT_INTERVAL_MS || done === this.record.cipherSize) {
      this.lastEvent = now;
      this.ctx.progress(this.record, done);
    }
    if (now - this.lastRecord >= RECORD_INTERVAL_MS) {
      this.lastRecord = now;
      this.ctx.store.update(this.record.id, { offset: done });
    }
  }

  /** Sends the last figure, whatever the throttle. */
  flush(): void {
    this.ctx.progress(this.record, this.done);
  }
}

export function isRefusal(error: unknown, code: string): error is BlobRefusal {
  return error instanceof RelayRequestError && error.code === code;
}

/** Records a transfer as complete (every byte there, errors cleared) and tells the UI. */
export function markDone(ctx: TransferContext, id: string, cipherSize: number): TransferRecord {
  const done = ctx.store.update(id, {
    state: 'done',
    offset: cipherSize,
    completedAt: ctx.now(),
    errorCode: null,
    errorMessage: null,
  });
  ctx.changed(done);
  return done;
}

/** Records a transient failure on the row (attempts, last error) and tells the UI. */
export function noteWaiting(ctx: TransferContext, id: string, error: unknown): void {
  const record = ctx.store.get(id);
  if (!record) return;
  ctx.changed(
    ctx.store.update(id, {
      attempts: record.attempts + 1,
      errorCode: error instanceof RelayRequestError ? error.code : 'INTERNAL',
      errorMessage: (error as Error).message,
    }),
  );
}

/**
 * A failure that waiting will not cure, as the error a person sees; an error that is
 * neither the relay's nor the file system's (a defect) is returned as it is.
 */
export function permanentError(error: unknown): Error {
  if (error instanceof AttachmentError) return error;
  if (error instanceof RelayRequestError) {
    switch (error.code) {
      case 'BLOB_TOO_LARGE':
        return new AttachmentError('ATTACHMENT_TOO_LARGE', error.message);
      case 'BLOB_QUOTA_EXCEEDED':
        return new AttachmentError('ATTACHMENT_QUOTA_EXCEEDED', error.message);
      case 'BLOB_NOT_FOUND':
        return new AttachmentError('ATTACHMENT_UNAVAILABLE', error.message);
      case 'LOCAL_READ_FAILED':
        return new AttachmentError(
          'ATTACHMENT_SOURCE_UNREADABLE',
          `The encrypted copy cannot be read: ${error.message}`,
        );
      default:
        return new AttachmentError(
          'ATTACHMENT_RELAY_REFUSED',
          `The relay refused the transfer (${error.code}): ${error.message}`,
        );
    }
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    return new AttachmentError(
      'ATTACHMENT_WRITE_FAILED',
      `The attachment folder cannot be written (${errno}): ${(error as Error).message}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

export { isTransient };
