// The engine's side of the attachment worker (crypto-worker.ts): its two jobs as
// promises, `encryptFile` (same options and result as file-crypto.ts's) and a download
// sink (hash and append received ciphertext).
//
// One worker per process, started on first use; while no job runs it does not keep
// the process alive. If it cannot start (a build that lacks its file, a platform
// without worker threads), or if COMGOV_ATTACHMENT_WORKER=0, the same work is done
// on the engine's thread: slower on two cores, same bytes and same errors.
//
// The worker's file is crypto-worker.js beside the bundle in the desktop app, and
// crypto-worker.ts beside this file when running from the sources (tests, benches,
// the CLI), loaded through tsx like the rest.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './crypto-thread-protocol.js';
import { AttachmentError, type AttachmentErrorCode } from './errors.js';
import {
  type EncryptFileOptions,
  type EncryptedFile,
  encryptFile as encryptOnThisThread,
  hashFilePrefix,
  writeFully,
} from './file-crypto.js';
import { StreamHasher } from './secretstream.js';

/** Receives a download into a part file, hashing it; see DownloadSink.open. */
export interface DownloadSink {
  /** An empty buffer to fill; waits while every buffer is being written. */
  take(): Promise<Buffer>;
  /** Appends the first `length` bytes of a buffer from take(); a failure shows at the next call. */
  put(buffer: Buffer, length: number): Promise<void>;
  /** Bytes of the part file known to be written. */
  readonly written: number;
  /** Waits for every write, closes the file; the BLAKE2b-256 of the whole part file. */
  finish(): Promise<Uint8Array>;
  /** Closes the file after the writes already handed over (after a failure too). */
  close(): Promise<void>;
}

const SINK_BUFFERS = 3;
const SINK_BUFFER_BYTES = 4 * 1024 * 1024;

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
   */
  async openSink(
    file: string,
    offset: number,
    onWritten: (bytes: number) => void = () => undefined,
  ): Promise<DownloadSink> {
    if (!(await this.start())) return LocalSink.open(file, offset, onWritten);
    const job = this.nextJob++;
    const sink = new WorkerSink(
      job,
      offset,
      (request, transfer) => this.post(request, transfer),
      onWritten,
    );
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

  private post(request: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(request, transfer);
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

/**
 * The sink's buffers are shared with the worker (SharedArrayBuffer): a write sends an
 * index, the worker answers with it once written. Nothing is copied or allocated per
 * write (transferring 4 MiB buffers back and forth made both threads' garbage
 * collectors run for every 64 MiB or so).
 */
class WorkerSink implements DownloadSink {
  onClosed: () => void = () => undefined;
  private readonly buffers: Buffer[] = [];
  private readonly free: Buffer[] = [];
  private waiting: { resolve: (buffer: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private position: number;
  /** Buffers with the worker. */
  private outstanding = 0;
  private opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private closed:
    { resolve: (digest?: Uint8Array) => void; reject: (e: Error) => void } | undefined;
  private drained: (() => void) | undefined;
  private ended = false;

  constructor(
    private readonly job: number,
    offset: number,
    private readonly post: (request: WorkerRequest, transfer?: ArrayBuffer[]) => void,
    private readonly onWritten: (bytes: number) => void,
  ) {
    this.position = offset;
    for (let i = 0; i < SINK_BUFFERS; i++) {
      this.buffers.push(Buffer.from(new SharedArrayBuffer(SINK_BUFFER_BYTES)));
    }
    this.free.push(...this.buffers);
  }

  get written(): number {
    return this.position;
  }

  opening(file: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opened = { resolve, reject };
      this.post({
        op: 'sink-open',
        job: this.job,
        file,
        offset: this.position,
        buffers: this.buffers.map((b) => b.buffer as SharedArrayBuffer),
      });
    });
  }

  receive(message: WorkerReply): void {
    switch (message.type) {
      case 'opened':
        this.opened?.resolve();
        this.opened = undefined;
        return;
      case 'written': {
        this.position = message.bytes;
        this.outstanding--;
        this.onWritten(this.position);
        const buffer = this.buffers[message.index!]!;
        if (this.waiting) {
          const waiter = this.waiting;
          this.waiting = undefined;
          waiter.resolve(buffer);
        } else this.free.push(buffer);
        if (this.outstanding === 0) this.drained?.();
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
        this.waiting?.reject(this.failure);
        this.waiting = undefined;
        this.drained?.();
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

  take(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const buffer = this.free.pop();
    if (buffer) return Promise.resolve(buffer);
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  put(buffer: Buffer, length: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (length === 0) {
      this.free.push(buffer);
      return Promise.resolve();
    }
    this.outstanding++;
    this.post({ op: 'sink-write', job: this.job, index: this.buffers.indexOf(buffer), length });
    return Promise.resolve();
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
    if (this.outstanding > 0 && !this.failure) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
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
  private pending: Promise<void> = Promise.resolve();
  private readonly free: Buffer[] = [
    Buffer.alloc(SINK_BUFFER_BYTES),
    Buffer.alloc(SINK_BUFFER_BYTES),
  ];

  private constructor(
    private readonly handle: FileHandle,
    private readonly hasher: StreamHasher,
    private position: number,
    private readonly onWritten: (bytes: number) => void,
  ) {}

  static async open(
    file: string,
    offset: number,
    onWritten: (bytes: number) => void,
  ): Promise<LocalSink> {
    const hasher = offset > 0 ? await hashFilePrefix(file, offset) : new StreamHasher();
    try {
      return new LocalSink(await open(file, offset > 0 ? 'r+' : 'w'), hasher, offset, onWritten);
    } catch (error) {
      hasher.dispose();
      throw error;
    }
  }

  get written(): number {
    return this.position;
  }

  async take(): Promise<Buffer> {
    if (this.free.length === 0) await this.pending;
    return this.free.pop()!;
  }

  async put(buffer: Buffer, length: number): Promise<void> {
    await this.pending;
    const at = this.position;
    this.hasher.update(buffer.subarray(0, length));
    this.pending = writeFully(this.handle, buffer, length, at).then(() => {
      this.position = at + length;
      this.free.push(buffer);
      this.onWritten(this.position);
    });
  }

  async finish(): Promise<Uint8Array> {
    try {
      await this.pending;
      await this.handle.close();
    } catch (error) {
      this.hasher.dispose();
      throw error;
    }
    return this.hasher.digest();
  }

  async close(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    this.hasher.dispose();
  }
}
