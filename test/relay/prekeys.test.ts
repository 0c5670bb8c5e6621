import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateEd25519KeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
} from '../../shared/crypto/index.js';
import {
  PrekeyBundlesSchema,
  PrekeyStatusSchema,
  PrekeyUploadSchema,
  decodeStrict,
  encode,
} from '../../shared/wire/index.js';
import { type TestDevice, TestRelay } from './harness.js';

describe('prekey bundles', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  beforeAll(async () => {
    relay = await TestRelay.start({ prekeyLowThreshold: 5, httpBurst: 10_000 });
    alice = await relay.newDevice('alice');
  });
  afterAll(() => relay.close());

  const claim = async (userId: string) => {
    const result = await alice.request('POST', `/v1/users/${userId}/prekey-bundles`);
    expect(result.status).toBe(200);
    return decodeStrict(PrekeyBundlesSchema, result.body, 1 << 20);
  };

  it('returns a bundle per active device, each with its certificate and signed prekey', async () => {
    const b1 = await relay.newDevice('bob');
    const b2 = await relay.newDevice('bob');
    const bundles = await claim('bob');
    expect(bundles.bundles.map((b) => b.certificate?.deviceId)).toEqual([1, 2]);
    expect(bundles.bundles[0]!.certificate!.identityKey).toEqual(b1.identity.publicKey);
    expect(bundles.bundles[1]!.certificate!.identityKey).toEqual(b2.identity.publicKey);
    expect(bundles.bundles.every((b) => b.signedPrekey?.signature.length === 64)).toBe(true);
    expect(bundles.bundles.every((b) => b.oneTimePrekey !== undefined)).toBe(true);
  });

  it('hands each one-time prekey out exactly once under concurrent claims', async () => {
    const target = await relay.newDevice('carol', { oneTimePrekeys: 25 });
    const socket = await target.connect();
    const results = await Promise.all(Array.from({ length: 40 }, () => claim('carol')));
    const ids = results.flatMap((r) =>
      r.bundles.flatMap((b) => (b.oneTimePrekey ? [b.oneTimePrekey.id] : [])),
    );
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(results.filter((r) => r.bundles[0]!.oneTimePrekey === undefined)).toHaveLength(15);
    // The device is told its one-time prekeys run low.
    const low = await socket.next('prekeysLow');
    expect(low.body.value.remaining).toBeLessThan(5);
    // It uploads more; the relay counts them and hands them out again.
    const upload = encode(PrekeyUploadSchema, {
      oneTimePrekeys: generateOneTimePrekeys(100, 10).map((p) => ({
        id: p.id,
        publicKey: p.keyPair.publicKey,
      })),
    });
    const status = await target.request('PUT', '/v1/devices/self/prekeys', { body: upload });
    expect(status.status).toBe(200);
    expect(decodeStrict(PrekeyStatusSchema, status.body, 1024).oneTimeRemaining).toBe(10);
    expect((await claim('carol')).bundles[0]!.oneTimePrekey?.id).toBe(100);
    await socket.close();
  });

  it('accepts a rotated signed prekey signed by the identity key and refuses a forged one', async () => {
    const forged = generateSignedPrekey(generateEd25519KeyPair(), 7);
    const bad = await alice.request('PUT', '/v1/devices/self/prekeys', {
      body: encode(PrekeyUploadSchema, {
        signedPrekey: { id: 7, publicKey: forged.keyPair.publicKey, signature: forged.signature },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.json().code).toBe('BAD_SIGNED_PREKEY');
    const rotated = generateSignedPrekey(alice.identity, 8);
    const good = await alice.request('PUT', '/v1/devices/self/prekeys', {
      body: encode(PrekeyUploadSchema, {
        signedPrekey: { id: 8, publicKey: rotated.keyPair.publicKey, signature: rotated.signature },
      }),
    });
    expect(good.status).toBe(200);
    const bundle = (await claim('alice')).bundles[0]!;
    expect(bundle.signedPrekey?.id).toBe(8);
    expect(bundle.signedPrekey?.publicKey).toEqual(rotated.keyPair.publicKey);
  });

  it('refuses a body that does not match the signature', async () => {
    const body = encode(PrekeyUploadSchema, { oneTimePrekeys: [] });
    const result = await fetch(`${relay.url}/v1/devices/self/prekeys`, {
      method: 'PUT',
      headers: {
        ...(await import('../../shared/wire/index.js')).signHttpRequest(
          alice,
          'PUT',
          '/v1/devices/self/prekeys',
          new Uint8Array([1, 2, 3]),
        ),
        'content-type': 'application/x-protobuf',
      },
      body: Buffer.from(body),
    });
    expect(result.status).toBe(401);
  });

  it('answers an unknown user with USER_NOT_FOUND', async () => {
    const result = await alice.request('POST', '/v1/users/nobody/prekey-bundles');
    expect(result.status).toBe(404);
    expect(result.json().code).toBe('USER_NOT_FOUND');
  });
});
