// Remote wipe through the engine, with a real relay: a device the ICT cell revokes
// with --wipe erases its store, files and keys, whether it is connected at that moment
// or connects later; a device only revoked keeps its data and says why it is refused;
// an order not signed by the pinned relay key for this connection is ignored.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError, type EngineEvent } from '../../shared/api/index.js';
import { generateEd25519KeyPair, sign } from '../../shared/crypto/index.js';
import {
  PROTOCOL_VERSION,
  encodeServerFrame,
  wipeOrderSignedBytes,
} from '../../shared/wire/index.js';
import { loadRelayKey } from '../../relay/data-dir.js';
import { Engine } from '../../main/engine/engine.js';
import { RelaySocket } from '../../main/engine/relay/relay-socket.js';
import {
  PASSPHRASE,
  eventually,
  freshRelayPerTest,
  nextEvent,
  received,
  unwrap,
} from './support.js';

type Revoked = Extract<EngineEvent, { type: 'revoked' }>;
const isRevoked = (event: EngineEvent): event is Revoked => event.type === 'revoked';

describe('remote wipe', () => {
  const env = freshRelayPerTest();

  /** Bob with a conversation and a file, as on a laptop in daily use. */
  async function bobWithData() {
    const { ws } = env;
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    bob.start();
    unwrap(await alice.sendText('bob', 'Le projet de décret, confidentiel.'));
    await received(bob, 'Le projet de décret, confidentiel.');
    const file = path.join(ws.dataDir('files'), 'décret.pdf');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(100 * 1024, 3));
    const sent = unwrap(await alice.sendFile('bob', file));
    await eventually(
      () =>
        bob.messages.message(sent.id)?.attachments?.[0]?.state === 'available' ? true : undefined,
      'the file at Bob',
    );
    const bobDir = ws.dataDir('bob-2');
    expect(readdirSync(bobDir).sort()).toEqual(
      expect.arrayContaining(['attachments', 'store-key.json', 'store.db']),
    );
    return { alice, bob, bobDir };
  }

  it('erases a connected device at once, and nothing of anyone else', async () => {
    const { alice, bob, bobDir } = await bobWithData();
    const wiped = nextEvent(bob, isRevoked, 'the revoked event');
    await env.relay.revoke('bob', bob.me.deviceId, { wipe: true });
    expect(await wiped).toEqual({ type: 'revoked', wiped: true });
    expect(readdirSync(bobDir)).toEqual([]);
    // Nothing opens it any more.
    await expect(Engine.open({ dataDir: bobDir, passphrase: PASSPHRASE })).rejects.toThrow();
    // Alice is untouched and still works.
    unwrap(await alice.sendText('bob', 'Message pour un appareil effacé.'));
    expect(alice.connection).toBe('online');
  });

  it('erases a device that was offline when the order was given, at its next connection', async () => {
    const { bob, bobDir } = await bobWithData();
    await bob.close();
    await env.relay.revoke('bob', undefined, { wipe: true });
    const again = await env.ws.open('bob-2');
    const wiped = nextEvent(again, isRevoked, 'the revoked event');
    again.start();
    expect(await wiped).toEqual({ type: 'revoked', wiped: true });
    expect(readdirSync(bobDir)).toEqual([]);
    // What `comgov sync` says.
    await expect(again.whenCaughtUp()).rejects.toMatchObject({ code: 'DEVICE_WIPED' });
  });

  it('an app left open on a device revoked earlier still carries out a wipe ordered later', async () => {
    const { bob, bobDir } = await bobWithData();
    await bob.close();
    const open = await Engine.open({
      dataDir: bobDir,
      passphrase: PASSPHRASE,
      minRetryMs: 20,
      revokedRecheckMs: 100,
    });
    const revoked = nextEvent(open, isRevoked, 'the revocation');
    open.start();
    await env.relay.revoke('bob');
    expect(await revoked).toEqual({ type: 'revoked', wiped: false });
    // The computer is reported stolen an hour later; the app never closed.
    const wiped = nextEvent(open, isRevoked, 'the wipe');
    await env.relay.revoke('bob', undefined, { wipe: true });
    expect(await wiped).toEqual({ type: 'revoked', wiped: true });
    expect(readdirSync(bobDir)).toEqual([]);
  });

  it('a device only revoked keeps its data and says why it is refused', async () => {
    const { bob, bobDir } = await bobWithData();
    const revoked = nextEvent(bob, isRevoked, 'the revoked event');
    await env.relay.revoke('bob', bob.me.deviceId);
    expect(await revoked).toEqual({ type: 'revoked', wiped: false });
    expect(existsSync(path.join(bobDir, 'store.db'))).toBe(true);
    expect(unwrap(await bob.listConversations()).length).toBe(1);
    const error = await bob.whenCaughtUp().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'DEVICE_REVOKED' });
    // It cannot send any more: said at once, rather than a message waiting for ever.
    const [conversation] = unwrap(await bob.listConversations());
    const [last] = unwrap(await bob.listMessages(conversation!.id));
    for (const attempt of [
      bob.sendText('alice', 'Encore un message ?'),
      bob.react(last!.id, '👍'),
      bob.createGroup('Cabinet', ['alice']),
    ]) {
      expect(await attempt).toMatchObject({ ok: false, error: { code: 'DEVICE_REVOKED' } });
    }
    expect(bob.messages.messages(conversation!.id, undefined, 50).map((m) => m.text)).not.toContain(
      'Encore un message ?',
    );
  });
});

describe('a wipe order the client checks', () => {
  const env = freshRelayPerTest();

  it('is ignored unless signed by the pinned relay key for this very connection', async () => {
    const bob = await env.ws.enrol('bob');
    const credentials = {
      userId: bob.me.userId,
      deviceId: bob.me.deviceId,
      identitySecretKey: bob.me.identity.secretKey,
      relayPublicKey: env.relay.publicKey,
    };
    await bob.close();
    const socket = new RelaySocket({ baseUrl: env.relay.url, credentials, minRetryMs: 20 });
    const orders: number[] = [];
    socket.on('wipe', (at) => orders.push(at));
    socket.start();
    await socket.whenOnline();
    // What a man in the middle would inject, through the socket's own frame handling.
    const internals = socket as unknown as {
      ws: unknown;
      answeredNonce: Uint8Array;
      onFrame(ws: unknown, data: Buffer): void;
    };
    const inject = (signature: Uint8Array) =>
      internals.onFrame(
        internals.ws,
        Buffer.from(
          encodeServerFrame({
            version: PROTOCOL_VERSION,
            requestId: 0,
            body: { case: 'wipe', value: { requestedAt: 1000n, signature } },
          }),
        ),
      );
    const order = (nonce: Uint8Array) =>
      wipeOrderSignedBytes(env.relay.publicKey, nonce, bob.me.userId, bob.me.deviceId, 1000);
    const nonce = internals.answeredNonce;
    const relayKey = await loadRelayKey(env.relay.dataDir);
    // Signed by another key, for this connection's challenge.
    inject(sign(generateEd25519KeyPair().secretKey, order(nonce)));
    // Signed by the relay key, but for another challenge (an order replayed).
    inject(sign(relayKey.secretKey, order(new Uint8Array(32).fill(1))));
    expect(orders).toEqual([]);
    expect(socket.connectionState).toBe('online');
    // The genuine order for this connection is taken.
    inject(sign(relayKey.secretKey, order(nonce)));
    expect(orders).toEqual([1000]);
    expect(socket.connectionState).toBe('stopped');
  });
});
