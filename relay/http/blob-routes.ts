// Encrypted attachments (blobs), tus-style resumable uploads:
//   POST   /v1/blobs                 Upload-Length: n        → 201, Location, BlobInfo
//   HEAD   /v1/blobs/{id}                                    → Upload-Offset, Upload-Length
//   PATCH  /v1/blobs/{id}            Upload-Offset: k, body   → 204, Upload-Offset
//   POST   /v1/blobs/{id}/finalise   BlobFinalise{blake2b}    → BlobInfo
//   GET    /v1/blobs/{id}            [Range: bytes=a-b]       → 200 / 206
//   DELETE /v1/blobs/{id}                                    → 204
// Bytes stream straight between the socket and one file per blob; the current
// offset is the file's size, so an interrupted PATCH leaves exactly what reached
// the disk and the client resumes from there. Only the uploading user may write,
// ask the offset or delete; any enrolled device may read a finalised blob (its id
// is an unguessable 128-bit capability and its content is ciphertext).
import { createReadStream } from 'node:fs';
import { open, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Blake2bHasher, randomBytes } from '../../shared/crypto/index.js';
import { bytesEqual, toHex } from '../../shared/util/bytes.js';
import { BlobFinaliseSchema, BlobInfoSchema, isValidBlobId } from '../../shared/wire/index.js';
import type { RelayContext } from '../context.js';
import { RelayError } from '../relay-error.js';
import type { BlobRecord, DeviceAddress } from '../store/store.js';
import { decodeBody, rawBody, sendProto } from './protobuf.js';
import type { Authenticate } from './server-types.js';
import { type AppendOutcome, appendBody } from './blob-append.js';
import { sendFileRange } from './blob-send.js';
import { UploadHashes } from './upload-hashes.js';

export const BLOB_UPLOAD_TYPE = 'application/offset+octet-stream';

export function blobPath(blobDir: string, blobId: string): string {
  if (!isValidBlobId(blobId)) throw new Error('invalid blob id');
  return path.join(blobDir, blobId);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

function parseLength(value: unknown, name: string): number {
  if (typeof value !== 'string' || !/^[0-9]{1,16}$/.test(value)) {
    throw new RelayError('BAD_REQUEST', `The ${name} header must be a whole number of bytes.`);
  }
  return Number(value);
}

/** Single byte range of RFC 9110 §14.1.2; undefined when absent or not understood (serve all). */
export function parseRange(
  header: string | undefined,
  length: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? length - 1 : Math.min(Number(match[2]), length - 1);
    if (match[2] !== '' && Number(match[2]) < start) return undefined;
  }
  if (start >= length) return 'unsatisfiable';
  return { start, end };
}

