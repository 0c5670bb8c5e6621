// `comgov-relay backup` against a running relay, then a restore from its folder.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../../relay/config.js';
import { openStore } from '../../relay/data-dir.js';
import { startRelay } from '../../relay/server.js';
import { blake2b } from '../../shared/crypto/index.js';
import { create, finalise, patch } from './blob-requests.js';
import { runCli } from './cli-process.js';
import { type TestDevice, TestRelay, text, untext } from './harness.js';

async function uploadBlob(device: TestDevice, data: Uint8Array, complete: boolean) {
  const blobId = await create(device, data.length);
  expect((await patch(device, blobId, 0, data)).status).toBe(204);
  if (complete) expect((await finalise(device, blobId, blake2b(data, 32))).status).toBe(200);
  return blobId;
}

describe('comgov-relay backup', () => {
  let relay: TestRelay;
  let out: string;
  beforeAll(async () => {
    relay = await TestRelay.start();
    out = mkdtempSync(path.join(tmpdir(), 'comgov-relay-backup-'));
  });
  afterAll(async () => {
    await relay.close().catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  it('copies a running relay (users, queued envelopes, finalised blobs) and starts from the copy', async () => {
    const alice = await relay.newDevice('alice');
    const bob = await relay.newDevice('bob');
    const socket = await alice.connect();
    const reply = await socket.submitTo([bob.address], () => text('à lire après restauration'));
    expect(reply.body.case).toBe('submitOk');
    const data = new Uint8Array(nodeRandomBytes(300_000));
    const kept = await uploadBlob(alice, data, true);
    await uploadBlob(alice, new Uint8Array(nodeRandomBytes(1000)), false); // not finalised

    const backup = await runCli(['backup', '--data', relay.dataDir, '--out', out]);
    expect(backup.code).toBe(0);
    const folder = backup.lastLine;
    expect(path.dirname(folder)).toBe(out);
    expect(path.basename(folder)).toMatch(/^comgov-relay-backup-\d{4}-\d\d-\d\dT/);
    expect(backup.stderr).toMatch(/relay\.key was not copied/);
    expect(readdirSync(out)).toEqual([path.basename(folder)]); // no .partial left
    expect(existsSync(path.join(folder, 'relay.key'))).toBe(false);
    expect(existsSync(path.join(folder, 'relay.pub'))).toBe(true);
    expect(readdirSync(path.join(folder, 'blobs'))).toEqual([kept]);
    expect(readFileSync(path.join(folder, 'blobs', kept)).equals(Buffer.from(data))).toBe(true);

    // The relay is still serving after the backup.
    const after = await socket.submitTo([bob.address], () => text('après la sauvegarde'));
    expect(after.body.case).toBe('submitOk');
    await socket.close();

    // Restore: the backup folder plus the key kept from the installation.
    const restored = path.join(out, 'restored');
    cpSync(folder, restored, { recursive: true });
    copyFileSync(path.join(relay.dataDir, 'relay.key'), path.join(restored, 'relay.key'));
    const originalKey = relay.publicKey;
    await relay.close();

    const store = openStore(restored);
    try {
      const queued = await store.loadQueue(bob.address, 0, 10);
      expect(queued.map((e) => untext(e.ciphertext))).toEqual(['à lire après restauration']);
      expect((await store.getBlob(kept))?.finalisedAt).not.toBeNull();
      expect((await store.stats()).blobs).toBe(1);
    } finally {
      store.close();
    }
    const users = await runCli(['users', '--data', restored, '--json']);
    expect((JSON.parse(users.lastLine) as { userId: string }[]).map((u) => u.userId)).toEqual([
      'alice',
      'bob',
    ]);
    const again = await startRelay({
      dataDir: restored,
      config: mergeConfig({}),
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      processMetrics: false,
    });
    try {
      expect(Buffer.from(again.publicKey).equals(Buffer.from(originalKey))).toBe(true);
    } finally {
      await again.close();
    }
  });

  it('refuses a data folder that is not a relay, saying so', async () => {
    const result = await runCli(['backup', '--data', path.join(out, 'nothing'), '--out', out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/comgov-relay:/);
  });
});
