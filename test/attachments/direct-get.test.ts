// The direct path of a large download (direct-get.ts) against servers that write exact
// bytes on a real socket: a head in one-byte pieces, a chunked refusal, an answer that
// is not HTTP, a connection that ends half-way, a writer with no batch free, and TLS
// (refused when the certificate is not trusted; trusted, in a process told of its CA).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIRECT_MIN_BYTES,
  fetchRange,
  judgeHead,
  type BlobRangeRequest,
} from '../../main/engine/attachments/blob-fetch.js';
import { type BatchWriter, fetchDirect } from '../../main/engine/attachments/direct-get.js';
import { isAttachmentError } from '../../main/engine/attachments/errors.js';
import { PartWriter } from '../../main/engine/attachments/part-writer.js';
import { blake2b, ready } from '../../shared/crypto/index.js';
import { makeCertificate } from '../relay/certificate.js';
import { heldBack } from './held-back-writer.js';
import { testBytes } from './support.js';

const SIZE = DIRECT_MIN_BYTES + 1_234_567;

function rangeHead(data: Buffer, start: number, extra = ''): string {
  return (
    `HTTP/1.1 206 Partial Content\r\nContent-Length: ${data.length - start}\r\n` +
    `Content-Range: bytes ${start}-${data.length - 1}/${data.length}\r\n${extra}\r\n`
  );
}

