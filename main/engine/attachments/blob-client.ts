// The engine's client for the relay's blob routes (docs/relay.md, "HTTP"):
//   POST /v1/blobs (Upload-Length) → HEAD (Upload-Offset) → PATCH at an offset, streamed
//   → POST …/finalise (BLAKE2b-256) → GET with Range → DELETE.
// Every request is signed like relay-http.ts does (signHttpRequest); the body of a
// PATCH is not covered by the signature (the relay checks the bytes at finalisation).
// Bodies stream through node:http in both directions, so a blob never sits whole in
// memory. Failures come back as RelayRequestError with the relay's code; a request
// that makes no progress for `idleTimeoutMs` is cut and reported as unreachable.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import {
  BlobFinaliseSchema,
  BlobInfoSchema,
  type DeviceCredentials,
  decodeStrict,
  encode,
  isValidBlobId,
  signHttpRequest,
} from '../../../shared/wire/index.js';
import { RelayRequestError } from '../relay/relay-http.js';
import { type RelayCa, caOption } from '../relay/relay-trust.js';
import type { BlobRangeRequest } from './blob-fetch.js';
import { isRecyclingBody } from './file-tail.js';

const PROTOBUF = 'application/x-protobuf';
export const BLOB_UPLOAD_TYPE = 'application/offset+octet-stream';
/** Replies other than blob bytes are small: protobuf BlobInfo or a JSON error. */
const MAX_SMALL_REPLY = 64 * 1024;

export interface BlobClientOptions {
  /** Connection pool; a keep-alive agent of this client by default. */
  readonly agent?: http.Agent;
  /** A request that neither sends nor receives a byte for this long is cut. */
  readonly idleTimeoutMs?: number;
  /** Authorities trusted for the relay's TLS besides Node's roots (relay-trust.ts). */
  readonly relayCa?: RelayCa;
}

export interface BlobStatus {
  /** Bytes the relay holds. */
  readonly offset: number;
  /** The length declared at creation. */
  readonly length: number;
  readonly final: boolean;
}

/** Relay codes that retrying the same request cannot fix. */
const PERMANENT_CODES = new Set([
  'BLOB_TOO_LARGE',
  'BLOB_QUOTA_EXCEEDED',
  'BLOB_NOT_FOUND',
  'BLOB_HASH_MISMATCH',
  'BLOB_ALREADY_FINALISED',
  'RANGE_NOT_SATISFIABLE',
  'DEVICE_REVOKED',
  'USER_REVOKED',
  'HTTP_AUTH_FAILED',
  'HTTP_AUTH_MISSING',
  'BAD_REQUEST',
  'NOT_FOUND',
  'LOCAL_READ_FAILED',
]);

