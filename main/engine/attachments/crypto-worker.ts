// The attachment worker thread (started by crypto-thread.ts). The CPU-heavy halves of
// file transfers run here, so that the engine's thread stays free to move bytes on the
// network and to handle messages:
// - `encrypt`: a whole encryptFile() (secretstream and the ciphertext's hash), with
//   the header and the written length reported as it goes;
// - a download sink: batches of received ciphertext are hashed and written at their
//   place in the part file, and the buffers handed back for reuse.
// On two cores this is the difference between an upload that waits for the encryption
// and one that runs beside it (bench/suites/attachment.ts).
//
// Messages of one job are handled strictly in order (a chain of promises per job).
import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ready } from '../../../shared/crypto/index.js';
import { ProgressiveFlush } from '../../../shared/util/progressive-flush.js';
import { isAttachmentError } from './errors.js';
import { encryptFile, hashFilePrefix } from './file-crypto.js';
import { StreamHasher } from './secretstream.js';
import type { WorkerReply, WorkerRequest } from './crypto-thread-protocol.js';

interface Sink {
  readonly fd: number;
  readonly buffers: readonly Uint8Array[];
  readonly flush: ProgressiveFlush;
  readonly hasher: StreamHasher;
  position: number;
}

const port = parentPort;
if (!port) throw new Error('crypto-worker.ts runs as a worker thread only.');

const chains = new Map<number, Promise<void>>();
const aborts = new Map<number, AbortController>();
const sinks = new Map<number, Sink>();
const failed = new Set<number>();
const loaded = ready();
void loaded.then(() => reply({ job: 0, type: 'ready' }));

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function fail(job: number, error: unknown): void {
  const errno = (error as NodeJS.ErrnoException).code;
  reply({
    job,
    type: 'failed',
    code: isAttachmentError(error) ? error.code : undefined,
    ...(!isAttachmentError(error) && typeof errno === 'string' ? { errno } : {}),
    message: (error as Error).message,
  });
}

async function handle(request: WorkerRequest): Promise<void> {
  await loaded;
  const { job } = request;
  switch (request.op) {
    case 'encrypt': {
      const abort = new AbortController();
      aborts.set(job, abort);
      try {
        const result = await encryptFile(request.source, request.target, {
          key: request.key,
          header: request.header,
          chunkSize: request.chunkSize,
          size: request.size,
          signal: abort.signal,
          onHeader: (header) => reply({ job, type: 'header', header }),
          onWritten: (bytes) => reply({ job, type: 'written', bytes }),
        });
        reply({ job, type: 'encrypted', ...result });
      } finally {
        aborts.delete(job);
      }
      return;
    }
    case 'sink-open': {
      const hasher =
        request.offset > 0
          ? await hashFilePrefix(request.file, request.offset)
          : new StreamHasher();
      let fd: number;
      try {
        fd = openSync(request.file, request.offset > 0 ? 'r+' : 'w');
      } catch (error) {
        hasher.dispose();
        throw error;
      }
      const flush = new ProgressiveFlush(
        () =>
          new Promise<void>((resolve, reject) =>
            fdatasync(fd, (error) => (error ? reject(error) : resolve())),
          ),
      );
      const buffers = request.buffers.map((shared) => new Uint8Array(shared));
      sinks.set(job, { fd, buffers, flush, hasher, position: request.offset });
      reply({ job, type: 'opened' });
      return;
    }
    case 'sink-write': {
      const sink = sinks.get(job)!;
      const bytes = sink.buffers[request.index]!.subarray(0, request.length);
      // Written first, so the hash covers only bytes that reached the file. A plain
      // blocking write: this thread has nothing else to do meanwhile, and a trip
      // through the thread pool costs two thread switches more.
      for (let done = 0; done < request.length;) {
        done += writeSync(sink.fd, bytes, done, request.length - done, sink.position + done);
      }
      sink.flush.wrote(request.length);
      sink.hasher.update(bytes);
      sink.position += request.length;
      reply({ job, type: 'written', bytes: sink.position, index: request.index });
      return;
    }
    case 'sink-close': {
      const sink = sinks.get(job);
      sinks.delete(job);
      if (!sink) return reply({ job, type: 'closed' });
      try {
        await sink.flush.settle();
        closeSync(sink.fd);
      } catch (error) {
        sink.hasher.dispose();
        throw error;
      }
      if (request.digest) reply({ job, type: 'closed', digest: sink.hasher.digest() });
      else {
        sink.hasher.dispose();
        reply({ job, type: 'closed' });
      }
      return;
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'abort') {
    aborts.get(request.job)?.abort();
    return;
  }
  const { job } = request;
  const next = (chains.get(job) ?? Promise.resolve()).then(async () => {
    // A failed sink ignores what was already on its way, until its close.
    if (failed.has(job)) {
      if (request.op === 'sink-close') failed.delete(job);
      return;
    }
    try {
      await handle(request);
    } catch (error) {
      const sink = sinks.get(job);
      if (sink) {
        sinks.delete(job);
        sink.hasher.dispose();
        await sink.flush.settle();
        try {
          closeSync(sink.fd);
        } catch {
          // Already failing: the first error is the one reported.
        }
      }
      if (request.op === 'sink-open' || request.op === 'sink-write') failed.add(job);
      fail(job, error);
    }
  });
  chains.set(job, next);
  void next.then(() => {
    if (chains.get(job) === next) chains.delete(job);
  });
});
