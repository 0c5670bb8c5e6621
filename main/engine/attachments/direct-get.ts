// A large blob range read from the socket straight into the part writer's buffers.
//
// Through node:http, each read of the socket is a new buffer of up to 64 KiB that the
// response stream hands over and the fetch copies into the writer's batch: 4,096
// buffers for 256 MiB, all living until the collector runs (40-55 MB of the worker's
// external memory at the peak, ninth session), and the stream's work for each of them. Here the
// socket reads into the batch itself (the `onread` option of net and tls), the response
// is parsed by http-parser-js (which hands the body over as views of the bytes it was
// given, so a read that went into the batch stays there), and only the bytes that
// share a read with the response's head, or that TLS decrypted while the socket was
// paused, are copied. Against node:http, the bench's
// 256 MiB receive went from 143 to 164 MiB/s and its peak memory from 93 to 81 MB
// (medians of 10 alternated runs each; less once the build VM had slowed down:
// docs/benchmarks.md, tenth session).
//
// One connection per download, closed at its end: a large file pays for one handshake.
// Small downloads keep sharing node:http's kept-alive connections (blob-fetch.ts).
//
// Outcomes are blob-fetch.ts's, with the same meaning on both paths: a cut keeps what
// arrived (in the part file when this returns), a refusal comes with its small body,
// a body that cannot be this file throws (the head's verdict, `judge`), and so does a
// failed write of the part.
import net from 'node:net';
import tls from 'node:tls';
import { HTTPParser } from 'http-parser-js';
import { caOption } from '../relay/relay-trust.js';
import type { BlobRangeRequest, FetchOutcome } from './blob-fetch.js';
import type { PartWriter } from './part-writer.js';

