// The engine's side of the attachment worker (crypto-worker.ts): its two jobs as
// promises, `encryptFile` (same options and result as file-crypto.ts's) and a download
// sink (fetch a blob's range into a part file and hash it).
//
// One worker per process, started on first use; while no job runs it does not keep
// the process alive. If it cannot start (a build that lacks its file, a platform
// without worker threads), or if COMGOV_ATTACHMENT_WORKER=0, the same work is done
// on the engine's thread: slower on two cores, same bytes and same errors.
//
// The worker's file is crypto-worker.js beside the bundle in the desktop app, and
// crypto-worker.ts beside this file when running from the sources (tests, benches,
// the CLI), loaded through tsx like the rest.
import { Worker } from 'node:worker_threads';
import { RelayRequestError } from '../relay/relay-http.js';
import { relayError } from './blob-client.js';
import { type BlobRangeRequest, type FetchOutcome, fetchRange } from './blob-fetch.js';
import type { WorkerReply, WorkerRequest } from './crypto-thread-protocol.js';
import { AttachmentError, type AttachmentErrorCode } from './errors.js';
import {
  type EncryptFileOptions,
  type EncryptedFile,
  encryptFile as encryptOnThisThread,
} from './file-crypto.js';
import { PartWriter } from './part-writer.js';

/** Receives a download into a part file, hashing it; see CryptoThread.openSink. */
export interface DownloadSink {
  /**
   * Fetches the blob's range into the part (which must be `request.start` long);
   * resolves with the part's length once the body has ended, complete or not. A cut
   * connection, a refusal or an answer that is not the range rejects with the
   * relay's error (RelayRequestError); a body that cannot be this file with
   * ATTACHMENT_CORRUPT. What arrived before a cut is kept.
   */
  fetch(request: BlobRangeRequest, signal: AbortSignal): Promise<number>;
  /** Bytes of the part file known to be written. */
  readonly written: number;
  /** Waits for every write, closes the file; the BLAKE2b-256 of the whole part file. */
  finish(): Promise<Uint8Array>;
  /** Closes the file after the writes already started (after a failure too). */
  close(): Promise<void>;
}

type Listener = (reply: WorkerReply) => void;

export class CryptoThread {
  private static instance: CryptoThread | undefined;
  private worker: Worker | undefined;
  private started: Promise<boolean> | undefined;
  private readonly listeners = new Map<number, Listener>();
  private nextJob = 1;

  /** `worker: false` does everything on this thread (tests of that path). */
  constructor(private readonly options: { readonly worker?: boolean } = {}) {}

  /** The process's worker (created on first use). */
  static shared(): CryptoThread {
    CryptoThread.instance ??= new CryptoThread();
    return CryptoThread.instance;
  }

