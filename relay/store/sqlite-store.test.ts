import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  const now = 1_700_000_000_000;
  const key = (n: number) => new Uint8Array(32).fill(n);

  async function device(userId: string, prekeys = 3) {
    const code = new TextEncoder().encode(`${userId}-${Math.random()}`);
    await store.inviteUser(
      { userId, displayName: userId, institution: '', title: '' },
      code,
      now,
      now + 1000,
    );
    const result = await store.enrol({
      codeHash: code,
      identityKey: key(1),
      signedPrekey: { id: 1, publicKey: key(2), signature: new Uint8Array(64) },
      oneTimePrekeys: Array.from({ length: prekeys }, (_, i) => ({
        id: i + 1,
        publicKey: key(10 + i),
      })),
      now,
      certify: () => new Uint8Array(64),
    });
    if (!result.ok) throw new Error(result.code);
    return result.device;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-store-'));
    store = new SqliteStore(path.join(dir, 'relay.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a fresh database to the latest version, in WAL with full sync', () => {
    const db = new Database(path.join(dir, 'relay.db'));
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database made by a newer relay', () => {
    store.close();
    const db = new Database(path.join(dir, 'relay.db'));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteStore(path.join(dir, 'relay.db'))).toThrow(/newer than this relay/);
  });

  it('stores a fan-out once and frees it when the last recipient acknowledges', async () => {
    const a = await device('alice');
    const b = await device('bob');
    const c = await device('carol');
    const result = await store.commit({
      submissions: [
        {
          senderUser: a.userId,
          senderDevice: a.deviceId,
          now,
          envelopes: [{ ciphertext: new Uint8Array([7, 7]), recipients: [b, c] }],
        },
      ],
      acks: [],
    });
    const [toBob, toCarol] = result.submissions[0]!.queued[0]!;
    expect((await store.stats()).storedMessages).toBe(1);
    expect((await store.loadQueue(b, 0, 10)).map((e) => e.serverId)).toEqual([toBob!.serverId]);
    // An ack by the wrong device removes nothing.
    const wrong = await store.commit({
      submissions: [],
      acks: [{ ...c, serverIds: [toBob!.serverId] }],
    });
    expect(wrong.removed).toEqual([]);
    await store.commit({ submissions: [], acks: [{ ...b, serverIds: [toBob!.serverId] }] });
    expect((await store.stats()).storedMessages).toBe(1);
    await store.commit({ submissions: [], acks: [{ ...c, serverIds: [toCarol!.serverId] }] });
    expect(await store.stats()).toMatchObject({ storedMessages: 0, queuedEnvelopes: 0 });
  });

  it('never reuses a server id after deletion', async () => {
    const a = await device('alice');
    const b = await device('bob');
    const submit = () =>
      store.commit({
        submissions: [
          {
            senderUser: 'alice',
            senderDevice: a.deviceId,
            now,
            envelopes: [{ ciphertext: new Uint8Array([1]), recipients: [b] }],
          },
        ],
        acks: [],
      });
    const first = (await submit()).submissions[0]!.queued[0]![0]!.serverId;
    await store.commit({ submissions: [], acks: [{ ...b, serverIds: [first] }] });
    const second = (await submit()).submissions[0]!.queued[0]![0]!.serverId;
    expect(second).toBeGreaterThan(first);
  });

  it('hands out one-time prekeys in order, once each, and reports what is left', async () => {
    await device('bob', 2);
    const claims = [
      await store.claimPrekeyBundles('bob'),
      await store.claimPrekeyBundles('bob'),
      await store.claimPrekeyBundles('bob'),
    ];
    expect(claims.map((c) => c[0]!.oneTimePrekey?.id ?? null)).toEqual([1, 2, null]);
    expect(claims.map((c) => c[0]!.remaining)).toEqual([1, 0, 0]);
  });

  it('revokes a device: purges its queue and prekeys, keeps other devices', async () => {
    const a = await device('alice');
    const b = await device('bob');
    await store.commit({
      submissions: [
        {
          senderUser: 'alice',
          senderDevice: a.deviceId,
          now,
          envelopes: [{ ciphertext: new Uint8Array([1]), recipients: [b] }],
        },
      ],
      acks: [],
    });
    expect(await store.revoke('bob', b.deviceId, now)).toEqual([
      { userId: 'bob', deviceId: b.deviceId },
    ]);
    expect(await store.stats()).toMatchObject({
      queuedEnvelopes: 0,
      storedMessages: 0,
      revokedDevices: 1,
    });
    expect(await store.activeDevices('bob')).toEqual([]);
    expect(await store.activeDevices('alice')).toHaveLength(1);
    expect(await store.revoke('bob', b.deviceId, now)).toEqual([]);
  });

  it('expires queue entries older than the TTL', async () => {
    const a = await device('alice');
    const b = await device('bob');
    for (const t of [now - 100, now]) {
      await store.commit({
        submissions: [
          {
            senderUser: 'alice',
            senderDevice: a.deviceId,
            now: t,
            envelopes: [{ ciphertext: new Uint8Array([1]), recipients: [b] }],
          },
        ],
        acks: [],
      });
    }
    expect(await store.expireQueue(now - 50, 100)).toHaveLength(1);
    expect(await store.loadQueue(b, 0, 10)).toHaveLength(1);
    expect((await store.stats()).storedMessages).toBe(1);
  });
});