/** The status and headers of a response (lower-case names, repeated ones joined). */
export interface ResponseHead {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What the head of a response says to do: read its body into the part, read it as a
 * refusal, or stop.
 */
export type HeadVerdict = 'body' | 'refusal' | FetchOutcome;

/** Error replies are small JSON; anything larger is cut there (on both paths). */
export const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * Where the socket reads while no batch is being filled: the head, a refusal's body,
 * and what arrives while paused for a free batch (carried).
 */
const SCRATCH_BYTES = 64 * 1024;

/** Headers a request line can carry: no line breaks (they would start a new header). */
const SAFE_HEADER = /^[^\r\n]*$/;

/** What the fetch needs of the part writer (a test can hold its batches back). */
export type BatchWriter = Pick<PartWriter, 'take' | 'takeFree' | 'put' | 'drain'>;

export function fetchDirect(
  request: BlobRangeRequest,
  writer: BatchWriter,
  judge: (head: ResponseHead) => HeadVerdict,
  signal?: AbortSignal,
): Promise<FetchOutcome> {
  return new DirectGet(request, writer, judge).run(signal);
}

class DirectGet {
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE);
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private mode: 'head' | 'body' | 'refusal' = 'head';
  private head: ResponseHead | undefined;
  /** The writer's batch being filled, or none while waiting for a free one. */
  private batch: Buffer | undefined;
  private filled = 0;
  /**
   * Body bytes that arrived while no batch was free: TLS hands over everything it has
   * decrypted, a pause notwithstanding (a plain socket stops at once). They go first
   * into the next batch.
   */
  private readonly carried: Buffer[] = [];
  /** Waiting for the writer to free a batch (the socket is paused). */
  private waiting = false;
  /** The body ended or was cut while bytes were carried: told once they are in the part. */
  private ending: FetchOutcome | undefined;
  private readonly refusal: Buffer[] = [];
  private refusalBytes = 0;
  private socket: net.Socket | undefined;
  private settled = false;
  private resolve!: (outcome: FetchOutcome) => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly request: BlobRangeRequest,
    private readonly writer: BatchWriter,
    private readonly judge: (head: ResponseHead) => HeadVerdict,
  ) {
    this.parser[HTTPParser.kOnHeadersComplete] = (info) => {
      this.onHead(info.statusCode, info.headers);
    };
    this.parser[HTTPParser.kOnBody] = (chunk) => this.onBody(chunk);
    this.parser[HTTPParser.kOnMessageComplete] = () => this.onComplete();
  }

  async run(signal?: AbortSignal): Promise<FetchOutcome> {
    if (signal?.aborted) return { kind: 'cut', reason: 'stopped' };
    const done = new Promise<FetchOutcome>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Listened to from here: an abort while waiting for a first batch stops it too.
    const onAbort = () => this.cut('stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
    let failed = false;
    try {
      this.batch = await this.writer.take();
      if (!this.settled) this.connect();
      return await done;
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.socket?.destroy();
      // What arrived is kept, whether the body ended or was cut, and is in the part
      // file before the outcome is told; after a body refused as corrupt or a failed
      // write nothing more goes to the part.
      const batch = this.batch;
      this.batch = undefined;
      if (batch && !failed) await this.writer.put(batch, this.filled);
      await this.writer.drain();
    }
  }

  private connect(): void {
    const url = new URL(this.request.url);
    const text = this.requestText(url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const onread = {
      buffer: () =>
        this.mode === 'body' && this.batch && this.carried.length === 0
          ? this.batch.subarray(this.filled)
          : this.scratch,
      callback: (bytes: number, buffer: Uint8Array) => this.onRead(bytes, buffer),
    };
    // tls.connect takes `onread` too (Node 15.1 and later, documented), though
    // @types/node does not list it.
    const ca = caOption(this.request.relayCa);
    const tlsOptions: tls.ConnectionOptions & { onread: net.OnReadOpts } = {
      host,
      port,
      servername: net.isIP(host) ? undefined : host,
      onread,
      ...(ca ? { ca } : {}),
    };
    const socket = secure ? tls.connect(tlsOptions) : net.connect({ host, port, onread });
    this.socket = socket;
    // Cuts a silent connection, before the answer and while the body arrives.
    socket.setTimeout(this.request.idleTimeoutMs, () =>
      this.cut(`no progress for ${this.request.idleTimeoutMs} ms`),
    );
    socket.on('error', (error) => this.cut(error.message));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.write(text);
  }

  private requestText(url: URL): string {
    let text = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n`;
    for (const [name, value] of Object.entries(this.request.headers)) {
      if (!SAFE_HEADER.test(name) || !SAFE_HEADER.test(value)) {
        throw new Error(`The request header ${JSON.stringify(name)} holds a line break.`);
      }
      text += `${name}: ${value}\r\n`;
    }
    return `${text}\r\n`;
  }

  /** A read landed in `buffer`; false pauses the socket. */
  private onRead(bytes: number, buffer: Uint8Array): boolean {
    if (this.settled || this.ending) return false;
    try {
      const parsed = this.parser.execute(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
      if (parsed instanceof Error && !this.settled) {
        this.finish({
          kind: 'bad-reply',
          message: `The relay's answer is not valid HTTP (${parsed.message}).`,
        });
      }
    } catch (error) {
      this.fail(error as Error);
    }
    if (this.settled) return false;
    if (this.mode === 'body' && !this.batch) {
      if (!this.waiting) this.waitForBatch();
      return false;
    }
    return true;
  }

  private onHead(status: number, raw: string[]): void {
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      headers[name] = name in headers ? `${headers[name]}, ${raw[i + 1]}` : raw[i + 1]!;
    }
    this.head = { status, headers };
    const verdict = this.judge(this.head);
    if (verdict === 'body' || verdict === 'refusal') this.mode = verdict;
    else this.finish(verdict);
  }

  private onBody(chunk: Buffer): void {
    if (this.settled) return;
    if (this.mode === 'refusal') {
      const room = MAX_REFUSAL_BYTES - this.refusalBytes;
      this.refusal.push(Buffer.from(chunk.subarray(0, room)));
      this.refusalBytes += Math.min(room, chunk.length);
      if (this.refusalBytes >= MAX_REFUSAL_BYTES) this.onComplete();
      return;
    }
    // No more than the file's rest: the parser stops at the Content-Length, which the
    // head's verdict found equal to it.
    const batch = this.batch;
    if (
      batch &&
      this.carried.length === 0 &&
      chunk.buffer === batch.buffer &&
      chunk.byteOffset === batch.byteOffset + this.filled
    ) {
      // Read into the batch where it belongs: nothing to copy.
      this.filled += chunk.length;
      if (this.filled === batch.length) this.putBatch();
      return;
    }
    this.copyIn(chunk);
  }

  /**
   * Copies body bytes read elsewhere (with the head, into the scratch buffer) into the
   * batches; what finds no batch free is carried, in order.
   */
  private copyIn(chunk: Buffer): void {
    for (let used = 0; used < chunk.length;) {
      const batch = this.batch;
      if (!batch || this.carried.length > 0) {
        this.carried.push(Buffer.from(chunk.subarray(used)));
        return;
      }
      const take = Math.min(chunk.length - used, batch.length - this.filled);
      chunk.copy(batch, this.filled, used, used + take);
      this.filled += take;
      used += take;
      if (this.filled === batch.length) this.putBatch();
    }
  }

  /**
   * Hands the full batch to the writer (hashed now, written in turn) and takes a free
   * one if there is.
   */
  private putBatch(): void {
    const full = this.batch!;
    this.batch = undefined;
    const length = this.filled;
    this.filled = 0;
    this.writer.put(full, length).catch((error: Error) => this.fail(error));
    this.batch = this.writer.takeFree();
  }

  /** Paused until the writer frees a batch; the bytes carried meanwhile go in first. */
  private waitForBatch(): void {
    this.waiting = true;
    this.writer.take().then(
      (batch) => {
        this.waiting = false;
        if (this.settled) {
          this.writer.put(batch, 0).catch(() => undefined); // handed back; nothing to add
          return;
        }
        this.batch = batch;
        for (const piece of this.carried.splice(0)) this.copyIn(piece);
        if (!this.batch) this.waitForBatch();
        else if (this.ending) this.finish(this.ending);
        else this.socket?.resume();
      },
      (error: Error) => this.fail(error),
    );
  }

  private onComplete(): void {
    if (this.settled) return;
    if (this.mode === 'refusal') {
      const head = this.head!;
      this.finish({
        kind: 'refused',
        status: head.status,
        headers: head.headers,
        body: new Uint8Array(Buffer.concat(this.refusal)),
      });
    } else {
      this.settle({ kind: 'ended' });
    }
  }

  /** The peer ended its side: before the whole answer, that is a cut. */
  private onEnd(): void {
    if (this.settled || this.ending) return;
    // An answer without a length ends with the connection (a refusal may).
    this.parser.finish();
    this.cut('the connection closed before the end of the answer');
  }

  private cut(reason: string): void {
    this.settle({ kind: 'cut', reason });
  }

  /** Tells the outcome once no body byte is left outside the part's batches. */
  private settle(outcome: FetchOutcome): void {
    if (this.settled || this.ending) return;
    if (this.carried.length === 0) return this.finish(outcome);
    this.ending = outcome;
    this.socket?.destroy();
  }

  private finish(outcome: FetchOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.socket?.destroy();
    this.resolve(outcome);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.socket?.destroy();
    this.reject(error);
  }
}
