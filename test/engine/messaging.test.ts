// The engine against a real relay (port 0) with real WebSockets and real
// encrypted stores: the scenarios of the engine stage.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../shared/api/contract.js';
import { PROCESSED_ENVELOPE_KEEP_MS } from '../../shared/wire/index.js';
import { Engine } from '../../main/engine/engine.js';
import { checkSearchIndex } from '../../main/engine/search/search-schema.js';
import {
  PASSPHRASE,
  TestRelay,
  Workspace,
  eventually,
  nextEvent,
  received,
  unwrap,
} from './support.js';

let relay: TestRelay;
let ws: Workspace;

beforeEach(async () => {
  relay = await TestRelay.start();
  ws = new Workspace(relay);
});

afterEach(async () => {
  await ws.close();
  await relay.close();
});

/** Mallory, a device the relay knows, sends Bob's first device eight bytes that are no message. */
async function submitGarbageToBob(): Promise<void> {
  const mallory = await relay.newDevice('mallory');
  const socket = await mallory.connect();
  const reply = await socket.submitTo([{ userId: 'bob', deviceId: 1 }], () =>
    Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  );
  expect(reply.body.case).toBe('submitOk');
  await socket.close();
}

function status(engine: Awaited<ReturnType<Workspace['enrol']>>, id: string, wanted: string) {
  return eventually(() => {
    const m = engine.messages.message(id);
    return m?.status === wanted ? m : undefined;
  }, `status ${wanted}`);
}

