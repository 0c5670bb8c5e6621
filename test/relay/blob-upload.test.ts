// Blob uploads through the relay's PATCH route (relay/http/blob-append.ts): the running
// BLAKE2b kept across PATCHes (relay/http/upload-hashes.ts), a PATCH cut by the client
// with less than one write batch received, a PATCH cut by the relay because its body went
// idle, a body that goes past the blob's declared length, and an upload finished after a
// relay restart (no running hash: finalising reads the file back). Real relays on 127.0.0.1.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b } from '../../shared/crypto/index.js';
import { BlobInfoSchema, decodeStrict, signHttpRequest } from '../../shared/wire/index.js';
import { mergeConfig } from '../../relay/config.js';
import { type RunningRelay, startRelay } from '../../relay/server.js';
import { UPLOAD, create, finalise, offsetOf, patch } from './blob-requests.js';
import { type TestDevice, TestRelay, eventually } from './harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The relay cuts a PATCH body that sends nothing for this long (on the idle relay only). */
const IDLE_MS = 300;

/** Test data (libsodium's randombytes_buf is slow for megabytes; this is not key material). */
const randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n));
/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
/** A copy of `data` with byte `index` changed. */
function withByteFlipped(data: Uint8Array, index: number): Uint8Array {
  const copy = data.slice();
  copy[index] = copy[index]! ^ 1;
  return copy;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** PATCH that retries while an earlier (cut) upload still holds the blob. */
const patchWhenFree = (device: TestDevice, id: string, offset: number, bytes: Uint8Array) =>
  eventually(
    async () => {
      const result = await patch(device, id, offset, bytes);
      if (result.status === 409 && result.json().code === 'BLOB_BUSY') return undefined;
      return result;
    },
    'the blob to be released',
    3000,
  );

interface RawPatch {
  readonly request: http.ClientRequest;
  /** Settles when the exchange ends: the response's status, or undefined if the link was cut. */
  readonly done: Promise<number | undefined>;
  /** Resolves when `bytes` have been handed to the socket. */
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * A PATCH on its own connection (node:http, no keep-alive) declaring `declared` body bytes,
 * whose body the test writes piece by piece; signed like TestDevice.request signs a blob
 * PATCH (the body is not part of the signature).
 */
function rawPatch(device: TestDevice, id: string, offset: number, declared: number): RawPatch {
  const url = new URL(`${device.relay.url}/v1/blobs/${id}`);
  const request = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'PATCH',
    agent: false,
    headers: {
      ...signHttpRequest(device, 'PATCH', url.pathname),
      'content-type': UPLOAD,
      'upload-offset': String(offset),
      'content-length': String(declared),
    },
  });
  let status: number | undefined;
  const done = new Promise<number | undefined>((resolve) => {
    request.on('response', (response) => {
      status = response.statusCode;
      response.resume();
      response.on('end', () => resolve(status));
      response.on('error', () => resolve(status));
    });
    request.on('error', () => resolve(status));
    request.on('close', () => resolve(status));
  });
  return {
    request,
    done,
    write: (bytes) =>
      new Promise<void>((resolve, reject) =>
        request.write(bytes, (error) => (error ? reject(error) : resolve())),
      ),
  };
}

