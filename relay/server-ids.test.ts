import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerIds } from './server-ids.js';
import { SqliteStore } from './store/sqlite-store.js';

describe('server ids', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-server-ids-'));
    file = path.join(dir, 'relay.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never gives again an id given before a crash, though nothing was committed', async () => {
    let store = new SqliteStore(file);
    let ids = await ServerIds.open(store, 0, 100);
    const before = [ids.take(), ids.take(), ids.take()];
    expect(before).toEqual([1, 2, 3]);
    expect(before.every((id) => ids.isReserved(id))).toBe(true);
    // The process dies here: the three ids reached devices, no commit recorded them.
    store.close();
    store = new SqliteStore(file);
    ids = await ServerIds.open(store, 0, 100);
    expect(ids.take()).toBeGreaterThan(100);
    store.close();
  });

  it('starts above the clock, so a relay restored from an older backup gives no id again', async () => {
    const store = new SqliteStore(file);
    const at = Date.UTC(2026, 10, 27);
    const ids = await ServerIds.open(store, at, 100);
    const lost = ids.take();
    expect(lost).toBe(at * 1000);
    store.close();
    // The data folder comes back from a backup taken before that run: nothing of it
    // is recorded, but the clock has moved on.
    rmSync(file);
    const restored = new SqliteStore(file);
    const again = await ServerIds.open(restored, at + 60_000, 100);
    expect(again.take()).toBeGreaterThan(lost);
    restored.close();
  });

  it('has the next block recorded by a commit before the current one runs out', async () => {
    const store = new SqliteStore(file);
    const ids = await ServerIds.open(store, 0, 8);
    for (let i = 0; i < 3; i++) ids.take();
    expect(ids.reservationToCommit()).toBeUndefined();
    ids.take(); // 4: half the block (1..8) is given
    expect(ids.reservationToCommit()).toBe(13);
    // Ids beyond the durable reservation are not to be shown before their commit.
    for (let i = 0; i < 5; i++) ids.take();
    expect(ids.isReserved(8)).toBe(true);
    expect(ids.isReserved(9)).toBe(false);
    // Asked again before that commit is durable: the request covers the ids given since.
    const again = ids.reservationToCommit()!;
    expect(again).toBe(18);
    await store.commit({ submissions: [], acks: [], reserveServerIdsUpTo: again });
    ids.committed(again);
    expect(ids.isReserved(18)).toBe(true);
    expect(await store.serverIdFloor()).toBe(18);
    store.close();
  });
});
