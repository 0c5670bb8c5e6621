import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { blake2b } from '../../shared/crypto/index.js';
import { signHttpRequest } from '../../shared/wire/index.js';
import { UPLOAD, create, finalise, offsetOf, patch } from './blob-requests.js';
import { type TestDevice, TestRelay, eventually } from './harness.js';

/** Test data (libsodium's randombytes_buf is slow for megabytes; this is not key material). */
const randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n));
/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('blobs', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  let bob: TestDevice;
  beforeAll(async () => {
    relay = await TestRelay.start({
      blobMaxBytes: 4 * 1024 * 1024,
      blobQuotaBytes: 6 * 1024 * 1024,
    });
    alice = await relay.newDevice('alice');
    bob = await relay.newDevice('bob');
  });
  afterAll(() => relay.close());

  /** Sends part of a PATCH body and then cuts the connection, like a dropped link. */
  function interruptedPatch(id: string, offset: number, sent: Uint8Array, declared: number) {
    return new Promise<void>((resolve) => {
      const url = new URL(`${relay.url}/v1/blobs/${id}`);
      const request = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'PATCH',
        headers: {
          ...signHttpRequest(alice, 'PATCH', url.pathname),
          'content-type': UPLOAD,
          'upload-offset': String(offset),
          'content-length': String(declared),
        },
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(sent, () => {
        // Give the relay the chance to write what it got, then drop the link.
        void eventually(
          async () => ((await offsetOf(alice, id)) >= offset + sent.length ? true : undefined),
          'partial bytes on disk',
        ).then(() => request.destroy());
      });
    });
  }

  it('resumes an interrupted upload from the offset the relay reports', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const id = await create(alice, data.length);
    expect(await offsetOf(alice, id)).toBe(0);
    await interruptedPatch(id, 0, data.subarray(0, 1024 * 1024), data.length);
    let resumedFrom = -1;
    const offset = await eventually(async () => {
      resumedFrom = await offsetOf(alice, id);
      const r = await patch(alice, id, resumedFrom, data.subarray(resumedFrom));
      if (r.status === 409 && r.json().code === 'BLOB_BUSY') return undefined;
      return r;
    }, 'the interrupted upload to be released');
    // The relay kept what arrived before the cut, and only that was sent again.
    expect(resumedFrom).toBeGreaterThanOrEqual(1024 * 1024);
    expect(resumedFrom).toBeLessThan(data.length);
    expect(offset.status).toBe(204);
    expect(Number(offset.headers.get('upload-offset'))).toBe(data.length);
    // Finalising early or with a wrong hash is refused; the right hash completes it.
    const info = await finalise(alice, id, blake2b(data, 32));
    expect(info.status).toBe(200);
    // Anyone enrolled can read it back whole.
    const whole = await bob.request('GET', `/v1/blobs/${id}`);
    expect(whole.status).toBe(200);
    expect(sameBytes(whole.body, data)).toBe(true);
    // Range requests.
    const range = await bob.request('GET', `/v1/blobs/${id}`, {
      headers: { range: 'bytes=1000-1999' },
    });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 1000-1999/${data.length}`);
    expect(range.body).toEqual(data.subarray(1000, 2000));
    const tail = await bob.request('GET', `/v1/blobs/${id}`, { headers: { range: 'bytes=-10' } });
    expect(tail.body).toEqual(data.subarray(data.length - 10));
    const open = await bob.request('GET', `/v1/blobs/${id}`, {
      headers: { range: `bytes=${data.length - 5}-` },
    });
    expect(open.body).toEqual(data.subarray(data.length - 5));
    const outside = await bob.request('GET', `/v1/blobs/${id}`, {
      headers: { range: `bytes=${data.length}-` },
    });
    expect(outside.status).toBe(416);
    expect(outside.json().code).toBe('RANGE_NOT_SATISFIABLE');
    // Only the owner may write or delete.
    expect((await bob.request('HEAD', `/v1/blobs/${id}`)).status).toBe(404);
    expect((await bob.request('DELETE', `/v1/blobs/${id}`)).status).toBe(404);
    expect((await alice.request('DELETE', `/v1/blobs/${id}`)).status).toBe(204);
    expect((await bob.request('GET', `/v1/blobs/${id}`)).status).toBe(404);
  });

  it('refuses a wrong offset, an early finalise and a wrong hash', async () => {
    const data = randomBytes(5000);
    const id = await create(alice, data.length);
    const wrong = await patch(alice, id, 10, data);
    expect(wrong.status).toBe(409);
    expect(wrong.json().code).toBe('BLOB_OFFSET_MISMATCH');
    expect(wrong.headers.get('upload-offset')).toBe('0');
    expect((await patch(alice, id, 0, data.subarray(0, 2000))).status).toBe(204);
    const early = await finalise(alice, id, blake2b(data, 32));
    expect(early.json().code).toBe('BLOB_INCOMPLETE');
    expect((await bob.request('GET', `/v1/blobs/${id}`)).json().code).toBe('BLOB_NOT_FINALISED');
    expect((await patch(alice, id, 2000, data.subarray(2000))).status).toBe(204);
    const mismatch = await finalise(alice, id, blake2b(randomBytes(10), 32));
    expect(mismatch.status).toBe(422);
    expect(mismatch.json().code).toBe('BLOB_HASH_MISMATCH');
  });

  it('refuses bytes past the declared length', async () => {
    const id = await create(alice, 100);
    const over = await patch(alice, id, 0, randomBytes(150));
    expect(over.json().code).toBe('BLOB_TOO_LARGE');
    expect(await offsetOf(alice, id)).toBe(100);
  });

  it('enforces the size limit and the per-user quota with clear errors', async () => {
    const tooBig = await alice.request('POST', '/v1/blobs', {
      headers: { 'upload-length': String(4 * 1024 * 1024 + 1) },
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().code).toBe('BLOB_TOO_LARGE');
    await create(bob, 4 * 1024 * 1024);
    const over = await bob.request('POST', '/v1/blobs', {
      headers: { 'upload-length': String(3 * 1024 * 1024) },
    });
    expect(over.status).toBe(507);
    expect(over.json().code).toBe('BLOB_QUOTA_EXCEEDED');
    expect(over.json().message).toMatch(/quota/);
  });
});
