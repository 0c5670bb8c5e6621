import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asEd25519PublicKey } from '../../shared/crypto/index.js';
import {
  DirectorySchema,
  UserProfileSchema,
  decodeStrict,
  verifyCertificate,
} from '../../shared/wire/index.js';
import { TestRelay } from './harness.js';

describe('enrolment', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await TestRelay.start();
  });
  afterAll(() => relay.close());

  it('enrols a device with a good code and returns a relay-signed certificate', async () => {
    const code = await relay.invite('alice', { name: 'Alice Ndayishimiye', title: 'Directrice' });
    const device = await relay.enrol(code);
    expect(device.deviceId).toBe(1);
    expect(device.enrolment.user?.displayName).toBe('Alice Ndayishimiye');
    expect(device.enrolment.user?.title).toBe('Directrice');
    const cert = device.enrolment.certificate!;
    expect(cert.userId).toBe('alice');
    expect(cert.identityKey).toEqual(device.identity.publicKey);
    const relayKey = asEd25519PublicKey(device.enrolment.relayPublicKey);
    expect(verifyCertificate(relayKey, cert)).toBe(true);
    expect(verifyCertificate(relayKey, { ...cert, deviceId: 2 })).toBe(false);
  });

  it('gives a second device of the same user the next device id', async () => {
    const first = await relay.newDevice('bob');
    const second = await relay.newDevice('bob');
    expect([first.deviceId, second.deviceId]).toEqual([1, 2]);
    const profile = await first.request('GET', '/v1/users/bob');
    expect(profile.status).toBe(200);
    const user = decodeStrict(UserProfileSchema, profile.body, 1 << 20);
    expect(user.devices.map((d) => d.deviceId)).toEqual([1, 2]);
    const directory = await second.request('GET', '/v1/directory');
    const users = decodeStrict(DirectorySchema, directory.body, 1 << 20).users;
    expect(users.map((u) => u.userId)).toContain('bob');
  });

  it('sends the directory again only when it changed (ETag, If-None-Match)', async () => {
    const reader = await relay.newDevice('reader');
    const first = await reader.request('GET', '/v1/directory');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const same = await reader.request('GET', '/v1/directory', {
      headers: { 'if-none-match': etag! },
    });
    expect(same.status).toBe(304);
    expect(same.body.length).toBe(0);
    // Someone new: the whole directory again, under another tag.
    await relay.invite('newcomer');
    const changed = await reader.request('GET', '/v1/directory', {
      headers: { 'if-none-match': etag! },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const users = decodeStrict(DirectorySchema, changed.body, 1 << 20).users;
    expect(users.map((u) => u.userId)).toContain('newcomer');
    // A tag is no credential: without a valid signature, 401 whatever the tag.
    const stranger = await fetch(`${relay.url}/v1/directory`, {
      headers: { 'if-none-match': changed.headers.get('etag')! },
    });
    expect(stranger.status).toBe(401);
  });

  it('refuses a code that was already used', async () => {
    const code = await relay.invite('carol');
    await relay.enrol(code);
    const { result } = await relay.enrolRaw(code);
    expect(result.status).toBe(409);
    expect(result.json().code).toBe('ENROLMENT_CODE_USED');
    expect(result.json().message).toMatch(/ask the ICT cell/);
  });

  it('refuses an expired code', async () => {
    const code = await relay.invite('dave', { expiresAt: Date.now() - 1 });
    const { result } = await relay.enrolRaw(code);
    expect(result.status).toBe(410);
    expect(result.json().code).toBe('ENROLMENT_CODE_EXPIRED');
  });

  it('refuses an unknown or malformed code', async () => {
    const unknown = await relay.enrolRaw('AAAA-BBBB-CCCC-DDDD-EEEE-FFFF');
    expect(unknown.result.status).toBe(404);
    expect(unknown.result.json().code).toBe('ENROLMENT_CODE_UNKNOWN');
    const malformed = await relay.enrolRaw('not a code');
    expect(malformed.result.json().code).toBe('ENROLMENT_CODE_UNKNOWN');
  });

  it('accepts the code typed in lower case without dashes', async () => {
    const code = await relay.invite('erin');
    const device = await relay.enrol(code.toLowerCase().replace(/-/g, ' '));
    expect(device.userId).toBe('erin');
  });

  it('refuses a signed prekey whose signature does not verify, and keeps the code usable', async () => {
    const code = await relay.invite('frank');
    const bad = await relay.enrolRaw(code, {
      mutate: (r) => {
        r.signedPrekey.signature[0]! ^= 1;
      },
    });
    expect(bad.result.status).toBe(400);
    expect(bad.result.json().code).toBe('BAD_SIGNED_PREKEY');
    const good = await relay.enrol(code);
    expect(good.deviceId).toBe(1);
  });

  it('refuses an enrolment whose proof of the identity key is wrong', async () => {
    const code = await relay.invite('gina');
    const bad = await relay.enrolRaw(code, {
      mutate: (r) => {
        r.proof[5]! ^= 1;
      },
    });
    expect(bad.result.json().code).toBe('BAD_PROOF');
  });

  it('refuses unknown fields and garbage bodies with a code', async () => {
    const garbage = await relay.post('/v1/enrol', new Uint8Array([0xff, 0xff, 0xff]));
    expect(garbage.status).toBe(400);
    expect(['BAD_REQUEST', 'UNKNOWN_FIELD']).toContain(garbage.json().code);
    const json = await fetch(`${relay.url}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { code: string }).code).toBe('BAD_REQUEST');
  });
});