/** A server that answers every connection with `answer` (given the request's text). */
async function rawServer(
  answer: (socket: net.Socket, request: string) => void,
  secure?: { cert: Buffer; key: Buffer },
): Promise<{ url: string; close: () => Promise<void> }> {
  const onConnection = (socket: net.Socket) => {
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (piece: Buffer) => {
      text += piece.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.removeAllListeners('data');
        answer(socket, text);
      }
    });
  };
  const server = secure ? tls.createServer(secure, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}/v1/blobs/b1`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function request(url: string, data: Buffer, start = 0): BlobRangeRequest {
  return {
    url,
    headers: { range: `bytes=${start}-`, 'x-comgov-test': 'yes' },
    start,
    total: data.length,
    idleTimeoutMs: 10_000,
  };
}

let dir: string;
let file = 0;
beforeAll(async () => {
  await ready();
  dir = mkdtempSync(path.join(tmpdir(), 'comgov-direct-get-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Fetches into a new part file; the outcome, the part's bytes and its digest. */
async function fetchInto(
  req: BlobRangeRequest,
  wrap: (writer: PartWriter) => BatchWriter = (writer) => writer,
): Promise<{ outcome: Awaited<ReturnType<typeof fetchRange>>; part: Buffer; digest: Buffer }> {
  const part = path.join(dir, `${file++}.part`);
  const writer = await PartWriter.open(part, 0);
  try {
    const outcome =
      wrap(writer) === writer
        ? await fetchRange(req, writer)
        : await fetchDirect(req, wrap(writer), (head) => judgeHead(head, req));
    const digest = Buffer.from(await writer.finish());
    return { outcome, part: readFileSync(part), digest };
  } finally {
    await writer.close();
  }
}

describe('a large download read straight into the part', () => {
  it('sends one request and takes a head that arrives a byte at a time', async () => {
    const data = testBytes(SIZE, 1);
    let asked = '';
    const server = await rawServer((socket, text) => {
      asked = text;
      const head = Buffer.from(rangeHead(data, 0, 'X-Repeated: a\r\nX-Repeated: b\r\n'));
      let at = 0;
      const dribble = () => {
        if (at < head.length) {
          socket.write(head.subarray(at, ++at), dribble);
          return;
        }
        socket.end(data);
      };
      dribble();
    });
    try {
      const got = await fetchInto(request(server.url, data));
      expect(got.outcome).toEqual({ kind: 'ended' });
      expect(got.part.equals(data)).toBe(true);
      expect(got.digest.equals(Buffer.from(blake2b(data)))).toBe(true);
      expect(asked).toMatch(/^GET \/v1\/blobs\/b1 HTTP\/1\.1\r\n/);
      expect(asked).toMatch(/\r\nrange: bytes=0-\r\n/);
      expect(asked).toMatch(/\r\nx-comgov-test: yes\r\n/);
    } finally {
      await server.close();
    }
  });

  it('brings back a refusal sent in chunks, with its headers, and writes none of it', async () => {
    const data = testBytes(SIZE, 2);
    const body = JSON.stringify({ code: 'BLOB_NOT_FOUND', message: 'There is no such blob.' });
    const server = await rawServer((socket) => {
      socket.end(
        'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
          `5\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
      );
    });
    try {
      const got = await fetchInto(request(server.url, data));
      expect(got.outcome).toMatchObject({
        kind: 'refused',
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
      const refused = got.outcome as { body: Uint8Array };
      expect(Buffer.from(refused.body).toString()).toBe(body);
      expect(got.part.length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('calls an answer that is not HTTP a bad reply, and a range of another file corrupt', async () => {
    const data = testBytes(SIZE, 3);
    const garbage = await rawServer((socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    const longer = await rawServer((socket) => {
      const other = testBytes(SIZE + 1, 3);
      socket.end(Buffer.concat([Buffer.from(rangeHead(other, 0)), other]));
    });
    try {
      expect((await fetchInto(request(garbage.url, data))).outcome).toMatchObject({
        kind: 'bad-reply',
      });
      await expect(fetchInto(request(longer.url, data))).rejects.toSatisfy((e) =>
        isAttachmentError(e, 'ATTACHMENT_CORRUPT'),
      );
    } finally {
      await garbage.close();
      await longer.close();
    }
  });

  it('keeps what arrived when the connection ends half-way, from a resumed start', async () => {
    const data = testBytes(SIZE, 4);
    const start = 777_777;
    const half = Math.floor((data.length - start) / 2);
    const server = await rawServer((socket) => {
      socket.write(rangeHead(data, start));
      socket.end(data.subarray(start, start + half)); // a clean end, not a reset
    });
    try {
      const part = path.join(dir, 'resumed.part');
      writeFileSync(part, data.subarray(0, start));
      const writer = await PartWriter.open(part, start);
      const outcome = await fetchRange(request(server.url, data, start), writer);
      await writer.close();
      expect(outcome).toMatchObject({ kind: 'cut' });
      expect(readFileSync(part).equals(data.subarray(0, start + half))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('pauses the socket while the writer has no batch free, and loses no byte', async () => {
    const data = testBytes(SIZE, 5);
    const server = await rawServer((socket) => {
      socket.end(Buffer.concat([Buffer.from(rangeHead(data, 0)), data]));
    });
    let waits = 0;
    try {
      const got = await fetchInto(request(server.url, data), (writer) =>
        heldBack(writer, () => waits++),
      );
      expect(got.outcome).toEqual({ kind: 'ended' });
      expect(got.part.equals(data)).toBe(true);
      expect(got.digest.equals(Buffer.from(blake2b(data)))).toBe(true);
      expect(waits).toBeGreaterThan(data.length / (1024 * 1024));
    } finally {
      await server.close();
    }
  });

  it('stops when aborted while it waits for a first batch, before connecting', async () => {
    const data = testBytes(SIZE, 8);
    let asked = 0;
    const server = await rawServer(() => asked++); // and never answers
    const abort = new AbortController();
    const req = request(server.url, data);
    const part = path.join(dir, 'aborted.part');
    const writer = await PartWriter.open(part, 0);
    try {
      const fetching = fetchDirect(
        req,
        heldBack(writer, () => abort.abort()),
        (head) => judgeHead(head, req),
        abort.signal,
      );
      expect(await fetching).toEqual({ kind: 'cut', reason: 'stopped' });
      expect(asked).toBe(0);
    } finally {
      await writer.close();
      await server.close();
    }
  });

  it('refuses a header that would break the request into two', async () => {
    const data = testBytes(SIZE, 6);
    const req = { ...request('http://127.0.0.1:9/x', data), headers: { range: 'a\r\nb: c' } };
    await expect(fetchInto(req)).rejects.toThrow(/line break/);
  });
});

describe('a large download over TLS', () => {
  const data = testBytes(SIZE, 7);
  let cert: { cert: string; key: string };
  let server: Awaited<ReturnType<typeof rawServer>>;
  beforeAll(async () => {
    cert = makeCertificate(path.join(dir, 'tls'));
    server = await rawServer(
      (socket) => socket.end(Buffer.concat([Buffer.from(rangeHead(data, 0)), data])),
      { cert: readFileSync(cert.cert), key: readFileSync(cert.key) },
    );
  });
  afterAll(async () => server.close());

  it('is cut when the certificate is not trusted', async () => {
    const got = await fetchInto(request(server.url, data));
    expect(got.outcome).toMatchObject({
      kind: 'cut',
      reason: expect.stringMatching(/certificate/),
    });
    expect(got.part.length).toBe(0);
  });

  it('arrives whole in a process that trusts the relay’s certificate, paused or not', async () => {
    const child = path.join(path.dirname(new URL(import.meta.url).pathname), 'direct-get-child.ts');
    for (const holdBack of [false, true]) {
      const part = path.join(dir, `tls-${holdBack}.part`);
      // Asynchronously: the server answers from this process.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          child,
          JSON.stringify({ request: request(server.url, data), part, holdBack }),
        ],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.cert }, encoding: 'utf8' },
      );
      const { outcome, digest } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        outcome: unknown;
        digest: string;
      };
      expect(outcome).toEqual({ kind: 'ended' });
      expect(digest).toBe(Buffer.from(blake2b(data)).toString('hex'));
      expect(readFileSync(part).equals(data)).toBe(true);
    }
  });
});
