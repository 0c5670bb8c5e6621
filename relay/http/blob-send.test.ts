import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFileRange } from './blob-send.js';

describe('sendFileRange', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'comgov-blob-send-'));
  const file = path.join(dir, 'blob');
  const bytes = randomBytes(5 * 1024 * 1024 + 13);
  /** How each response's sending ended: resolved (true) or rejected. */
  const sent: Promise<boolean>[] = [];
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    writeFileSync(file, bytes);
    server = http.createServer((request, response) => {
      const [start, end] = (request.url!.slice(1).split('-') as [string, string]).map(Number) as [
        number,
        number,
      ];
      response.writeHead(200, { 'content-length': String(end - start + 1) });
      sent.push(
        open(file, 'r').then(async (handle) => {
          try {
            await sendFileRange(response, handle, start, end);
            return true;
          } finally {
            await handle.close();
          }
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function get(pathname: string, readBytes = Infinity): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const request = http.get(`${url}${pathname}`, (response) => {
        const parts: Buffer[] = [];
        let size = 0;
        response.on('data', (piece: Buffer) => {
          parts.push(piece);
          size += piece.length;
          // A client that goes away part-way.
          if (size >= readBytes) {
            request.destroy();
            resolve(Buffer.concat(parts));
          }
        });
        response.on('end', () => resolve(Buffer.concat(parts)));
        response.on('error', () => undefined);
      });
      request.on('error', reject);
    });
  }

  it('sends exactly the range asked for, through its reused buffers', async () => {
    expect((await get(`/0-${bytes.length - 1}`)).equals(bytes)).toBe(true);
    const middle = await get('/1000-4000000');
    expect(middle.equals(bytes.subarray(1000, 4_000_001))).toBe(true);
    expect(await sent.at(-1)).toBe(true);
  });

  it('stops reading when the client goes away', async () => {
    const before = sent.length;
    const got = await get(`/0-${bytes.length - 1}`, 600_000);
    expect(got.length).toBeLessThan(bytes.length);
    // The sending ends by itself (it does not wait for ever for a socket that is gone).
    await expect(sent[before]).resolves.toBe(true);
  });
});