  /** encryptFile() of file-crypto.ts, on the worker. */
  async encryptFile(
    source: string,
    target: string,
    options: EncryptFileOptions,
  ): Promise<EncryptedFile> {
    if (!(await this.start())) return encryptOnThisThread(source, target, options);
    return new Promise<EncryptedFile>((resolve, reject) => {
      const job = this.nextJob++;
      const onAbort = () => this.post({ op: 'abort', job });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        options.signal?.removeEventListener('abort', onAbort);
        this.release(job);
      };
      this.listen(job, (message) => {
        switch (message.type) {
          case 'header':
            try {
              options.onHeader?.(message.header);
            } catch (error) {
              // Like on this thread: a failing callback stops the encryption.
              this.post({ op: 'abort', job });
              reject(error as Error);
            }
            return;
          case 'written':
            options.onWritten?.(message.bytes);
            return;
          case 'encrypted':
            done();
            resolve({ header: message.header, hash: message.hash, cipherSize: message.cipherSize });
            return;
          case 'failed':
            done();
            reject(workerError(message));
            return;
          default:
            return;
        }
      });
      this.post({
        op: 'encrypt',
        job,
        source,
        target,
        key: options.key,
        header: options.header,
        chunkSize: options.chunkSize,
        size: options.size,
      });
      if (options.signal?.aborted) onAbort();
    });
  }

  /**
   * A sink appending to `file` from `offset` (the file is created when `offset` is 0);
   * the digest at the end covers the file's first `offset` bytes too. `onWritten` is
   * told the part's length each time more of it is on disk (a save follows it).
   * With a worker, the fetches into it run there too (blob-fetch.ts).
   */
  async openSink(
    file: string,
    offset: number,
    onWritten: (bytes: number) => void = () => undefined,
  ): Promise<DownloadSink> {
    if (!(await this.start())) {
      return new LocalSink(await PartWriter.open(file, offset, onWritten));
    }
    const job = this.nextJob++;
    const sink = new WorkerSink(job, offset, (request) => this.post(request), onWritten);
    this.listen(job, (message) => sink.receive(message));
    sink.onClosed = () => this.release(job);
    try {
      await sink.opening(file);
    } catch (error) {
      this.release(job);
      throw error;
    }
    return sink;
  }

  /** Whether the work goes to the worker (false: it is done on this thread). */
  usesWorker(): Promise<boolean> {
    return this.start();
  }

  /** Stops the worker (jobs in progress fail); the next job starts a new one. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.started = undefined;
    this.failAll('The attachment worker was stopped.');
    await worker?.terminate();
  }

  private failAll(reason: string): void {
    for (const [job, listener] of [...this.listeners]) {
      listener({ job, type: 'failed', code: undefined, message: reason });
    }
    this.listeners.clear();
  }

  private start(): Promise<boolean> {
    this.started ??= new Promise<boolean>((resolve) => {
      if (this.options.worker === false || process.env.COMGOV_ATTACHMENT_WORKER === '0') {
        return resolve(false);
      }
      let worker: Worker;
      try {
        worker = spawnWorker();
      } catch {
        return resolve(false);
      }
      this.worker = worker;
      let ready = false;
      worker.on('message', (message: WorkerReply) => {
        if (message.type === 'ready') {
          ready = true;
          // Held while starting; from now on only while a job runs. (After the
          // listeners: adding a 'message' listener holds the worker again.)
          if (this.listeners.size === 0) worker.unref();
          resolve(true);
          return;
        }
        this.listeners.get(message.job)?.(message);
      });
      const broken = (reason: string) => {
        if (!ready) resolve(false);
        // A worker already replaced (stop(), or an error then its exit) changes nothing.
        if (this.worker !== worker) return;
        this.worker = undefined;
        if (!ready) return;
        // Jobs in progress fail; later ones start a new worker.
        this.started = undefined;
        this.failAll(reason);
      };
      worker.on('error', (error) => broken(`The attachment worker failed (${error.message}).`));
      worker.on('exit', (code) => broken(`The attachment worker stopped (exit code ${code}).`));
    });
    return this.started;
  }

  private listen(job: number, listener: Listener): void {
    this.listeners.set(job, listener);
    if (this.listeners.size === 1) this.worker?.ref();
  }

  private release(job: number): void {
    this.listeners.delete(job);
    if (this.listeners.size === 0) this.worker?.unref();
  }

  private post(request: WorkerRequest): void {
    this.worker?.postMessage(request);
  }
}

function spawnWorker(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  if (!fromSources) return new Worker(new URL('./crypto-worker.js', import.meta.url));
  // From the sources: tsx's loader is registered inside the worker before its entry is
  // imported (a worker does not inherit the loader, and --import in execArgv is not
  // applied to a worker's entry on Node 20).
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./crypto-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true },
  );
}

function workerError(message: {
  code: string | undefined;
  errno?: string;
  message: string;
}): Error {
  if (message.code)
    return new AttachmentError(message.code as AttachmentErrorCode, message.message);
  // As on this thread: a full disk stays ENOSPC, so it is reported as a write failure
  // ("check the free space"), not as an internal error.
  return Object.assign(new Error(message.message), message.errno ? { code: message.errno } : {});
}

/** A fetch's outcome as the engine's error, or the part's length. */
function fetchResult(outcome: FetchOutcome, written: number): number {
  switch (outcome.kind) {
    case 'ended':
      return written;
    case 'cut':
      throw new RelayRequestError(
        'RELAY_UNREACHABLE',
        `The download was cut (${outcome.reason}).`,
        0,
      );
    case 'refused':
      throw relayError(outcome.status, outcome.body, outcome.headers);
    case 'bad-reply':
      throw new RelayRequestError('BAD_REPLY', outcome.message, 502);
  }
}