describe('1:1 messaging through a real relay', () => {
  it('both ways, with replies; statuses go waiting → sent → delivered → read', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    bob.start();
    const sent = unwrap(await alice.sendText('bob', 'Bonjour Bob, la note est prête.'));
    expect(sent.status).toBe('waiting');
    const atBob = await received(bob, 'Bonjour Bob, la note est prête.');
    expect(atBob).toMatchObject({
      senderId: 'alice',
      outgoing: false,
      conversationId: 'direct:alice',
    });
    await status(alice, sent.id, 'delivered');
    unwrap(await bob.sendText('alice', 'Merci Alice !', { replyTo: atBob.id }));
    const atAlice = await received(alice, 'Merci Alice !');
    expect(atAlice.replyTo).toBe(sent.id);
    expect(atAlice.kind).toBe('reply');
    expect(unwrap(await bob.markRead('direct:alice'))).toBe(1);
    await status(alice, sent.id, 'read');
  });

  it('a live message from a known sender is stored and processed in one commit', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    bob.start();
    // The first message makes Bob look Alice's device up first (a pass of its own).
    unwrap(await alice.sendText('bob', 'Première note'));
    await received(bob, 'Première note');
    // From now on: after every commit of Bob's store, is an envelope left stored but
    // not processed? (It would be with a commit for the raw envelope, then another.)
    const db = bob.db;
    const pending = db.prepare(`SELECT count(*) FROM inbox WHERE state = 'pending'`).pluck();
    const afterCommits: number[] = [];
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...args: never[]) => unknown) => {
      const run = transaction(fn);
      return Object.assign((...args: never[]) => {
        const outermost = !db.inTransaction;
        const result = run(...args);
        if (outermost) afterCommits.push(pending.get() as number);
        return result;
      }, run);
    }) as typeof db.transaction;
    try {
      for (let i = 1; i <= 5; i++) {
        unwrap(await alice.sendText('bob', `Note ${i}`));
        await received(bob, `Note ${i}`);
      }
    } finally {
      db.transaction = transaction;
    }
    expect(afterCommits.length).toBeGreaterThan(0);
    expect(afterCommits.every((n) => n === 0)).toBe(true);
  });

  it('edits, deletes and reactions reach the other side', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    bob.start();
    const m = unwrap(await alice.sendText('bob', 'Réunion à 10 h'));
    await received(bob, 'Réunion à 10 h');
    unwrap(await alice.editMessage(m.id, 'Réunion à 11 h'));
    await received(bob, 'Réunion à 11 h');
    expect(bob.messages.message(m.id)!.editedAt).not.toBeNull();
    unwrap(await bob.react(m.id, '👍'));
    await eventually(
      () => (alice.messages.message(m.id)!.reactions.length === 1 ? true : undefined),
      'reaction',
    );
    unwrap(await alice.deleteMessage(m.id));
    await eventually(
      () => (bob.messages.message(m.id)!.deletedAt !== null ? true : undefined),
      'delete',
    );
    expect(bob.messages.message(m.id)!.text).toBeNull();
    // Only the author can edit.
    const refused = await bob.editMessage(m.id, 'pirate');
    expect(refused.ok).toBe(false);
  });

  it('an offline recipient gets everything, in order, when it comes back', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob', 'bob-home');
    await bob.close();
    alice.start();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(unwrap(await alice.sendText('bob', `message ${i}`)).id);
    await alice.whenOutboxEmpty();
    const back = await ws.open('bob-home');
    back.start();
    await back.whenCaughtUp();
    const texts = back.messages.messages('direct:alice', undefined, 100).map((m) => m.text);
    expect(texts).toEqual(ids.map((_, i) => `message ${i}`));
  });

  it('pages back through history by message, even when many share one millisecond', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    bob.start();
    for (let i = 0; i < 23; i++) unwrap(await alice.sendText('bob', `rafale ${i}`));
    await alice.whenOutboxEmpty();
    await eventually(
      () =>
        bob.messages.messages('direct:alice', undefined, 100).length === 23 ? true : undefined,
      'the 23 messages stored',
    );
    const all = unwrap(await bob.listMessages('direct:alice', { limit: 100 })).map((m) => m.id);
    // A burst stamped within one millisecond (a clock's resolution, an import).
    bob.db
      .prepare("UPDATE messages SET sent_at = 1700000000000 WHERE conversation_id = 'direct:alice'")
      .run();
    let page = unwrap(await bob.listMessages('direct:alice', { limit: 5 }));
    const seen = page.map((m) => m.id);
    while (page.length > 0) {
      page = unwrap(
        await bob.listMessages('direct:alice', { beforeMessage: page[0]!.id, limit: 5 }),
      );
      seen.unshift(...page.map((m) => m.id));
    }
    expect(seen).toEqual(all);
    // A time cursor cannot do that: everything is in the same millisecond.
    expect(unwrap(await bob.listMessages('direct:alice', { before: 1700000000000 }))).toEqual([]);
    const unknown = await bob.listMessages('direct:alice', { beforeMessage: 'nope' });
    expect(unknown.ok ? null : unknown.error.code).toBe('UNKNOWN_MESSAGE');
    const bad = await bob.listMessages('direct:alice', { before: 'hier' as unknown as number });
    expect(bad.ok ? null : bad.error.code).toBe('BAD_REQUEST');
  });

  it('messages wait in the outbox while the relay is unreachable, then leave', async () => {
    const alice = await ws.enrol('alice', 'alice-desk');
    const bob = await ws.enrol('bob');
    await alice.close();
    // Reopen Alice against a relay address that refuses connections.
    const offline = await ws.open('alice-desk');
    (offline as unknown as { socket: { options: { baseUrl: string } } }).socket.options.baseUrl =
      'http://127.0.0.1:9';
    offline.start();
    const m = unwrap(await offline.sendText('bob', 'En attente'));
    await nextEvent(
      offline,
      (e): e is EngineEvent => e.type === 'connection' && e.state === 'offline',
      'offline',
    );
    expect(offline.messages.message(m.id)!.status).toBe('waiting');
    await offline.close();
    const online = await ws.open('alice-desk');
    online.start();
    await status(online, m.id, 'sent');
    bob.start();
    await received(bob, 'En attente');
  });

  it('counts as waiting the messages written offline, not the receipts of reading', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob', 'bob-desk');
    alice.start();
    bob.start();
    const first = unwrap(await alice.sendText('bob', 'Premier'));
    const second = unwrap(await alice.sendText('bob', 'Second'));
    await received(bob, 'Second');
    await bob.whenOutboxEmpty(); // the delivery receipts have left
    await bob.close();
    // Bob on the train: the relay cannot be reached.
    const offline = await ws.open('bob-desk');
    (offline as unknown as { socket: { options: { baseUrl: string } } }).socket.options.baseUrl =
      'http://127.0.0.1:9';
    const counts: number[] = [];
    offline.on('event', (e: EngineEvent) => {
      if (e.type === 'outbox') counts.push(e.waiting);
    });
    offline.start();
    expect(unwrap(await offline.markRead('direct:alice'))).toBe(2);
    unwrap(await offline.react(first.id, '👍'));
    // Read receipts, the read mark for Bob's other devices, a reaction: none is a message.
    expect(counts.at(-1)).toBe(0);
    unwrap(await offline.sendText('alice', 'Lu, je réponds demain.'));
    expect(counts.at(-1)).toBe(1);
    await offline.close();
    // Back at the office: everything leaves, the receipts too.
    const online = await ws.open('bob-desk');
    online.start();
    await online.whenOutboxEmpty();
    await received(alice, 'Lu, je réponds demain.');
    await status(alice, second.id, 'read');
    await eventually(
      () => (alice.messages.message(first.id)!.reactions.length === 1 ? true : undefined),
      'reaction',
    );
  });

  it('restarts of either side mid-stream lose nothing and show nothing twice', async () => {
    const alice = await ws.enrol('alice', 'alice-desk');
    const bob = await ws.enrol('bob', 'bob-desk');
    alice.start();
    bob.start();
    const total = 60;
    let restartedBob = bob;
    let restartedAlice = alice;
    for (let i = 0; i < total; i++) {
      unwrap(await restartedAlice.sendText('bob', `flux ${i}`));
      if (i === 20) {
        await restartedBob.close();
        restartedBob = await ws.open('bob-desk');
        restartedBob.start();
      }
      if (i === 40) {
        await restartedAlice.close();
        restartedAlice = await ws.open('alice-desk');
        restartedAlice.start();
      }
    }
    await restartedAlice.whenOutboxEmpty();
    await eventually(
      () =>
        restartedBob.messages.messages('direct:alice', undefined, 500).length >= total
          ? true
          : undefined,
      'all messages',
    );
    const texts = restartedBob.messages.messages('direct:alice', undefined, 500).map((m) => m.text);
    expect(texts).toHaveLength(total);
    expect(new Set(texts).size).toBe(total);
  });

  it("a second device of the same user receives both directions, with the sender's copy", async () => {
    const alice1 = await ws.enrol('alice');
    const alice2 = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    for (const e of [alice1, alice2, bob]) e.start();
    const fromAlice = unwrap(await alice1.sendText('bob', 'depuis le bureau'));
    await received(bob, 'depuis le bureau');
    const copy = await received(alice2, 'depuis le bureau');
    expect(copy).toMatchObject({ id: fromAlice.id, outgoing: true, conversationId: 'direct:bob' });
    unwrap(await bob.sendText('alice', 'reçu sur les deux'));
    await received(alice1, 'reçu sur les deux');
    await received(alice2, 'reçu sur les deux');
  });

  it("a device added later gets the sender's copies once the first device reconnects", async () => {
    const alice1 = await ws.enrol('alice', 'alice-first');
    const bob = await ws.enrol('bob');
    alice1.start();
    bob.start();
    unwrap(await alice1.sendText('bob', 'avant le second appareil'));
    await received(bob, 'avant le second appareil');
    const alice2 = await ws.enrol('alice');
    alice2.start();
    await alice1.close();
    const again = await ws.open('alice-first');
    again.start();
    await again.whenOnline();
    await eventually(
      () =>
        again.db
          .prepare("SELECT 1 FROM contact_devices WHERE user_id = 'alice' AND device_id = 2")
          .get()
          ? true
          : undefined,
      'alice to learn her new device',
    );
    unwrap(await again.sendText('bob', 'après le second appareil'));
    const copy = await received(alice2, 'après le second appareil');
    expect(copy.outgoing).toBe(true);
  });

  it('a stale device list is refreshed and the message retried to the new device', async () => {
    const alice = await ws.enrol('alice');
    const bob1 = await ws.enrol('bob');
    alice.start();
    bob1.start();
    unwrap(await alice.sendText('bob', 'avant'));
    await received(bob1, 'avant');
    // Bob adds a device Alice has never heard of.
    const bob2 = await ws.enrol('bob');
    bob2.start();
    unwrap(await alice.sendText('bob', 'après'));
    await received(bob1, 'après');
    await received(bob2, 'après');
  });

  it("a contact's new key raises a stored warning; their revoked device gets nothing more", async () => {
    const alice = await ws.enrol('alice');
    const bobOld = await ws.enrol('bob', 'bob-lost');
    alice.start();
    bobOld.start();
    unwrap(await alice.sendText('bob', 'avant la perte'));
    await received(bobOld, 'avant la perte');
    await bobOld.close();
    // The laptop is lost: the ICT cell revokes it and enrols a new one.
    await relay.revoke('bob', 1);
    const bobNew = await ws.enrol('bob', 'bob-new');
    bobNew.start();
    const warning = nextEvent(
      alice,
      (e): e is Extract<EngineEvent, { type: 'identityChanged' }> => e.type === 'identityChanged',
      'identity warning',
    );
    unwrap(await alice.sendText('bob', 'après la perte'));
    expect((await warning).userId).toBe('bob');
    await received(bobNew, 'après la perte');
    const bobContact = unwrap(await alice.contacts()).find((c) => c.userId === 'bob')!;
    expect(bobContact.identityChanged).toBe(true);
    expect(bobContact.devices.find((d) => d.deviceId === 1)!.active).toBe(false);
    unwrap(await alice.markVerified('bob'));
    expect(unwrap(await alice.contacts()).find((c) => c.userId === 'bob')!.identityChanged).toBe(
      false,
    );
  });

  it('a corrupted envelope is kept with its reason and the others go on', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    await submitGarbageToBob();
    alice.start();
    bob.start();
    unwrap(await alice.sendText('bob', 'message sain'));
    await received(bob, 'message sain');
    await bob.whenCaughtUp();
    const failed = bob.failedEnvelopes();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ senderId: 'mallory', code: 'MALFORMED_MESSAGE' });
  });

  it('a bad envelope inside a backlog: the good ones around it are shown once, and indexed', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob', 'bob-home');
    await bob.close();
    alice.start();
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++) unwrap(await alice.sendText('bob', `rapport ${i}`));
      await alice.whenOutboxEmpty();
    };
    await send(0, 5);
    await submitGarbageToBob();
    await send(5, 10);

    // One batch holds all eleven: the refusal is met after five messages were processed.
    const back = await ws.open('bob-home');
    const shown: string[] = [];
    back.on('event', (e: EngineEvent) => {
      if (e.type === 'message') shown.push(e.message.text ?? '');
    });
    back.start();
    await back.whenCaughtUp();
    const expected = Array.from({ length: 10 }, (_, i) => `rapport ${i}`);
    expect(shown).toEqual(expected);
    const texts = back.messages.messages('direct:alice', undefined, 100).map((m) => m.text);
    expect(texts).toEqual(expected);
    expect(back.failedEnvelopes()).toMatchObject([
      { senderId: 'mallory', code: 'MALFORMED_MESSAGE' },
    ]);
    const found = unwrap(await back.search('rapport')).map((h) => h.id);
    expect(found).toHaveLength(10);
    expect(checkSearchIndex(back.db)).toBe(true);

    // After a refusal the next batch is taken one envelope at a time, then all at once again.
    await send(10, 12);
    await eventually(
      () => back.messages.messages('direct:alice', undefined, 100).length === 12 || undefined,
      '12 messages',
    );
    expect(shown).toHaveLength(12);
    expect(unwrap(await back.search('rapport')).map((h) => h.id)).toHaveLength(12);
  });

  it('forgets, after a catch-up, the envelopes it processed long ago, and only those', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob', 'bob-home');
    alice.start();
    bob.start();
    for (let i = 0; i < 3; i++) unwrap(await alice.sendText('bob', `ancien ${i}`));
    await eventually(() => bob.messages.messages('direct:alice').length === 3 || undefined, '3');
    await bob.close();
    // As if these three had been processed more than the keep time ago.
    const processed = (engine: Engine) =>
      engine.db.prepare(`SELECT count(*) FROM inbox WHERE state = 'processed'`).pluck().get();
    const reopened = await ws.open('bob-home');
    reopened.db
      .prepare(`UPDATE inbox SET server_time = server_time - ? WHERE state = 'processed'`)
      .run(PROCESSED_ENVELOPE_KEEP_MS + 1000);
    await reopened.close();
    unwrap(await alice.sendText('bob', 'récent'));
    await alice.whenOutboxEmpty();

    const back = await Engine.open({
      dataDir: ws.dataDir('bob-home'),
      passphrase: PASSPHRASE,
      minRetryMs: 20,
      inboxPruneDelayMs: 20,
    });
    try {
      back.start();
      await back.whenCaughtUp();
      await eventually(() => (processed(back) === 1 ? true : undefined), 'the old rows forgotten');
      const texts = back.messages.messages('direct:alice').map((m) => m.text);
      expect(texts).toEqual(['ancien 0', 'ancien 1', 'ancien 2', 'récent']);
    } finally {
      await back.close();
    }
  });

  it('a sender whose key cannot be fetched for now is waited for, not refused', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    // Bob's requests for Alice's key fail, as on a flaky link, three times.
    const directory = (
      bob as unknown as { directory: { refreshUser(u: string): Promise<unknown> } }
    ).directory;
    const refresh = directory.refreshUser.bind(directory);
    let failures = 0;
    directory.refreshUser = (userId: string) => {
      if (userId === 'alice' && failures < 3) {
        failures++;
        return Promise.reject(new TypeError('fetch failed'));
      }
      return refresh(userId);
    };
    alice.start();
    bob.start();
    unwrap(await alice.sendText('bob', 'malgré la liaison'));
    await received(bob, 'malgré la liaison');
    expect(failures).toBe(3);
    expect(bob.failedEnvelopes()).toEqual([]);
  });

  it('safety numbers agree on both sides and change when a key changes', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    bob.start();
    const a = unwrap(await alice.safetyNumber('bob'));
    const b = unwrap(await bob.safetyNumber('alice'));
    expect(a.digits).toMatch(/^\d{60}$/);
    expect(a.digits).toBe(b.digits);
    const bob2 = await ws.enrol('bob');
    bob2.start();
    expect(unwrap(await alice.safetyNumber('bob')).digits).toBe(a.digits); // not refreshed yet
    await alice.contacts(); // refreshes the directory
    expect(unwrap(await alice.safetyNumber('bob')).digits).not.toBe(a.digits);
  });

  it('nothing readable at rest: neither data folder nor the relay holds the text', async () => {
    const alice = await ws.enrol('alice', 'alice-rest');
    const bob = await ws.enrol('bob', 'bob-rest');
    alice.start();
    bob.start();
    const marker = 'MARQUEUR-UNIQUE-Ω-3f9c2a';
    unwrap(await alice.sendText('bob', `secret ${marker}`));
    await received(bob, `secret ${marker}`);
    unwrap(await bob.sendText('alice', `réponse ${marker}`));
    await received(alice, `réponse ${marker}`);
    await alice.close();
    await bob.close();
    const folders = [ws.dataDir('alice-rest'), ws.dataDir('bob-rest'), relay.dataDir];
    const needles = [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le')];
    let scanned = 0;
    const scan = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) scan(file);
        else {
          const bytes = readFileSync(file);
          scanned += bytes.length;
          for (const needle of needles) expect(bytes.includes(needle), file).toBe(false);
        }
      }
    };
    for (const dir of folders) scan(dir);
    expect(scanned).toBeGreaterThan(10_000);
  });
});
