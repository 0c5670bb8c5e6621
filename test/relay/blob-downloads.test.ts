// The relay's limit on blob downloads running at once per device: more are refused
// with RATE_LIMITED (which the app waits out), a slot is given back when a download
// ends, completed or cut, and other devices are not affected.
import http from 'node:http';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b } from '../../shared/crypto/index.js';
import { signHttpRequest } from '../../shared/wire/index.js';
import { create, finalise, patch } from './blob-requests.js';
import { type TestDevice, TestRelay, eventually } from './harness.js';

/** Larger than what the loopback socket buffers hold, so that an unread download stays open. */
const BLOB_BYTES = 32 * 1024 * 1024;

describe('blob downloads per device', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  let bob: TestDevice;
  let blobId: string;
  const held: http.ClientRequest[] = [];

  beforeAll(async () => {
    relay = await TestRelay.start({ blobDownloadsPerDevice: 2 });
    alice = await relay.newDevice('alice');
    bob = await relay.newDevice('bob');
    const bytes = new Uint8Array(nodeRandomBytes(BLOB_BYTES));
    blobId = await create(alice, bytes.length);
    expect((await patch(alice, blobId, 0, bytes)).status).toBe(204);
    expect((await finalise(alice, blobId, blake2b(bytes, 32))).status).toBe(200);
  });

  afterAll(async () => {
    for (const request of held) request.destroy();
    await relay.close();
  });

  /** A download whose body is not read: it stays open on the relay until destroyed. */
  function holdDownload(device: TestDevice): Promise<http.ClientRequest> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${relay.url}/v1/blobs/${blobId}`);
      const request = http.get(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: signHttpRequest(device, 'GET', url.pathname),
        },
        (response) => {
          if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`));
          response.pause();
          resolve(request);
        },
      );
      request.on('error', () => undefined);
      held.push(request);
    });
  }

  it('refuses a device a download beyond its limit, with a sentence, and no one else', async () => {
    const first = await holdDownload(bob);
    await holdDownload(bob);

    const refused = await bob.request('GET', `/v1/blobs/${blobId}`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-range')).toBeNull();
    const error = JSON.parse(Buffer.from(refused.body).toString('utf8')) as {
      code: string;
      message: string;
    };
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toMatch(/2 downloads running/);

    // Another device of another user downloads meanwhile.
    const other = await alice.request('GET', `/v1/blobs/${blobId}`, {
      headers: { range: 'bytes=0-99' },
    });
    expect(other.status).toBe(206);
    expect(other.body.length).toBe(100);

    // A cut download gives its slot back.
    first.destroy();
    const again = await eventually(async () => {
      const result = await bob.request('GET', `/v1/blobs/${blobId}`, {
        headers: { range: 'bytes=0-9' },
      });
      return result.status === 429 ? undefined : result;
    }, 'a download slot to be free');
    expect(again.status).toBe(206);
    // A completed download gives its slot back too: the next one is served.
    const next = await bob.request('GET', `/v1/blobs/${blobId}`, {
      headers: { range: 'bytes=10-19' },
    });
    expect(next.status).toBe(206);
  });
});
