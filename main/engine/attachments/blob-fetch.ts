// Fetching the rest of a blob into a part file: one signed GET with a Range, checked,
// its body put into the part writer's buffers (part-writer.ts). Two ways, the same
// outcomes: a large range (DIRECT_MIN_BYTES or more) is read from its own socket
// straight into those buffers (direct-get.ts); a small one goes through node:http and
// its kept-alive connections, and is copied.
//
// This runs on the attachment worker (crypto-worker.ts): the request is signed on the
// engine's thread (BlobClient.rangeRequest) and everything after it happens on the
// worker, so that what the socket allocates is allocated and collected in the worker's
// small heap. Received on the engine's thread, each 64 KiB piece counted against the
// engine's larger heap, and the collector ran a full mark-compact every few dozen MiB,
// on both cores (docs/benchmarks.md, ninth session). Without a worker it runs on the
// engine's thread, same bytes and same outcomes.
//
// What comes back is an outcome, not an exception, so that it crosses the thread
// boundary as plain data: the engine turns it into the relay's error
// (crypto-thread.ts, `fetchResult`). Only a body that cannot be this file throws
// (ATTACHMENT_CORRUPT), and so does a failed write of the part.
import http from 'node:http';
import https from 'node:https';
import {
  type HeadVerdict,
  MAX_REFUSAL_BYTES,
  type ResponseHead,
  fetchDirect,
} from './direct-get.js';
import { type RelayCa, caOption } from '../relay/relay-trust.js';
import { AttachmentError, corruptFile } from './errors.js';
import type { PartWriter } from './part-writer.js';

/** A signed GET of a blob's bytes from `start` to its end; plain data (crosses threads). */
export interface BlobRangeRequest {
  readonly url: string;
  /** Signed headers, the Range included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly start: number;
  /** The blob's length according to the message that described it. */
  readonly total: number;
  /** A request that neither sends nor receives a byte for this long is cut. */
  readonly idleTimeoutMs: number;
  /** Authorities trusted for the relay's TLS besides Node's roots (relay-trust.ts). */
  readonly relayCa?: RelayCa;
}

export type FetchOutcome =
  /** The body ended; the writer holds what arrived. */
  | { readonly kind: 'ended' }
  /** The connection failed or was cut (what arrived is in the writer). */
  | { readonly kind: 'cut'; readonly reason: string }
  /** The relay refused: its status, headers and (small) error body. */
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Uint8Array;
    }
  /** The relay's answer is not the range asked for. */
  | { readonly kind: 'bad-reply'; readonly message: string };

let httpAgent: http.Agent | undefined;
/** One per list of extra authorities (a process has one); the key '' for Node's roots. */
const httpsAgents = new Map<string, https.Agent>();

/** Keep-alive connections of this thread, reused by its downloads. */
function agentFor(secure: boolean, relayCa: RelayCa | undefined): http.Agent {
  if (!secure) return (httpAgent ??= new http.Agent({ keepAlive: true }));
  const ca = caOption(relayCa);
  const key = ca ? ca.join('') : '';
  let agent = httpsAgents.get(key);
  if (!agent) {
    agent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
    httpsAgents.set(key, agent);
  }
  return agent;
}

/**
 * From this many bytes to fetch, the body is read straight into the part's buffers over
 * a connection of its own (direct-get.ts); below, a kept-alive connection is reused,
 * which saves a small file its handshake on a slow link.
 */
export const DIRECT_MIN_BYTES = 4 * 1024 * 1024;

/** Fetches the range and appends its body to `writer` (positioned at `request.start`). */
export async function fetchRange(
  request: BlobRangeRequest,
  writer: PartWriter,
  signal?: AbortSignal,
): Promise<FetchOutcome> {
  if (request.total - request.start >= DIRECT_MIN_BYTES) {
    return fetchDirect(request, writer, (head) => judgeHead(head, request), signal);
  }
  let response: http.IncomingMessage;
  try {
    response = await get(request, signal);
  } catch (error) {
    return { kind: 'cut', reason: (error as Error).message };
  }
  const head: ResponseHead = { status: response.statusCode ?? 0, headers: flatHeaders(response) };
  let verdict: HeadVerdict;
  try {
    verdict = judgeHead(head, request);
  } catch (error) {
    response.destroy();
    throw error;
  }
  if (verdict === 'refusal') {
    return { kind: 'refused', ...head, body: await errorBody(response) };
  }
  if (verdict !== 'body') {
    response.destroy();
    return verdict;
  }
  return copyBody(response, writer, request.start, request.total);
}

