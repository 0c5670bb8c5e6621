// The inbox forgets envelopes it processed long ago (Inbox.pruneProcessed), on a real
// encrypted store: only processed rows past the keep time go, the oldest first and a
// bounded number per call; pending and refused ones stay; a forgotten envelope sent
// again is taken as new (the session and the message id then keep it from showing twice).
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeSchema, PROCESSED_ENVELOPE_KEEP_MS } from '../../shared/wire/index.js';
import { Inbox } from './inbox.js';
import { type Store, openStore } from './store/open-store.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 10, 28);

describe('Inbox.pruneProcessed', () => {
  let dir: string;
  let db: Store;
  let inbox: Inbox;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-inbox-prune-'));
    db = openStore(path.join(dir, 'store.db'), randomBytes(32));
    // Storing and pruning use the store alone; processing is tested with real engines.
    const unused = null as never;
    inbox = new Inbox(
      unused,
      db,
      unused,
      unused,
      unused,
      unused,
      unused,
      unused,
      unused,
      unused,
      unused,
      unused,
    );
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const envelope = (serverId: number, serverTime: number) =>
    create(EnvelopeSchema, {
      serverId: BigInt(serverId),
      serverTime: BigInt(serverTime),
      senderUser: 'alice',
      senderDevice: 1,
      ciphertext: Uint8Array.from([1, 2, 3]),
    });
  const setState = (serverId: number, state: 'processed' | 'failed') =>
    db
      .prepare(`UPDATE inbox SET state = ?, ciphertext = x'' WHERE server_id = ?`)
      .run(state, serverId);
  const stored = () =>
    db.prepare('SELECT server_id, state FROM inbox ORDER BY server_id').all() as {
      server_id: number;
      state: string;
    }[];

  it('deletes processed rows past the keep time only', () => {
    const old = NOW - PROCESSED_ENVELOPE_KEEP_MS - DAY;
    const recent = NOW - PROCESSED_ENVELOPE_KEEP_MS + DAY;
    inbox.storeRaw([
      envelope(1, old),
      envelope(2, old),
      envelope(3, old),
      envelope(4, old),
      envelope(5, recent),
      envelope(6, recent),
    ]);
    for (const id of [1, 2, 5]) setState(id, 'processed');
    setState(3, 'failed');
    expect(inbox.pruneProcessed(NOW)).toBe(2);
    expect(stored()).toEqual([
      { server_id: 3, state: 'failed' },
      { server_id: 4, state: 'pending' },
      { server_id: 5, state: 'processed' },
      { server_id: 6, state: 'pending' },
    ]);
    expect(inbox.pruneProcessed(NOW)).toBe(0);
  });

  it('looks at a bounded number of the oldest processed rows per call', () => {
    const old = NOW - PROCESSED_ENVELOPE_KEEP_MS - DAY;
    inbox.storeRaw(Array.from({ length: 25 }, (_, i) => envelope(i + 1, old)));
    for (let id = 1; id <= 25; id++) setState(id, 'processed');
    expect(inbox.pruneProcessed(NOW, 10)).toBe(10);
    expect(stored()[0]?.server_id).toBe(11);
    expect(inbox.pruneProcessed(NOW, 10)).toBe(10);
    expect(inbox.pruneProcessed(NOW, 10)).toBe(5);
    expect(stored()).toEqual([]);
  });

  it('takes a forgotten envelope sent again as new, and a remembered one as already read', () => {
    const old = NOW - PROCESSED_ENVELOPE_KEEP_MS - DAY;
    inbox.storeRaw([envelope(1, old), envelope(2, NOW - DAY)]);
    setState(1, 'processed');
    setState(2, 'processed');
    inbox.pruneProcessed(NOW);
    // Sent again: the remembered one is acknowledged again, the forgotten one waits.
    expect(inbox.storeRaw([envelope(1, old), envelope(2, NOW - DAY)])).toEqual([2n]);
    expect(stored()).toEqual([
      { server_id: 1, state: 'pending' },
      { server_id: 2, state: 'processed' },
    ]);
  });
});