/** A sink on the worker: the fetch, the hash and the writes happen there. */
class WorkerSink implements DownloadSink {
  onClosed: () => void = () => undefined;
  private failure: Error | undefined;
  private position: number;
  private opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private fetching: { resolve: (bytes: number) => void; reject: (e: Error) => void } | undefined;
  private closed:
    { resolve: (digest?: Uint8Array) => void; reject: (e: Error) => void } | undefined;
  private ended = false;

  constructor(
    private readonly job: number,
    offset: number,
    private readonly post: (request: WorkerRequest) => void,
    private readonly onWritten: (bytes: number) => void,
  ) {
    this.position = offset;
  }

  get written(): number {
    return this.position;
  }

  opening(file: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opened = { resolve, reject };
      this.post({ op: 'sink-open', job: this.job, file, offset: this.position });
    });
  }

  receive(message: WorkerReply): void {
    switch (message.type) {
      case 'opened':
        this.opened?.resolve();
        this.opened = undefined;
        return;
      case 'written':
        this.position = message.bytes;
        this.onWritten(this.position);
        return;
      case 'fetched': {
        this.position = message.bytes;
        const waiter = this.fetching;
        this.fetching = undefined;
        try {
          waiter?.resolve(fetchResult(message.outcome, this.position));
        } catch (error) {
          waiter?.reject(error as Error);
        }
        return;
      }
      case 'closed':
        this.closed?.resolve(message.digest);
        this.closed = undefined;
        this.onClosed();
        return;
      case 'failed': {
        this.failure ??= workerError(message);
        this.opened?.reject(this.failure);
        this.opened = undefined;
        this.fetching?.reject(this.failure);
        this.fetching = undefined;
        // The worker closed the file; a close() still pending is answered now.
        if (this.closed) {
          this.closed.reject(this.failure);
          this.closed = undefined;
          this.onClosed();
        }
        return;
      }
      default:
        return;
    }
  }

  fetch(request: BlobRangeRequest, signal: AbortSignal): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => this.post({ op: 'abort', job: this.job });
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.fetching = {
        resolve: (bytes) => {
          done();
          resolve(bytes);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      this.post({ op: 'sink-fetch', job: this.job, request });
      if (signal.aborted) onAbort();
    });
  }

  async finish(): Promise<Uint8Array> {
    const digest = await this.end(true);
    if (!digest) throw this.failure ?? new Error('The attachment worker gave no digest.');
    return digest;
  }

  async close(): Promise<void> {
    await this.end(false).catch(() => undefined);
  }

  private async end(digest: boolean): Promise<Uint8Array | undefined> {
    if (this.ended) return undefined;
    this.ended = true;
    const failure = this.failure;
    const answer = new Promise<Uint8Array | undefined>((resolve, reject) => {
      this.closed = { resolve, reject };
    });
    this.post({ op: 'sink-close', job: this.job, digest: digest && !failure });
    if (failure) {
      this.closed = undefined;
      this.onClosed();
      throw failure;
    }
    return answer;
  }
}

/** The same sink on this thread (no worker). */
class LocalSink implements DownloadSink {
  constructor(private readonly writer: PartWriter) {}

  get written(): number {
    return this.writer.written;
  }

  async fetch(request: BlobRangeRequest, signal: AbortSignal): Promise<number> {
    const outcome = await fetchRange(request, this.writer, signal);
    return fetchResult(outcome, this.writer.written);
  }

  finish(): Promise<Uint8Array> {
    return this.writer.finish();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
