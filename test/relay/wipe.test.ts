// Remote wipe through `comgov-relay revoke --wipe`, against a running relay: the
// device learns it only after proving itself with its identity key, the order is
// signed by the relay key and bound to the connection's challenge, its delivery is
// recorded for the ICT cell (users, admin log), and a device not ordered is only
// refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asEd25519PublicKey, verify } from '../../shared/crypto/index.js';
import { signChallenge, wipeOrderSignedBytes } from '../../shared/wire/index.js';
import { runCli } from './cli-process.js';
import { TestRelay, TestSocket, type TestDevice, eventually } from './harness.js';

interface UsersJson {
  userId: string;
  devices: {
    deviceId: number;
    revokedAt: number | null;
    wipeRequestedAt: number | null;
    wipeDeliveredAt: number | null;
  }[];
}

/** Answers the challenge as `device` (with `signer`'s key) and returns the frames that follow. */
async function authenticate(relay: TestRelay, device: TestDevice, signer: TestDevice = device) {
  const socket = await TestSocket.open(relay.wsUrl);
  const challenge = await socket.next('challenge');
  const nonce = challenge.body.value.nonce;
  socket.send({
    requestId: 1,
    body: {
      case: 'auth',
      value: {
        userId: device.userId,
        deviceId: device.deviceId,
        signature: signChallenge(signer, nonce),
      },
    },
  });
  await socket.closed;
  return { nonce, frames: socket.frames.slice(1) };
}

describe('comgov-relay revoke --wipe', () => {
  let relay: TestRelay;
  const users = async () =>
    JSON.parse(
      (await runCli(['users', '--data', relay.dataDir, '--json'])).lastLine,
    ) as UsersJson[];

  beforeAll(async () => {
    relay = await TestRelay.start();
  });
  afterAll(() => relay.close());

  it('hands a signed order, bound to the challenge, to the device once it proves itself', async () => {
    const laptop = await relay.newDevice('chantal');
    const desktop = await relay.newDevice('chantal');
    const socket = await laptop.connect();
    const revoke = await runCli([
      ...[
        'revoke',
        '--data',
        relay.dataDir,
        '--user',
        'chantal',
        '--device',
        String(laptop.deviceId),
      ],
      '--wipe',
    ]);
    expect(revoke.stderr).toBe('');
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain(`Revoked device chantal/${laptop.deviceId} (1 device).`);
    expect(revoke.lastLine).toMatch(/^Wipe ordered \(device 1\): erases messages, files and keys/);
    const ordered = (await users()).find((u) => u.userId === 'chantal')!.devices[0]!;
    expect(ordered.wipeRequestedAt).toEqual(expect.any(Number));
    const relayKey = asEd25519PublicKey(relay.publicKey);
    const signed = (nonce: Uint8Array, deviceId = laptop.deviceId) =>
      wipeOrderSignedBytes(relay.publicKey, nonce, 'chantal', deviceId, ordered.wipeRequestedAt!);

    // Connected when the ICT cell acts: the order on the open socket, then the refusal.
    const live = await socket.next('wipe');
    expect(Number(live.body.value.requestedAt)).toBe(ordered.wipeRequestedAt);
    const challenge = socket.frames[0]!.body;
    if (challenge.case !== 'challenge') throw new Error('no challenge');
    expect(verify(relayKey, signed(challenge.value.nonce), live.body.value.signature)).toBe(true);
    expect((await socket.next('error')).body.value.code).toBe('DEVICE_REVOKED');
    await socket.closed;
    const delivered = await eventually(async () => {
      const device = (await users()).find((u) => u.userId === 'chantal')!.devices[0]!;
      return device.wipeDeliveredAt !== null ? device : undefined;
    }, 'the delivery recorded');
    expect(delivered.wipeDeliveredAt).toBeGreaterThanOrEqual(ordered.wipeRequestedAt!);

    // A stranger claiming to be the laptop, without its key, learns nothing.
    const stranger = await authenticate(relay, laptop, desktop);
    expect(stranger.frames.map((f) => f.body.case)).toEqual(['error']);
    expect(stranger.frames[0]!.body.value).toMatchObject({ code: 'AUTH_FAILED' });

    // Connecting again (it had not erased yet: a crash), it gets the order again,
    // bound to the new challenge: useless on another connection or for another device.
    const { nonce, frames } = await authenticate(relay, laptop);
    expect(frames.map((f) => f.body.case)).toEqual(['wipe', 'error']);
    const order = frames[0]!.body;
    if (order.case !== 'wipe') throw new Error('no wipe order');
    expect(verify(relayKey, signed(nonce), order.value.signature)).toBe(true);
    expect(verify(relayKey, signed(challenge.value.nonce), order.value.signature)).toBe(false);
    expect(verify(relayKey, signed(nonce, desktop.deviceId), order.value.signature)).toBe(false);
    expect(frames[1]!.body.value).toMatchObject({ code: 'DEVICE_REVOKED' });

    // The ICT cell sees it in `users` and, once, in the admin log.
    const text = await runCli(['users', '--data', relay.dataDir]);
    expect(text.stdout).toMatch(/device 1 {2}revoked .*, wiped /);
    const log = JSON.parse(
      (await runCli(['audit', '--data', relay.dataDir, '--json'])).lastLine,
    ) as {
      intact: boolean;
      entries: { actor: string; action: string; subject: string; details: unknown }[];
    };
    expect(log.intact).toBe(true);
    const chantal = log.entries.filter((e) => e.subject.startsWith('chantal/'));
    expect(chantal.map((e) => [e.actor, e.action, e.subject, e.details])).toEqual([
      ['enrolment', 'enrol', 'chantal/1', expect.anything()],
      ['enrolment', 'enrol', 'chantal/2', expect.anything()],
      [expect.stringMatching(/^cli:/), 'revoke', 'chantal/1', { devices: [1], wipe: [1] }],
      ['relay', 'wipe-delivered', 'chantal/1', {}],
    ]);

    // The other device was not concerned: it still connects.
    const other = await desktop.connect();
    await other.close();
  });

  it('reaches a device revoked earlier, and leaves a device not ordered alone', async () => {
    const lost = await relay.newDevice('didier');
    const kept = await relay.newDevice('etienne');
    await relay.revoke('didier');
    await relay.revoke('etienne');
    // Reported lost after its revocation.
    const wipe = await runCli(['revoke', '--data', relay.dataDir, '--user', 'didier', '--wipe']);
    expect(wipe.code).toBe(0);
    expect(wipe.lastLine).toMatch(/^Wipe ordered \(device 1\)/);
    const waiting = (await users()).find((u) => u.userId === 'didier')!.devices[0]!;
    expect(waiting).toMatchObject({ wipeRequestedAt: expect.any(Number), wipeDeliveredAt: null });
    expect((await runCli(['users', '--data', relay.dataDir])).stdout).toContain(
      'wipe ordered (not connected since)',
    );
    expect((await authenticate(relay, lost)).frames.map((f) => f.body.case)).toEqual([
      'wipe',
      'error',
    ]);
    const refused = await authenticate(relay, kept);
    expect(refused.frames.map((f) => f.body.case)).toEqual(['error']);
    expect(refused.frames[0]!.body.value).toMatchObject({ code: 'DEVICE_REVOKED' });
  });
});
