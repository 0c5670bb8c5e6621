import { createCipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b, randomBytes, ready } from '../../../shared/crypto/index.js';
import { DIRECT_MIN_BYTES, type BlobRangeRequest } from './blob-fetch.js';
import { CryptoThread } from './crypto-thread.js';
import { isAttachmentError } from './errors.js';
import { encryptFile } from './file-crypto.js';
import { ciphertextSize } from './secretstream.js';

const CHUNK = 64 * 1024;

/** Deterministic test bytes (AES-CTR keystream), fast for megabytes. */
function testBytes(length: number, seed = 1): Buffer {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

/**
 * A real HTTP server on loopback answering range requests the way the relay's blob
 * route does (206, Content-Range), and the ways it could go wrong: /pieces sends the
 * range in uneven pieces, /refuse a JSON refusal, /whole a 200 with the whole file,
 * /cut half the range then a reset, /stall half the range then silence.
 */
class RangeServer {
  private readonly bodies = new Map<string, Buffer>();
  private next = 0;
  private markStalled = () => undefined as void;

  private constructor(private readonly server: http.Server) {}

  /** Resolves when the next /stall answer has sent its half. */
  nextStall(): Promise<void> {
    return new Promise((resolve) => (this.markStalled = resolve));
  }

  static async start(): Promise<RangeServer> {
    const server = http.createServer();
    const self = new RangeServer(server);
    server.on('request', (request, response) => self.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  /** A request for `data` (the whole blob) from `start`, by the given route. */
  request(route: string, data: Buffer, start: number): BlobRangeRequest {
    const key = String(this.next++);
    this.bodies.set(key, data);
    const { port } = this.server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}${route}?blob=${key}`,
      headers: { range: `bytes=${start}-` },
      start,
      total: data.length,
      idleTimeoutMs: 10_000,
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url!, 'http://x');
    const data = this.bodies.get(url.searchParams.get('blob')!)!;
    const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')![1]);
    const range = data.subarray(start);
    if (url.pathname === '/refuse') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'BLOB_NOT_FOUND', message: 'There is no such blob.' }));
      return;
    }
    if (url.pathname === '/whole') {
      response.writeHead(200, { 'content-length': data.length });
      response.end(data);
      return;
    }
    response.writeHead(206, {
      'content-length': range.length,
      'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
    });
    if (url.pathname === '/cut' || url.pathname === '/stall') {
      response.write(range.subarray(0, range.length / 2), () => {
        if (url.pathname === '/cut') setTimeout(() => response.socket?.destroy(), 20);
        else this.markStalled();
      });
      return;
    }
    const sizes = [1, 17, 65_536, 1_048_576, 3];
    let at = 0;
    for (let i = 0; at < range.length; i++) {
      const size = sizes[i % sizes.length]!;
      response.write(range.subarray(at, at + size));
      at += size;
    }
    response.end();
  }
}

const never = () => new AbortController().signal;

/** Range sizes for each way a download reads: node:http's kept-alive connections, or direct. */
const MiB = 1024 * 1024;
const paths = [
  ['kept-alive', 3 * MiB],
  ['direct', DIRECT_MIN_BYTES + 2 * MiB],
] as const;

let server: RangeServer;
beforeAll(async () => {
  server = await RangeServer.start();
});
afterAll(async () => {
  await server.close();
});

const modes = [
  ['on the worker thread', () => new CryptoThread(), true],
  ['on the calling thread', () => new CryptoThread({ worker: false }), false],
] as const;

describe.each(modes)('attachment crypto %s', (_name, make, expectWorker) => {
  let dir: string;
  let thread: CryptoThread;
  beforeAll(async () => {
    await ready();
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-crypto-thread-'));
    thread = make();
  });
  afterAll(async () => {
    await thread.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs where it says', async () => {
    expect(await thread.usesWorker()).toBe(expectWorker);
  });

  it('encrypts a file to the very bytes and hash of encryptFile, reporting progress', async () => {
    const size = 5 * 1024 * 1024 + 123;
    const source = path.join(dir, 'plain.bin');
    writeFileSync(source, testBytes(size));
    const key = randomBytes(32);
    const headers: Uint8Array[] = [];
    const written: number[] = [];
    const result = await thread.encryptFile(source, path.join(dir, 'a.enc'), {
      key,
      chunkSize: CHUNK,
      size,
      onHeader: (header) => headers.push(header),
      onWritten: (bytes) => written.push(bytes),
    });
    expect(headers).toHaveLength(1);
    expect(Buffer.from(headers[0]!).equals(Buffer.from(result.header))).toBe(true);
    expect(result.cipherSize).toBe(ciphertextSize(size, CHUNK));
    expect(written.at(-1)).toBe(result.cipherSize);
    expect(written).toEqual([...written].sort((a, b) => a - b));

    // The same key and header on this thread give the same bytes.
    const reference = await encryptFile(source, path.join(dir, 'b.enc'), {
      key,
      header: result.header,
      chunkSize: CHUNK,
      size,
    });
    const a = readFileSync(path.join(dir, 'a.enc'));
    expect(a.equals(readFileSync(path.join(dir, 'b.enc')))).toBe(true);
    expect(Buffer.from(result.hash).equals(Buffer.from(reference.hash))).toBe(true);
    expect(Buffer.from(blake2b(a)).equals(Buffer.from(result.hash))).toBe(true);
  });

  it('reports a source of the wrong size with its code, and stops when aborted', async () => {
    const source = path.join(dir, 'short.bin');
    writeFileSync(source, testBytes(1000));
    const wrong = thread.encryptFile(source, path.join(dir, 'c.enc'), {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 2000,
    });
    await expect(wrong).rejects.toSatisfy((e) => isAttachmentError(e, 'ATTACHMENT_SOURCE_CHANGED'));

    const big = path.join(dir, 'big.bin');
    writeFileSync(big, testBytes(32 * 1024 * 1024, 2));
    const abort = new AbortController();
    const stopped = thread.encryptFile(big, path.join(dir, 'd.enc'), {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 32 * 1024 * 1024,
      signal: abort.signal,
      onWritten: () => abort.abort(),
    });
    await expect(stopped).rejects.toSatisfy((e) => isAttachmentError(e, 'ATTACHMENT_STOPPED'));
  });

  it.each(paths)(
    'fetches a range (%s) into a sink in any pieces and hashes the whole file, prefix included',
    async (way, size) => {
      const prefix = 1_000_003;
      const data = testBytes(prefix + size + 7, 3);
      const part = path.join(dir, `download-${way}.part`);
      writeFileSync(part, data.subarray(0, prefix));
      const grew: number[] = [];
      const sink = await thread.openSink(part, prefix, (bytes) => grew.push(bytes));
      const position = await sink.fetch(server.request('/pieces', data, prefix), never());
      expect(position).toBe(data.length);
      const digest = await sink.finish();
      await sink.close(); // harmless after finish
      expect(sink.written).toBe(data.length);
      expect(grew.at(-1)).toBe(data.length);
      expect(grew).toEqual([...grew].sort((a, b) => a - b));
      expect(readFileSync(part).equals(data)).toBe(true);
      expect(Buffer.from(digest).equals(Buffer.from(blake2b(data)))).toBe(true);
    },
  );

  it.each(paths)(
    "turns refusals, wrong answers and cuts (%s) into the relay's errors, keeping what arrived",
    async (way, size) => {
      const data = testBytes(size, 5);
      const fetchInto = async (route: string, total = data.length) => {
        const sink = await thread.openSink(path.join(dir, `${route.slice(1)}-${way}.part`), 0);
        try {
          return await sink
            .fetch({ ...server.request(route, data, 0), total }, never())
            .then((position) => ({ position, written: sink.written }));
        } finally {
          await sink.close();
        }
      };
      await expect(fetchInto('/refuse')).rejects.toMatchObject({
        code: 'BLOB_NOT_FOUND',
        status: 404,
        message: 'There is no such blob.',
      });
      await expect(fetchInto('/whole')).rejects.toMatchObject({ code: 'BAD_REPLY' });
      await expect(fetchInto('/pieces', data.length + 1)).rejects.toSatisfy((e) =>
        isAttachmentError(e, 'ATTACHMENT_CORRUPT'),
      );
      await expect(fetchInto('/cut')).rejects.toMatchObject({ code: 'RELAY_UNREACHABLE' });
      // The half that arrived before the cut is in the part, for the next attempt.
      const kept = readFileSync(path.join(dir, `cut-${way}.part`));
      expect(kept.length).toBe(data.length / 2);
      expect(kept.equals(data.subarray(0, kept.length))).toBe(true);
    },
  );

  it.each(paths)('stops a fetch (%s) when aborted, keeping what arrived', async (way, size) => {
    const data = testBytes(size, 6);
    const part = path.join(dir, `stalled-${way}.part`);
    const sink = await thread.openSink(part, 0);
    const abort = new AbortController();
    // /stall sends half the range, then nothing: only the abort ends the fetch.
    const stalled = server.nextStall();
    const fetching = sink.fetch(server.request('/stall', data, 0), abort.signal);
    await stalled;
    abort.abort();
    await expect(fetching).rejects.toMatchObject({ code: 'RELAY_UNREACHABLE' });
    await sink.close();
    // What had arrived when it stopped (up to the half sent) is in the part.
    const kept = readFileSync(part);
    expect(kept.length).toBe(sink.written);
    expect(kept.length).toBeLessThanOrEqual(data.length / 2);
    expect(kept.equals(data.subarray(0, kept.length))).toBe(true);
  });

  it('fails a sink whose file cannot be written, with the reason', async () => {
    const missing = path.join(dir, 'no-such-folder', 'x.part');
    await expect(thread.openSink(missing, 0)).rejects.toThrow(/ENOENT/);
    // The system error's code survives the trip from the worker (a full disk is ENOSPC).
    await expect(thread.openSink(missing, 0)).rejects.toMatchObject({ code: 'ENOENT' });
    // The thread still serves the next job.
    const part = path.join(dir, 'after.part');
    const sink = await thread.openSink(part, 0);
    const bonjour = Buffer.from('bonjour');
    expect(await sink.fetch(server.request('/pieces', bonjour, 0), never())).toBe(7);
    const digest = await sink.finish();
    expect(readFileSync(part, 'utf8')).toBe('bonjour');
    expect(Buffer.from(digest).equals(Buffer.from(blake2b(bonjour)))).toBe(true);
  });

  it('fails the jobs of a stopped worker with a sentence, and starts a new one for the next', async () => {
    const big = path.join(dir, 'stop.bin');
    writeFileSync(big, testBytes(48 * 1024 * 1024, 4));
    const running = thread.encryptFile(big, path.join(dir, 'stop.enc'), {
      key: randomBytes(32),
      chunkSize: CHUNK,
      size: 48 * 1024 * 1024,
    });
    const outcome = running.then(
      (result) => result,
      (error: unknown) => error as Error,
    );
    const sink = await thread.openSink(path.join(dir, 'stop.part'), 0);
    await thread.stop();
    if (expectWorker) {
      expect(await outcome).toEqual(
        expect.objectContaining({ message: expect.stringMatching(/worker was stopped/) }),
      );
      await expect(
        sink.fetch(server.request('/pieces', Buffer.from('x'), 0), never()),
      ).rejects.toThrow(/worker was stopped/);
    } else {
      expect(await outcome).toMatchObject({ cipherSize: expect.any(Number) });
    }
    await sink.close();
    // The next job runs as before.
    const part = path.join(dir, 'next.part');
    const next = await thread.openSink(part, 0);
    await next.fetch(server.request('/pieces', Buffer.from('encore'), 0), never());
    expect(
      Buffer.from(await next.finish()).equals(Buffer.from(blake2b(Buffer.from('encore')))),
    ).toBe(true);
    expect(await thread.usesWorker()).toBe(expectWorker);
  });
});