/**
 * Whether a failed blob request is worth trying again later: a cut connection, an
 * unreachable or overloaded relay, a blob still busy with a previous upload.
 * (RelayRequestError.retryable counts every 5xx, but 507 is the quota: permanent.)
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof RelayRequestError)) return false;
  if (PERMANENT_CODES.has(error.code)) return false;
  return (
    error.status === 0 ||
    error.status >= 500 ||
    error.code === 'RATE_LIMITED' ||
    error.code === 'BLOB_BUSY' ||
    error.code === 'HTTP_AUTH_STALE' ||
    error.code === 'HTTP_AUTH_REPLAY'
  );
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly response: http.IncomingMessage;
}

export class BlobClient {
  private readonly agent: http.Agent;
  private readonly idleTimeoutMs: number;
  private readonly transport: typeof http | typeof https;
  private readonly relayCa: RelayCa | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: DeviceCredentials,
    options: BlobClientOptions = {},
  ) {
    const secure = new URL(baseUrl).protocol === 'https:';
    this.transport = secure ? https : http;
    this.relayCa = options.relayCa;
    const ca = caOption(options.relayCa);
    this.agent =
      options.agent ??
      (secure
        ? new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) })
        : new http.Agent({ keepAlive: true }));
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  /** Closes idle pooled connections (in-flight requests are not affected). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Declares a blob of `length` bytes. The relay checks its size limit and the
   * account's quota here, before a byte is sent (BLOB_TOO_LARGE, BLOB_QUOTA_EXCEEDED).
   */
  async create(length: number): Promise<string> {
    const reply = await this.send('POST', '/v1/blobs', {
      headers: { 'upload-length': String(length) },
    });
    const info = decodeStrict(BlobInfoSchema, await readSmall(reply), MAX_SMALL_REPLY);
    if (!isValidBlobId(info.blobId) || Number(info.length) !== length) {
      throw new RelayRequestError('BAD_REPLY', 'The relay answered with an invalid blob.', 502);
    }
    return info.blobId;
  }

  /** How many bytes of an upload the relay holds (owner only). */
  async status(blobId: string): Promise<BlobStatus> {
    const reply = await this.send('HEAD', blobPath(blobId));
    reply.response.resume();
    const offset = headerNumber(reply.headers['upload-offset']);
    const length = headerNumber(reply.headers['upload-length']);
    if (offset === undefined || length === undefined || offset > length) {
      throw new RelayRequestError('BAD_REPLY', 'The relay did not say its upload offset.', 502);
    }
    return { offset, length, final: reply.headers['x-comgov-blob-state'] === 'final' };
  }

  /**
   * Appends `length` bytes read from `body` at `offset`; resolves with the relay's new
   * offset. If the connection is cut, the relay keeps what reached its disk: ask
   * `status()` and append again from there.
   */
  async append(
    blobId: string,
    offset: number,
    body: Readable,
    length: number,
    signal?: AbortSignal,
  ): Promise<number> {
    const reply = await this.send('PATCH', blobPath(blobId), {
      headers: {
        'content-type': BLOB_UPLOAD_TYPE,
        'upload-offset': String(offset),
        'content-length': String(length),
      },
      body,
      signal,
    });
    reply.response.resume();
    const next = headerNumber(reply.headers['upload-offset']);
    if (next === undefined) {
      throw new RelayRequestError('BAD_REPLY', 'The relay did not say its upload offset.', 502);
    }
    return next;
  }

  /**
   * An empty append at `offset`: checks, without sending a byte, that no earlier
   * upload to this blob is still being received (BLOB_BUSY) and that the offset is
   * the relay's (BLOB_OFFSET_MISMATCH). The relay refuses a PATCH before reading its
   * body, so after a cut this keeps a whole body from being sent only to be dropped.
   */
  async probe(blobId: string, offset: number): Promise<number> {
    const reply = await this.send('PATCH', blobPath(blobId), {
      headers: {
        'content-type': BLOB_UPLOAD_TYPE,
        'upload-offset': String(offset),
        'content-length': '0',
      },
    });
    reply.response.resume();
    const next = headerNumber(reply.headers['upload-offset']);
    if (next === undefined) {
      throw new RelayRequestError('BAD_REPLY', 'The relay did not say its upload offset.', 502);
    }
    return next;
  }

  /**
   * Whether the relay still serves this blob, to any enrolled device: one byte of it is
   * asked for. False when it is gone (past its TTL, deleted) or was never completed (an
   * upload cut by a crash); other failures throw.
   */
  async isAvailable(blobId: string): Promise<boolean> {
    try {
      const reply = await this.send('GET', blobPath(blobId), { headers: { range: 'bytes=0-0' } });
      reply.response.resume();
      return true;
    } catch (error) {
      if (
        error instanceof RelayRequestError &&
        (error.code === 'BLOB_NOT_FOUND' || error.code === 'BLOB_NOT_FINALISED')
      ) {
        return false;
      }
      throw error;
    }
  }

  /** Completes an upload: the relay hashes what it holds and compares. */
  async finalise(blobId: string, hash: Uint8Array): Promise<void> {
    const reply = await this.send('POST', `${blobPath(blobId)}/finalise`, {
      protobuf: encode(BlobFinaliseSchema, { blake2b: hash }),
    });
    decodeStrict(BlobInfoSchema, await readSmall(reply), MAX_SMALL_REPLY);
  }

  /**
   * A signed request for a finalised blob's bytes from `start` to its end (any
   * enrolled device), `total` being its length as described. Made here, sent by
   * fetchRange (blob-fetch.ts), on the attachment worker when there is one.
   */
  rangeRequest(blobId: string, start: number, total: number): BlobRangeRequest {
    const path = blobPath(blobId);
    return {
      url: new URL(path, this.baseUrl).href,
      headers: { ...signHttpRequest(this.credentials, 'GET', path), range: `bytes=${start}-` },
      start,
      total,
      idleTimeoutMs: this.idleTimeoutMs,
      ...(this.relayCa ? { relayCa: this.relayCa } : {}),
    };
  }

  async remove(blobId: string): Promise<void> {
    const reply = await this.send('DELETE', blobPath(blobId));
    reply.response.resume();
  }

  /** Sends one signed request; resolves on a 2xx answer, rejects with the relay's code otherwise. */
  private send(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      protobuf?: Uint8Array;
      body?: Readable;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {
      ...signHttpRequest(this.credentials, method, path, options.protobuf),
      ...options.headers,
    };
    if (options.protobuf) {
      headers['content-type'] = PROTOBUF;
      headers['content-length'] = String(options.protobuf.length);
    }
    const url = new URL(path, this.baseUrl);
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const fail = (error: RelayRequestError) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        options.body?.destroy();
        request.destroy();
        reject(error);
      };
      const signal = options.signal;
      const onAbort = () => {
        const error = new RelayRequestError('ABORTED', 'The transfer was stopped.', 0);
        // Once answered, the response body belongs to the caller: cut it.
        if (settled) request.destroy(error);
        else fail(error);
      };
      const request = this.transport.request(url, {
        method,
        headers,
        agent: this.agent,
      });
      request.setTimeout(this.idleTimeoutMs, () =>
        fail(
          new RelayRequestError(
            'RELAY_UNREACHABLE',
            `The relay at ${this.baseUrl} stopped answering (no progress for ${this.idleTimeoutMs} ms).`,
            0,
          ),
        ),
      );
      request.on('error', (error) =>
        fail(
          new RelayRequestError(
            'RELAY_UNREACHABLE',
            `The connection to the relay at ${this.baseUrl} failed (${error.message}).`,
            0,
          ),
        ),
      );
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          if (settled) {
            response.destroy();
            return;
          }
          settled = true;
          // The caller owns the response from here; the abort still cuts it.
          response.on('close', () => signal?.removeEventListener('abort', onAbort));
          resolve({ status, headers: response.headers, response });
          return;
        }
        // A refusal may come before the whole body was sent: stop sending.
        options.body?.destroy();
        readSmall({ status, headers: response.headers, response })
          .then((bytes) => fail(relayError(status, bytes, response.headers)))
          .catch(() =>
            fail(new RelayRequestError('INTERNAL', `The relay answered ${status}.`, status)),
          );
      });
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (options.body) {
        options.body.on('error', (error) =>
          fail(new RelayRequestError('LOCAL_READ_FAILED', (error as Error).message, 0)),
        );
        sendBody(options.body, request);
      } else {
        request.end(options.protobuf ? Buffer.from(options.protobuf) : undefined);
      }
    });
  }
}

