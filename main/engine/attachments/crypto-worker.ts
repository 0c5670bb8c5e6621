// The attachment worker thread (started by crypto-thread.ts). The CPU-heavy halves of
// file transfers run here, so that the engine's thread stays free for messages:
// - `encrypt`: a whole encryptFile() (secretstream and the ciphertext's hash), with
//   the header and the written length reported as it goes;
// - a download sink: the part file of a download (part-writer.ts), and the fetches of
//   the blob into it (blob-fetch.ts), the HTTP request included: the engine only signs
//   the request and hears the part's length as it grows.
// On two cores this is the difference between a transfer that waits for the crypto
// and one that runs beside it (bench/suites/attachment.ts).
//
// Messages of one job are handled strictly in order (a chain of promises per job);
// an abort is handled at once (it stops an encryption or a fetch in progress).
import { parentPort } from 'node:worker_threads';
import { ready } from '../../../shared/crypto/index.js';
import { fetchRange } from './blob-fetch.js';
import { isAttachmentError } from './errors.js';
import { encryptFile } from './file-crypto.js';
import { PartWriter } from './part-writer.js';
import type { WorkerReply, WorkerRequest } from './crypto-thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('crypto-worker.ts runs as a worker thread only.');

const chains = new Map<number, Promise<void>>();
const aborts = new Map<number, AbortController>();
const sinks = new Map<number, PartWriter>();
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
      const writer = await PartWriter.open(request.file, request.offset, (bytes) =>
        reply({ job, type: 'written', bytes }),
      );
      sinks.set(job, writer);
      reply({ job, type: 'opened' });
      return;
    }
    case 'sink-fetch': {
      const writer = sinks.get(job)!;
      // Made when the sink opened: an abort sent before this fetch began still counts.
      const outcome = await fetchRange(request.request, writer, aborts.get(job)!.signal);
      reply({ job, type: 'fetched', outcome, bytes: writer.written });
      return;
    }
    case 'sink-close': {
      const writer = sinks.get(job);
      sinks.delete(job);
      aborts.delete(job);
      if (!writer) return reply({ job, type: 'closed' });
      if (request.digest) reply({ job, type: 'closed', digest: await writer.finish() });
      else {
        await writer.close();
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
  if (request.op === 'sink-open') aborts.set(job, new AbortController());
  const next = (chains.get(job) ?? Promise.resolve()).then(async () => {
    // A failed sink ignores what was already on its way, until its close.
    if (failed.has(job)) {
      if (request.op === 'sink-close') {
        failed.delete(job);
        aborts.delete(job);
      }
      return;
    }
    try {
      await handle(request);
    } catch (error) {
      const writer = sinks.get(job);
      if (writer) {
        sinks.delete(job);
        // Already failing: the first error is the one reported.
        await writer.close().catch(() => undefined);
      }
      // A sink that failed to open hears nothing more; one that failed later ignores
      // what follows until its close.
      if (request.op === 'sink-open') aborts.delete(job);
      if (request.op === 'sink-fetch') failed.add(job);
      fail(job, error);
    }
  });
  chains.set(job, next);
  void next.then(() => {
    if (chains.get(job) === next) chains.delete(job);
  });
});