/**
 * What a response's head says, the same on both paths: a refusal (not 2xx), not the
 * range asked for, or the range of a file of another length than described (throws:
 * the blob cannot be this file).
 */
export function judgeHead(head: ResponseHead, request: BlobRangeRequest): HeadVerdict {
  if (head.status < 200 || head.status >= 300) return 'refusal';
  const range = checkRange(head, request.start);
  if (typeof range === 'string') return { kind: 'bad-reply', message: range };
  if (range.total !== request.total) {
    throw corruptFile(
      `The file on the relay has ${range.total} bytes; its description says ${request.total}.`,
    );
  }
  return 'body';
}

/** node:http's headers as single strings (repeated ones joined, as direct-get.ts does). */
function flatHeaders(response: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function get(request: BlobRangeRequest, signal?: AbortSignal): Promise<http.IncomingMessage> {
  const secure = request.url.startsWith('https:');
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('stopped'));
    const outgoing = (secure ? https : http).request(request.url, {
      method: 'GET',
      headers: request.headers,
      agent: agentFor(secure, request.relayCa),
    });
    const onAbort = () => outgoing.destroy(new Error('stopped'));
    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.once('close', () => signal?.removeEventListener('abort', onAbort));
    // Cuts a silent connection, before the answer and while the body arrives.
    outgoing.setTimeout(request.idleTimeoutMs, () =>
      outgoing.destroy(new Error(`no progress for ${request.idleTimeoutMs} ms`)),
    );
    // Kept for the request's life: an error after the answer (a cut body) settles
    // nothing here, the body's reader sees it.
    outgoing.on('error', reject);
    outgoing.once('response', resolve);
    outgoing.end();
  });
}

/** The blob's length a 2xx answer gives, or why it is not the range asked for. */
function checkRange(head: ResponseHead, start: number): { total: number } | string {
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(head.headers['content-range'] ?? '');
  const length = head.headers['content-length'];
  if (head.status !== 206 || !range || Number(range[1]) !== start || !length) {
    return 'The relay did not answer with the requested range of the blob.';
  }
  const total = Number(range[3]);
  if (Number(range[2]) !== total - 1 || Number(length) !== total - start) {
    return 'The relay sent an inconsistent range.';
  }
  return { total };
}

/**
 * Copies the body into the writer's buffers, a full buffer at a time. A cut keeps what
 * arrived (the next attempt resumes from there); a failed write of the part throws.
 */
async function copyBody(
  body: http.IncomingMessage,
  writer: PartWriter,
  start: number,
  end: number,
): Promise<FetchOutcome> {
  let buffer: Buffer | undefined;
  let filled = 0;
  let total = start;
  try {
    buffer = await writer.take();
    let reading = true;
    try {
      for await (const piece of body as AsyncIterable<Buffer>) {
        if (total + piece.length > end)
          throw corruptFile('The relay sent more bytes than the file has.');
        total += piece.length;
        for (let used = 0; used < piece.length;) {
          const take = Math.min(piece.length - used, buffer.length - filled);
          piece.copy(buffer, filled, used, used + take);
          filled += take;
          used += take;
          if (filled === buffer.length) {
            reading = false;
            await writer.put(buffer, filled);
            filled = 0;
            buffer = undefined; // the writer's now, whatever take() does
            buffer = await writer.take();
            reading = true;
          }
        }
      }
    } catch (error) {
      if (error instanceof AttachmentError || !reading) throw error;
      return { kind: 'cut', reason: (error as Error).message };
    }
    return { kind: 'ended' };
  } catch (error) {
    buffer = undefined; // refused or not writable: nothing more goes to the part
    throw error;
  } finally {
    body.destroy();
    // What arrived is kept, whether the body ended or was cut, and is in the part
    // file before the outcome is told.
    if (buffer) await writer.put(buffer, filled);
    await writer.drain();
  }
}

async function errorBody(response: http.IncomingMessage): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const piece of response as AsyncIterable<Buffer>) {
      size += piece.length;
      if (size > MAX_REFUSAL_BYTES) break;
      parts.push(piece);
    }
  } catch {
    // Cut while reading the refusal: what arrived is enough for its code, or not.
  } finally {
    response.destroy();
  }
  return new Uint8Array(Buffer.concat(parts));
}