/**
 * Writes `body` into the request with backpressure, like `pipe`, and hands each piece
 * back to a recycling body once the socket has written it (the write's callback), so
 * that an upload reads into the same few buffers from start to end.
 */
function sendBody(body: Readable, request: http.ClientRequest): void {
  const recycle = isRecyclingBody(body) ? (piece: Buffer) => body.recycle(piece) : undefined;
  body.on('data', (piece: Buffer) => {
    const written = recycle ? () => recycle(piece) : undefined;
    if (!request.write(piece, written)) body.pause();
  });
  request.on('drain', () => body.resume());
  body.on('end', () => request.end());
}

/** The relay's refusal: JSON `{ code, message }`; the current offset rides along on 409s. */
export class BlobRefusal extends RelayRequestError {
  constructor(
    code: string,
    message: string,
    status: number,
    /** Upload-Offset sent with BLOB_OFFSET_MISMATCH and BLOB_INCOMPLETE. */
    readonly offset: number | undefined,
  ) {
    super(code, message, status);
    this.name = 'BlobRefusal';
  }
}

export function relayError(
  status: number,
  bytes: Uint8Array,
  headers: http.IncomingHttpHeaders,
): RelayRequestError {
  let code = 'INTERNAL';
  let message = `The relay answered ${status}.`;
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as {
      code?: unknown;
      message?: unknown;
    };
    if (typeof json.code === 'string') code = json.code;
    if (typeof json.message === 'string') message = json.message;
  } catch {
    // Not a JSON error body (a HEAD has none): keep the generic sentence.
    if (status === 404) code = 'BLOB_NOT_FOUND';
  }
  return new BlobRefusal(code, message, status, headerNumber(headers['upload-offset']));
}

async function readSmall(reply: Reply): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of reply.response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SMALL_REPLY) {
      reply.response.destroy();
      throw new RelayRequestError('BAD_REPLY', 'The relay answered with too much data.', 502);
    }
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function headerNumber(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^[0-9]{1,16}$/.test(value)) return undefined;
  return Number(value);
}

function blobPath(blobId: string): string {
  if (!isValidBlobId(blobId)) throw new RelayRequestError('BAD_REQUEST', 'Invalid blob id.', 400);
  return `/v1/blobs/${blobId}`;
}
