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

  it('counts the blobs finalised before version 2 as named by a message', () => {
    store.close();
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    const insert = old.prepare(
      `INSERT INTO blobs (blob_id, owner_user, owner_device, length, hash, created_at, finalised_at, expires_at)
       VALUES (?, 'alice', 1, 10, NULL, ?, ?, ?)`,
    );
    insert.run('a'.repeat(32), now, now + 5, now + 1e9);
    insert.run('b'.repeat(32), now, null, now + 1e9);
    old.close();
    store = new SqliteStore(file);
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT blob_id, referenced_at FROM blobs ORDER BY blob_id').all();
    db.close();
    expect(rows).toEqual([
      { blob_id: 'a'.repeat(32), referenced_at: now + 5 },
      { blob_id: 'b'.repeat(32), referenced_at: null },
    ]);
  });

  /** A blob of Alice's, its id `id` repeated. */
  const blob = (id: string, finalisedAt: number | null, expiresAt = now + 1e9) =>
    store.createBlob({
      blobId: id.repeat(32),
      ownerUser: 'alice',
      ownerDevice: 1,
      length: 10,
      hash: null,
      createdAt: now,
      finalisedAt,
      expiresAt,
      referencedAt: null,
    });

  it('finds abandoned uploads, blobs no message named, and expired blobs', async () => {
    await blob('a', now); // finalised, never named
    await blob('b', now); // finalised, then named
    await blob('c', null); // upload never finished
    await blob('d', now, now + 10); // named, then expired
    await store.referenceBlobs(['b'.repeat(32), 'd'.repeat(32), 'e'.repeat(32)], now + 1, now + 1);
    expect((await store.getBlob('b'.repeat(32)))?.referencedAt).toBe(now + 1);
    const stale = async (at: number, unfinishedBefore: number, unreferencedBefore: number) =>
      (await store.staleBlobs(at, unfinishedBefore, unreferencedBefore, 10))
        .map((b) => b.blobId[0])
        .sort();
    expect(await stale(now + 5, now, now)).toEqual([]);
    expect(await stale(now + 5, now + 1, now)).toEqual(['c']);
    expect(await stale(now + 5, now, now + 1)).toEqual(['a']);
    expect(await stale(now + 10, now, now)).toEqual(['d']);
    // Named once is enough: a later reference does not move the date.
    await store.referenceBlobs(['b'.repeat(32)], now + 100, now + 100);
    expect((await store.getBlob('b'.repeat(32)))?.referencedAt).toBe(now + 1);
  });

  it('keeps a named blob as long as the message naming it may wait, never reviving an expired one', async () => {
    await blob('a', now, now + 10); // near its end: kept longer
    await blob('b', now, now + 1e9); // far from it: unchanged
    await blob('c', now, now + 3); // already expired when named: stays so
    await store.referenceBlobs(
      ['a', 'b', 'c'].map((id) => id.repeat(32)),
      now + 5,
      now + 1000,
    );
    const expiry = async (id: string) => (await store.getBlob(id.repeat(32)))?.expiresAt;
    expect(await expiry('a')).toBe(now + 1000);
    expect(await expiry('b')).toBe(now + 1e9);
    expect(await expiry('c')).toBe(now + 3);
    expect((await store.getBlob('c'.repeat(32)))?.referencedAt).toBeNull();
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
          envelopes: [
            {
              ciphertext: new Uint8Array([7, 7]),
              recipients: [
                { ...b, serverId: 11 },
                { ...c, serverId: 12 },
              ],
            },
          ],
        },
      ],
      acks: [],
    });
    expect(result.removed).toEqual([]);
    const [toBob, toCarol] = [{ serverId: 11 }, { serverId: 12 }];
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

  it('keeps the server id floor above every id written or reserved, also after deletion', async () => {
    const a = await device('alice');
    const b = await device('bob');
    const submit = (serverId: number) =>
      store.commit({
        submissions: [
          {
            senderUser: 'alice',
            senderDevice: a.deviceId,
            now,
            envelopes: [{ ciphertext: new Uint8Array([1]), recipients: [{ ...b, serverId }] }],
          },
        ],
        acks: [],
      });
    expect(await store.serverIdFloor()).toBe(0);
    await submit(40);
    expect(await store.serverIdFloor()).toBe(40);
    await store.commit({ submissions: [], acks: [{ ...b, serverIds: [40] }] });
    expect(await store.serverIdFloor()).toBe(40);
    await store.reserveServerIds(1000);
    await store.commit({ submissions: [], acks: [], reserveServerIdsUpTo: 500 });
    expect(await store.serverIdFloor()).toBe(1000);
    await store.commit({ submissions: [], acks: [], reserveServerIdsUpTo: 2000 });
    expect(await store.serverIdFloor()).toBe(2000);
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
          envelopes: [{ ciphertext: new Uint8Array([1]), recipients: [{ ...b, serverId: 1 }] }],
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
    for (const [serverId, t] of [
      [1, now - 100],
      [2, now],
    ] as const) {
      await store.commit({
        submissions: [
          {
            senderUser: 'alice',
            senderDevice: a.deviceId,
            now: t,
            envelopes: [{ ciphertext: new Uint8Array([1]), recipients: [{ ...b, serverId }] }],
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