export function registerBlobRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const limits = ctx.config.limits;
  const busy = new Set<string>();
  const hashes = new UploadHashes();
  /** Downloads under way, by device. */
  const downloads = new Map<string, number>();

  async function ownBlob(
    request: FastifyRequest<{ Params: { id: string } }>,
    device: DeviceAddress,
  ) {
    const blob = await findBlob(request.params.id);
    if (blob.ownerUser !== device.userId) throw notFound();
    return blob;
  }

  function notFound(): RelayError {
    return new RelayError(
      'BLOB_NOT_FOUND',
      'There is no such blob (it may have expired); upload it again.',
    );
  }

  async function findBlob(id: string): Promise<BlobRecord> {
    const blob = isValidBlobId(id) ? await ctx.store.getBlob(id) : undefined;
    if (!blob || blob.expiresAt <= ctx.now()) throw notFound();
    return blob;
  }

  async function currentOffset(blob: BlobRecord): Promise<number> {
    return blob.finalisedAt !== null ? blob.length : fileSize(blobPath(ctx.blobDir, blob.blobId));
  }

  app.post('/v1/blobs', async (request, reply) => {
    const device = await authenticate(request);
    const length = parseLength(request.headers['upload-length'], 'Upload-Length');
    if (length < 1 || length > limits.blobMaxBytes) {
      throw new RelayError(
        'BLOB_TOO_LARGE',
        `A blob must be between 1 byte and ${limits.blobMaxBytes} bytes; this one is ${length}.`,
      );
    }
    const used = await ctx.store.blobUsage(device.userId);
    if (used + length > limits.blobQuotaBytes) {
      throw new RelayError(
        'BLOB_QUOTA_EXCEEDED',
        `This account's attachments would take ${used + length} bytes on the relay; the quota is ${limits.blobQuotaBytes}. Delete old uploads or wait for them to expire.`,
      );
    }
    const blobId = toHex(randomBytes(16));
    const now = ctx.now();
    await ctx.store.createBlob({
      blobId,
      ownerUser: device.userId,
      ownerDevice: device.deviceId,
      length,
      hash: null,
      createdAt: now,
      finalisedAt: null,
      expiresAt: now + limits.blobTtlMs,
      referencedAt: null,
    });
    await writeFile(blobPath(ctx.blobDir, blobId), new Uint8Array(0), { flag: 'wx', mode: 0o600 });
    reply.header('location', `/v1/blobs/${blobId}`).header('upload-offset', '0');
    return sendProto(reply, BlobInfoSchema, { blobId, length: BigInt(length) }, 201);
  });

  app.head<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply) => {
    const device = await authenticate(request);
    const blob = await ownBlob(request, device);
    return reply
      .status(200)
      .header('upload-offset', String(await currentOffset(blob)))
      .header('upload-length', String(blob.length))
      .header('x-comgov-blob-state', blob.finalisedAt !== null ? 'final' : 'uploading')
      .header('cache-control', 'no-store')
      .send();
  });

  app.patch<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply) => {
    const device = await authenticate(request);
    const blob = await ownBlob(request, device);
    if (request.headers['content-type'] !== BLOB_UPLOAD_TYPE) {
      throw new RelayError('BAD_REQUEST', `Send blob bytes as ${BLOB_UPLOAD_TYPE}.`);
    }
    if (blob.finalisedAt !== null) {
      throw new RelayError(
        'BLOB_ALREADY_FINALISED',
        'This blob is complete; it cannot be changed.',
      );
    }
    const offset = parseLength(request.headers['upload-offset'], 'Upload-Offset');
    if (busy.has(blob.blobId)) {
      throw new RelayError(
        'BLOB_BUSY',
        'Another upload to this blob is in progress; wait for it to end, ask the offset and resume.',
      );
    }
    busy.add(blob.blobId);
    const file = blobPath(ctx.blobDir, blob.blobId);
    try {
      const current = await fileSize(file);
      if (offset !== current) {
        reply.header('upload-offset', String(current));
        throw new RelayError(
          'BLOB_OFFSET_MISMATCH',
          `The relay has ${current} bytes of this blob, not ${offset}; resume from ${current}.`,
        );
      }
      const hash = hashes.resume(blob.blobId, offset);
      let outcome: AppendOutcome;
      try {
        outcome = await appendBody(
          request.raw,
          file,
          offset,
          blob.length - offset,
          hash,
          limits.blobIdleTimeoutMs,
        );
      } catch (error) {
        hashes.forget(blob.blobId);
        throw error;
      }
      if (outcome.interruption) {
        ctx.log.debug(
          { err: outcome.interruption, blobId: blob.blobId },
          'blob upload interrupted',
        );
      }
      const written = await fileSize(file);
      // The running hash is good only for exactly the bytes on disk.
      if (hash && hash.offset !== written) hashes.forget(blob.blobId);
      ctx.metrics.blobBytes.inc({ direction: 'in' }, written - offset);
      reply.header('upload-offset', String(written));
      if (outcome.overflow) {
        throw new RelayError(
          'BLOB_TOO_LARGE',
          `The upload goes past the declared length of ${blob.length} bytes; the extra bytes were dropped.`,
        );
      }
      return reply.status(204).send();
    } finally {
      busy.delete(blob.blobId);
    }
  });

  app.post<{ Params: { id: string } }>('/v1/blobs/:id/finalise', async (request, reply) => {
    const body = rawBody(request);
    const device = await authenticate(request, body);
    const { blake2b: expected } = decodeBody(BlobFinaliseSchema, body);
    if (expected.length !== 32) {
      throw new RelayError('BAD_REQUEST', 'The blob hash must be BLAKE2b-256 (32 bytes).');
    }
    const blob = await ownBlob(request, device);
    if (blob.finalisedAt !== null) {
      if (blob.hash && bytesEqual(blob.hash, expected)) {
        return sendProto(reply, BlobInfoSchema, {
          blobId: blob.blobId,
          length: BigInt(blob.length),
          blake2b: blob.hash,
        });
      }
      throw new RelayError(
        'BLOB_ALREADY_FINALISED',
        'This blob is already complete with another hash.',
      );
    }
    if (busy.has(blob.blobId)) {
      throw new RelayError(
        'BLOB_BUSY',
        'An upload to this blob is still in progress; finalise after it.',
      );
    }
    const file = blobPath(ctx.blobDir, blob.blobId);
    const size = await fileSize(file);
    if (size !== blob.length) {
      reply.header('upload-offset', String(size));
      throw new RelayError(
        'BLOB_INCOMPLETE',
        `The relay has ${size} of ${blob.length} bytes; upload the rest before finalising.`,
      );
    }
    busy.add(blob.blobId);
    try {
      const actual = hashes.finish(blob.blobId, blob.length) ?? (await hashFile(file));
      if (!bytesEqual(actual, expected)) {
        await ctx.store.deleteBlob(blob.blobId);
        await unlink(file).catch(() => undefined);
        throw new RelayError(
          'BLOB_HASH_MISMATCH',
          'The uploaded bytes do not match the hash; the upload was discarded, upload the file again.',
        );
      }
      // The bytes reach the disk before the blob is declared complete.
      const handle = await open(file, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await ctx.store.finaliseBlob(blob.blobId, actual, ctx.now());
    } finally {
      busy.delete(blob.blobId);
    }
    return sendProto(reply, BlobInfoSchema, {
      blobId: blob.blobId,
      length: BigInt(blob.length),
      blake2b: expected,
    });
  });

  app.get<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply: FastifyReply) => {
    const device = await authenticate(request);
    const blob = await findBlob(request.params.id);
    if (blob.finalisedAt === null) {
      throw new RelayError(
        'BLOB_NOT_FINALISED',
        'This blob is still being uploaded; try again later.',
      );
    }
    const range = parseRange(request.headers.range, blob.length);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${blob.length}`);
      throw new RelayError(
        'RANGE_NOT_SATISFIABLE',
        `The requested range is outside the blob (${blob.length} bytes).`,
      );
    }
    // Counted until the response ends, whether completed or cut.
    const key = `${device.userId}/${device.deviceId}`;
    const running = downloads.get(key) ?? 0;
    if (running >= limits.blobDownloadsPerDevice) {
      throw new RelayError(
        'RATE_LIMITED',
        `This device already has ${running} downloads running; try again when one has finished.`,
      );
    }
    downloads.set(key, running + 1);
    reply.raw.once('close', () => {
      const left = (downloads.get(key) ?? 1) - 1;
      if (left > 0) downloads.set(key, left);
      else downloads.delete(key);
    });
    const start = range?.start ?? 0;
    const end = range?.end ?? blob.length - 1;
    const file = await open(blobPath(ctx.blobDir, blob.blobId), 'r');
    ctx.metrics.blobBytes.inc({ direction: 'out' }, end - start + 1);
    // The body is written here, into buffers reused from start to end (blob-send.ts).
    reply.hijack();
    reply.raw.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      'content-length': String(end - start + 1),
      'x-comgov-blake2b': toHex(blob.hash!),
      'cache-control': 'no-store',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${blob.length}` } : {}),
    });
    try {
      await sendFileRange(reply.raw, file, start, end);
    } finally {
      await file.close();
    }
  });

  app.delete<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply) => {
    const device = await authenticate(request);
    const blob = await ownBlob(request, device);
    if (busy.has(blob.blobId)) {
      throw new RelayError(
        'BLOB_BUSY',
        'An upload to this blob is in progress; delete it afterwards.',
      );
    }
    hashes.forget(blob.blobId);
    await ctx.store.deleteBlob(blob.blobId);
    await unlink(blobPath(ctx.blobDir, blob.blobId)).catch(() => undefined);
    return reply.status(204).send();
  });
}

/** BLAKE2b-256 of a whole blob file, read back from disk (when no running hash covers it). */
async function hashFile(file: string): Promise<Uint8Array> {
  const hasher = new Blake2bHasher(32);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hasher.update(chunk as Buffer);
    }
  } catch (error) {
    hasher.dispose();
    throw error;
  }
  return hasher.digest();
}

/** Deletes abandoned uploads, blobs no message named, and expired blobs (rows first, then files). */
export async function cleanUpBlobs(ctx: RelayContext): Promise<number> {
  const now = ctx.now();
  let removed = 0;
  for (;;) {
    const { blobUploadTtlMs, blobUnreferencedTtlMs } = ctx.config.limits;
    const stale = await ctx.store.staleBlobs(
      now,
      now - blobUploadTtlMs,
      now - blobUnreferencedTtlMs,
      500,
    );
    for (const blob of stale) {
      await ctx.store.deleteBlob(blob.blobId);
      await unlink(blobPath(ctx.blobDir, blob.blobId)).catch(() => undefined);
    }
    removed += stale.length;
    if (stale.length < 500) return removed;
  }
}
