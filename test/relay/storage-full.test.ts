// The relay's own disk full: a submission or an upload is refused with STORAGE_FULL
// (nothing stored, the client waits and sends again), the operator is told, and the
// relay serves normally once space is back. The full disk is SQLite's own:
// `max_page_count` caps the relay's real database, and SQLite then fails exactly as
// on a full disk (SQLITE_FULL).
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOneTimePrekeys } from '../../shared/crypto/index.js';
import { PrekeyUploadSchema, encode } from '../../shared/wire/index.js';
import { TestRelay, text } from './harness.js';

describe('a full disk on the relay', () => {
  let relay: TestRelay;
  let db: Database.Database;
  beforeAll(async () => {
    relay = await TestRelay.start();
    db = (relay.relay.context.store as unknown as { db: Database.Database }).db;
  });
  afterAll(() => relay.close());

  function capDatabase(): void {
    db.exec('VACUUM');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  }

  it('refuses what it cannot store with STORAGE_FULL, then takes it once there is room', async () => {
    const alice = await relay.newDevice('alice');
    const bob = await relay.newDevice('bob');
    const a = await alice.connect();
    const metrics = async () =>
      Number(
        /relay_errors_total\{code="STORAGE_FULL"\} (\d+)/.exec(
          await (await fetch(`${relay.url}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    capDatabase();

    const refused = await a.submitTo([bob.address], () => new Uint8Array(20_000));
    expect(refused.body.value).toMatchObject({ code: 'STORAGE_FULL', fatal: false });
    expect((refused.body.value as { message: string }).message).toMatch(/disk is full/);
    expect((await relay.relay.context.store.stats()).queuedEnvelopes).toBe(0);

    // An HTTP request that writes: 507, the same code and sentence.
    const upload = encode(PrekeyUploadSchema, {
      oneTimePrekeys: generateOneTimePrekeys(1000, 200).map((p) => ({
        id: p.id,
        publicKey: p.keyPair.publicKey,
      })),
    });
    const http = await bob.request('PUT', '/v1/devices/self/prekeys', { body: upload });
    expect(http.status).toBe(507);
    expect(http.json()).toMatchObject({ code: 'STORAGE_FULL' });
    expect(await metrics()).toBe(2);

    db.pragma('max_page_count = 1073741823');
    const accepted = await a.submitTo([bob.address], () => text('après'));
    expect(accepted.body.case).toBe('submitOk');
    const b = await bob.connect();
    const [envelope] = await b.envelopes(1);
    expect(envelope!.body.value.ciphertext).toEqual(text('après'));
    await Promise.all([a.close(), b.close()]);
  });
});
