// Blobs no message names: a submission lists the blobs its message carries
// (Submit.blob_ids); the relay's cleanup deletes a finalised blob no submission named
// once limits.blobUnreferencedTtlMs has passed, and keeps the named ones to their TTL,
// or longer: as long as the message that named them may wait for its recipients.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpBlobs } from '../../relay/http/blob-routes.js';
import { blake2b } from '../../shared/crypto/index.js';
import { create, finalise, patch } from './blob-requests.js';
import { type TestDevice, TestRelay, type TestSocket } from './harness.js';

const DAY = 24 * 60 * 60 * 1000;

describe('blobs no message names', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  let bob: TestDevice;

  beforeAll(async () => {
    relay = await TestRelay.start();
    alice = await relay.newDevice('alice');
    bob = await relay.newDevice('bob');
  });
  afterAll(() => relay.close());

  async function finalisedBlob(): Promise<string> {
    const bytes = new Uint8Array(nodeRandomBytes(1000));
    const id = await create(alice, bytes.length);
    expect((await patch(alice, id, 0, bytes)).status).toBe(204);
    expect((await finalise(alice, id, blake2b(bytes, 32))).status).toBe(200);
    return id;
  }

  const blobFile = (id: string) => path.join(relay.dataDir, 'blobs', id);

  /** Sends a small message to Bob whose submission names `blobIds`; its request id. */
  function submitNaming(socket: TestSocket, blobIds: string[]): number {
    const requestId = socket.requestId();
    socket.send({
      requestId,
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'perDevice',
            value: {
              messages: [
                {
                  to: { userId: bob.userId, deviceId: bob.deviceId },
                  ciphertext: new Uint8Array(9),
                },
              ],
            },
          },
          blobIds,
        },
      },
    });
    return requestId;
  }

  it('keeps the blobs a submission named and deletes, a day later, those none did', async () => {
    const named = await finalisedBlob();
    const forgotten = await finalisedBlob();
    const socket = await alice.connect();
    // An id the relay does not know is ignored.
    const requestId = submitNaming(socket, [named, '0'.repeat(32)]);
    expect((await socket.reply(requestId)).body.case).toBe('submitOk');
    const store = relay.relay.context.store;
    expect((await store.getBlob(named))?.referencedAt).not.toBeNull();
    expect((await store.getBlob(forgotten))?.referencedAt).toBeNull();

    // Within the day: nothing goes.
    expect(await cleanUpBlobs(relay.relay.context)).toBe(0);
    // A day and a bit later.
    const later = { ...relay.relay.context, now: () => Date.now() + DAY + 60_000 };
    expect(await cleanUpBlobs(later)).toBe(1);
    expect(await store.getBlob(forgotten)).toBeUndefined();
    expect(existsSync(blobFile(forgotten))).toBe(false);
    expect(await store.getBlob(named)).toBeDefined();
    expect(existsSync(blobFile(named))).toBe(true);
    // Bob can still fetch the named one.
    expect((await bob.request('GET', `/v1/blobs/${named}`)).status).toBe(200);
    await socket.close();
  });

  it('keeps a blob named late in its life as long as the new message may wait', async () => {
    const blob = await finalisedBlob();
    const store = relay.relay.context.store;
    const { blobTtlMs, envelopeTtlMs } = relay.relay.context.config.limits;
    const expiresAt = (await store.getBlob(blob))!.expiresAt;
    const socket = await alice.connect();
    // 29 days on (the clock the relay reads), the file is forwarded.
    const context = relay.relay.context as { now: () => number };
    const realNow = context.now;
    const forwardedAt = Date.now() + blobTtlMs - DAY;
    context.now = () => forwardedAt;
    try {
      const requestId = submitNaming(socket, [blob]);
      expect((await socket.reply(requestId)).body.case).toBe('submitOk');
    } finally {
      context.now = realNow;
    }
    expect((await store.getBlob(blob))!.expiresAt).toBe(forwardedAt + envelopeTtlMs);
    expect(forwardedAt + envelopeTtlMs).toBeGreaterThan(expiresAt);
    // Past its first expiry, the cleanup leaves it (and takes what was not kept longer).
    await cleanUpBlobs({ ...relay.relay.context, now: () => expiresAt + DAY });
    expect(await store.getBlob(blob)).toBeDefined();
    expect(existsSync(blobFile(blob))).toBe(true);
    await socket.close();
  });

  it('refuses a submission with a malformed blob id, with a code', async () => {
    const socket = await alice.connect();
    submitNaming(socket, ['../../etc/passwd']);
    const error = await socket.next('error');
    expect(error.body.value).toMatchObject({ code: 'BAD_FRAME' });
    expect(error.body.value.message).toMatch(/32 lowercase hex/);
    await socket.close();
  });
});
