import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChallenge, signHttpRequest } from '../../shared/wire/index.js';
import { type TestDevice, TestRelay, TestSocket } from './harness.js';

describe('device authentication', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  beforeAll(async () => {
    relay = await TestRelay.start({ authTimeoutMs: 400, externalChangePollMs: 50 });
    alice = await relay.newDevice('alice');
  });
  afterAll(() => relay.close());

  it('accepts a device that signs the challenge', async () => {
    const socket = await alice.connect();
    await socket.next('queueDrained');
    await socket.close();
  });

  it('refuses a replayed challenge response on a new connection', async () => {
    const first = await TestSocket.open(relay.relay.wsUrl);
    const challenge = await first.next('challenge');
    const signature = signChallenge(alice, challenge.body.value.nonce);
    first.send({
      requestId: 1,
      body: { case: 'auth', value: { userId: 'alice', deviceId: alice.deviceId, signature } },
    });
    await first.next('authOk');
    const second = await TestSocket.open(relay.relay.wsUrl);
    await second.next('challenge');
    second.send({
      requestId: 1,
      body: { case: 'auth', value: { userId: 'alice', deviceId: alice.deviceId, signature } },
    });
    const error = await second.next('error');
    expect(error.body.value.code).toBe('AUTH_FAILED');
    expect(error.body.value.fatal).toBe(true);
    await second.closed;
    expect(second.closeCode).toBe(1008);
    await first.close();
  });

  it('refuses a signature by another key and an unknown device', async () => {
    const mallory = await relay.newDevice('mallory');
    for (const [userId, deviceId] of [
      ['alice', alice.deviceId],
      ['alice', 77],
    ] as const) {
      const socket = await TestSocket.open(relay.relay.wsUrl);
      const challenge = await socket.next('challenge');
      const signature = signChallenge(
        { ...mallory, userId, deviceId, identitySecretKey: mallory.identitySecretKey },
        challenge.body.value.nonce,
      );
      socket.send({ requestId: 1, body: { case: 'auth', value: { userId, deviceId, signature } } });
      expect((await socket.next('error')).body.value.code).toBe('AUTH_FAILED');
      await socket.closed;
    }
  });

  it('closes a socket that does not authenticate in time', async () => {
    const socket = await TestSocket.open(relay.relay.wsUrl);
    await socket.next('challenge');
    const error = await socket.next('error');
    expect(error.body.value.code).toBe('AUTH_TIMEOUT');
    await socket.closed;
  });

  it('refuses any other frame before authentication', async () => {
    const socket = await TestSocket.open(relay.relay.wsUrl);
    await socket.next('challenge');
    socket.send({ requestId: 9, body: { case: 'ping', value: {} } });
    const error = await socket.next('error');
    expect(error.body.value.code).toBe('NOT_AUTHENTICATED');
    expect(error.requestId).toBe(9);
    await socket.closed;
  });

  it('closes the open socket of a device revoked by the CLI, and refuses it afterwards', async () => {
    const victim = await relay.newDevice('victor');
    const other = await relay.newDevice('victor');
    const socket = await victim.connect();
    const otherSocket = await other.connect();
    await relay.revoke('victor', victim.deviceId);
    const error = await socket.next('error');
    expect(error.body.value.code).toBe('DEVICE_REVOKED');
    await socket.closed;
    // The user's other device stays connected and can still be reached.
    const pong = otherSocket.requestId();
    otherSocket.send({ requestId: pong, body: { case: 'ping', value: {} } });
    expect((await otherSocket.reply(pong)).body.case).toBe('pong');
    await expect(victim.connect()).rejects.toThrow(/DEVICE_REVOKED/);
    const http = await victim.request('GET', '/v1/directory');
    expect(http.status).toBe(403);
    expect(http.json().code).toBe('DEVICE_REVOKED');
    await otherSocket.close();
  });

  it('closes the previous socket when the same device connects again', async () => {
    const first = await alice.connect();
    const second = await alice.connect();
    expect((await first.next('error')).body.value.code).toBe('REPLACED');
    await first.closed;
    await second.close();
  });

  describe('signed HTTP requests', () => {
    it('accept a fresh signature', async () => {
      expect((await alice.request('GET', '/v1/directory')).status).toBe(200);
    });

    it('refuse a replayed request', async () => {
      const headers = signHttpRequest(alice, 'GET', '/v1/directory');
      const first = await fetch(`${relay.url}/v1/directory`, { headers });
      expect(first.status).toBe(200);
      const again = await fetch(`${relay.url}/v1/directory`, { headers });
      expect(again.status).toBe(401);
      expect(((await again.json()) as { code: string }).code).toBe('HTTP_AUTH_REPLAY');
    });

    it('refuse a stale time, a wrong path and a missing signature', async () => {
      const stale = signHttpRequest(alice, 'GET', '/v1/directory', undefined, Date.now() - 600_000);
      const r1 = await fetch(`${relay.url}/v1/directory`, { headers: stale });
      expect(((await r1.json()) as { code: string }).code).toBe('HTTP_AUTH_STALE');
      const other = signHttpRequest(alice, 'GET', '/v1/users/alice');
      const r2 = await fetch(`${relay.url}/v1/directory`, { headers: other });
      expect(((await r2.json()) as { code: string }).code).toBe('HTTP_AUTH_FAILED');
      const r3 = await fetch(`${relay.url}/v1/directory`);
      expect(r3.status).toBe(401);
      expect(((await r3.json()) as { code: string }).code).toBe('HTTP_AUTH_MISSING');
    });
  });
});