/** `promise`, or 'pending' if it has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, sleep(ms).then(() => 'pending' as const)]);

describe('blob uploads', () => {
  let relay: TestRelay;
  let idleRelay: TestRelay;
  let alice: TestDevice;
  let bob: TestDevice;
  let carol: TestDevice;
  const hanging: http.ClientRequest[] = [];

  beforeAll(async () => {
    [relay, idleRelay] = await Promise.all([
      TestRelay.start({ blobMaxBytes: 8 * MiB, blobQuotaBytes: 64 * MiB }),
      TestRelay.start({ blobIdleTimeoutMs: IDLE_MS }),
    ]);
    [alice, bob, carol] = await Promise.all([
      relay.newDevice('alice'),
      relay.newDevice('bob'),
      idleRelay.newDevice('carol'),
    ]);
  });

  afterAll(async () => {
    for (const request of hanging) request.destroy();
    await Promise.all([relay?.close(), idleRelay?.close()]);
  });

  /** Uploads `data` in PATCHes that end at each of `cuts` and then at the end. */
  async function uploadInPieces(device: TestDevice, data: Uint8Array, cuts: number[]) {
    const id = await create(device, data.length);
    let offset = 0;
    for (const end of [...cuts, data.length]) {
      const result = await patch(device, id, offset, data.subarray(offset, end));
      expect(result.status).toBe(204);
      expect(Number(result.headers.get('upload-offset'))).toBe(end);
      offset = end;
    }
    return id;
  }

  it('hashes an upload across uneven PATCHes and checks the hash when finalising', async () => {
    const data = randomBytes(3 * MiB + 4321);
    const cuts = [1, 1 + 1.5 * MiB];

    const good = await uploadInPieces(alice, data, cuts);
    const info = await finalise(alice, good, blake2b(data, 32));
    expect(info.status).toBe(200);
    expect(decodeStrict(BlobInfoSchema, info.body, 1024).blake2b).toEqual(blake2b(data, 32));
    const read = await bob.request('GET', `/v1/blobs/${good}`);
    expect(read.status).toBe(200);
    expect(read.body.length).toBe(data.length);
    expect(sameBytes(read.body, data)).toBe(true);

    // Same upload, finalised with the hash of bytes that differ in the last one only.
    const bad = await uploadInPieces(alice, data, cuts);
    const altered = withByteFlipped(data, data.length - 1);
    const mismatch = await finalise(alice, bad, blake2b(altered, 32));
    expect(mismatch.status).toBe(422);
    expect(mismatch.json().code).toBe('BLOB_HASH_MISMATCH');
    expect((await alice.request('HEAD', `/v1/blobs/${bad}`)).status).toBe(404);
    expect((await bob.request('GET', `/v1/blobs/${bad}`)).status).toBe(404);
    // Nor can the discarded upload be finalised with the right hash afterwards.
    expect((await finalise(alice, bad, blake2b(data, 32))).status).toBe(404);
  });

  it('finalises from the running hash, without reading the blob back', async () => {
    // White-box: one byte of the file is changed on disk behind the relay's back once the
    // upload is complete. Only a running hash fed by the three PATCHes still matches the
    // bytes that were sent; reading the file back (the fallback) would not. (Bytes a
    // disk changes after they were written are caught by every recipient, which checks
    // the hash of what it downloads.)
    const data = randomBytes(2 * MiB + 55);
    const id = await uploadInPieces(alice, data, [1, 1 + 1.5 * MiB]);
    const file = path.join(relay.relay.context.blobDir, id);
    const handle = await open(file, 'r+');
    try {
      await handle.write(new Uint8Array([data[10]! ^ 1]), 0, 1, 10);
    } finally {
      await handle.close();
    }
    const info = await finalise(alice, id, blake2b(data, 32));
    expect(info.status).toBe(200);
  });

  it('keeps every byte of a PATCH cut before a whole write batch arrived', async () => {
    const data = randomBytes(2 * MiB + 777);
    const sent = 200 * KiB; // less than the relay's 256 KiB write batch
    const id = await create(alice, data.length);

    const cut = rawPatch(alice, id, 0, data.length);
    await cut.write(data.subarray(0, sent));
    await sleep(200); // for the relay to read it off the socket
    // Still held in the relay's unfinished write batch: the file is empty.
    expect(await offsetOf(alice, id)).toBe(0);
    cut.request.destroy();
    expect(await cut.done).toBeUndefined();

    // The partial batch was written when the body ended, and nothing else.
    await eventually(
      async () => ((await offsetOf(alice, id)) === sent ? true : undefined),
      `the relay to report an offset of ${sent}`,
      3000,
    );
    const rest = await patchWhenFree(alice, id, sent, data.subarray(sent));
    expect(rest.status).toBe(204);
    expect(Number(rest.headers.get('upload-offset'))).toBe(data.length);
    expect(await offsetOf(alice, id)).toBe(data.length);

    const info = await finalise(alice, id, blake2b(data, 32));
    expect(info.status).toBe(200);
    const read = await bob.request('GET', `/v1/blobs/${id}`);
    expect(read.status).toBe(200);
    expect(sameBytes(read.body, data)).toBe(true);
  });

  it('cuts a PATCH whose body goes idle, keeping what arrived, and frees the blob', async () => {
    const data = randomBytes(64 * KiB);
    const piece = KiB;
    const pieces = 8;
    const sent = piece * pieces;
    const id = await create(carol, data.length);

    const idle = rawPatch(carol, id, 0, data.length);
    hanging.push(idle.request);
    // A KiB every 50 ms keeps the upload alive past IDLE_MS in total...
    for (let i = 0; i < pieces; i++) {
      await idle.write(data.subarray(i * piece, (i + 1) * piece));
      await sleep(50);
    }
    expect(pieces * 50).toBeGreaterThan(IDLE_MS);
    const whileSending = await patch(carol, id, 0, new Uint8Array(0));
    expect(whileSending.status).toBe(409);
    expect(whileSending.json().code).toBe('BLOB_BUSY');

    // ...then nothing (the socket stays open, the declared length is not reached).
    await sleep(1000);
    // The relay has cut the request: no answer, the connection is gone.
    expect(await within(idle.done, 1000)).toBeUndefined();
    const offset = await offsetOf(carol, id);
    expect(offset).toBe(sent);
    const probe = await patch(carol, id, offset, new Uint8Array(0));
    expect(probe.status).toBe(204);
    expect(Number(probe.headers.get('upload-offset'))).toBe(sent);

    // The upload resumes from there and completes.
    const rest = await patch(carol, id, sent, data.subarray(sent));
    expect(rest.status).toBe(204);
    const info = await finalise(carol, id, blake2b(data, 32));
    expect(info.status).toBe(200);
    const read = await carol.request('GET', `/v1/blobs/${id}`);
    expect(sameBytes(read.body, data)).toBe(true);

    idle.request.destroy();
  });

  it('drops the bytes past the declared length and keeps exactly the blob', async () => {
    const length = 1.5 * MiB + 3;
    const body = randomBytes(length + 64 * KiB + 5);
    const data = body.subarray(0, length);
    const id = await create(alice, length);

    expect((await patch(alice, id, 0, body.subarray(0, 1000))).status).toBe(204);
    const over = await patch(alice, id, 1000, body.subarray(1000));
    expect(over.status).toBe(413);
    expect(over.json().code).toBe('BLOB_TOO_LARGE');
    expect(Number(over.headers.get('upload-offset'))).toBe(length);
    expect(await offsetOf(alice, id)).toBe(length);

    // Nothing more fits, even at the end.
    const after = await patch(alice, id, length, randomBytes(10));
    expect(after.status).toBe(413);
    expect(after.json().code).toBe('BLOB_TOO_LARGE');
    expect(Number(after.headers.get('upload-offset'))).toBe(length);

    const info = await finalise(alice, id, blake2b(data, 32));
    expect(info.status).toBe(200);
    const read = await bob.request('GET', `/v1/blobs/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.length).toBe(length);
    expect(sameBytes(read.body, data)).toBe(true);
  });

  it('finalises from the file when a restart lost the running hash', async () => {
    const first = await TestRelay.start();
    let restarted: RunningRelay | undefined;
    try {
      const dave = await first.newDevice('dave');
      const data = randomBytes(2.5 * MiB + 99);
      const good = await create(dave, data.length);
      const bad = await create(dave, data.length);
      for (const id of [good, bad]) {
        expect((await patch(dave, id, 0, data.subarray(0, 1.5 * MiB))).status).toBe(204);
      }
      // Same data folder, new process state: the running hashes are gone.
      await first.relay.close();
      restarted = await startRelay({
        dataDir: first.dataDir,
        config: mergeConfig({}),
        host: '127.0.0.1',
        port: 0,
        logger: pino({ level: 'silent' }),
        processMetrics: false,
      });
      dave.relay = restarted;
      for (const id of [good, bad]) {
        expect(await offsetOf(dave, id)).toBe(1.5 * MiB);
        const rest = await patch(dave, id, 1.5 * MiB, data.subarray(1.5 * MiB));
        expect(rest.status).toBe(204);
      }
      const info = await finalise(dave, good, blake2b(data, 32));
      expect(info.status).toBe(200);
      const read = await dave.request('GET', `/v1/blobs/${good}`);
      expect(sameBytes(read.body, data)).toBe(true);

      const mismatch = await finalise(dave, bad, blake2b(withByteFlipped(data, 0), 32));
      expect(mismatch.status).toBe(422);
      expect(mismatch.json().code).toBe('BLOB_HASH_MISMATCH');
      expect((await dave.request('HEAD', `/v1/blobs/${bad}`)).status).toBe(404);
    } finally {
      if (restarted) {
        await restarted.close();
        rmSync(path.dirname(first.dataDir), { recursive: true, force: true });
      } else {
        await first.close();
      }
    }
  });
});
