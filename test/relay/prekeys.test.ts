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

  const claim = async (userId: string, by: TestDevice = alice, query = '') => {
    const result = await by.request('POST', `/v1/users/${userId}/prekey-bundles${query}`);
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
    const bundle = (await claim('alice', await relay.newDevice('erin'))).bundles[0]!;
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

  it('hands out only the devices asked for, never the claimer its own bundle', async () => {
    const f1 = await relay.newDevice('fatou', { oneTimePrekeys: 10 });
    const f2 = await relay.newDevice('fatou', { oneTimePrekeys: 10 });
    const f3 = await relay.newDevice('fatou', { oneTimePrekeys: 10 });
    const remaining = async (device: TestDevice) => {
      const status = await device.request('GET', '/v1/devices/self/prekeys');
      return decodeStrict(PrekeyStatusSchema, status.body, 1024).oneTimeRemaining;
    };
    // Her second device starts sessions with her other devices: not with itself.
    const own = await claim('fatou', f2);
    expect(own.bundles.map((b) => b.certificate?.deviceId)).toEqual([1, 3]);
    expect(await remaining(f2)).toBe(10);
    // Someone who already has a session with devices 1 and 2 asks for device 3 only.
    const only = await claim('fatou', alice, '?devices=3');
    expect(only.bundles.map((b) => b.certificate?.deviceId)).toEqual([3]);
    expect([await remaining(f1), await remaining(f2), await remaining(f3)]).toEqual([9, 10, 8]);
    // Unknown or revoked ids are simply absent.
    expect((await claim('fatou', alice, '?devices=9')).bundles).toEqual([]);
    for (const query of [
      '?devices=',
      '?devices=a',
      '?devices=1,,2',
      `?devices=${'1,'.repeat(100)}1`,
    ]) {
      const bad = await alice.request('POST', `/v1/users/fatou/prekey-bundles${query}`);
      expect(bad.status).toBe(400);
      expect(bad.json().code).toBe('BAD_REQUEST');
    }
  });

  it('answers an unknown user with USER_NOT_FOUND', async () => {
    const result = await alice.request('POST', '/v1/users/nobody/prekey-bundles');
    expect(result.status).toBe(404);
    expect(result.json().code).toBe('USER_NOT_FOUND');
  });
});
