// Disappearing messages through the engine, with a real relay: a timer set in a
// conversation reaches the other side as a notice; a message lives its seconds from
// when it leaves (sender) and from when it is read (reader), then is gone from the
// store, the search index and the disk; a stopped app erases at its next start; in a
// group only an administrator may change the timer, and a forged change is refused.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EngineEvent, MAX_EXPIRE_SECONDS } from '../../shared/api/contract.js';
import { decodeContent, encodeContent, newMessageId } from '../../main/engine/content.js';
import { Engine } from '../../main/engine/engine.js';
import { groupIdOf } from '../../main/engine/groups/group-store.js';
import {
  PASSPHRASE,
  eventually,
  freshRelayPerTest,
  nextEvent,
  received,
  sendRawContent,
  unwrap,
} from './support.js';

type Expired = Extract<EngineEvent, { type: 'expired' }>;
const expiredIn =
  (conversationId: string) =>
  (event: EngineEvent): event is Expired =>
    event.type === 'expired' && event.conversationId === conversationId;

/** The message with this id, or undefined once it is gone. */
const stored = (engine: Engine, id: string) => engine.messages.message(id) ?? undefined;

const hits = async (engine: Engine, query: string) =>
  unwrap(await engine.search(query)).map((h) => h.id);

/** Sends a raw data message through the engine's own outbox (to forge what a client may send). */
const sendRaw = (
  from: Engine,
  value: Parameters<typeof encodeContent>[0] & { case: 'data' },
  to: { users: string[]; syncDestination: null; group?: string },
) => sendRawContent(from, encodeContent(value), to);

describe('disappearing messages', () => {
  const env = freshRelayPerTest();

  async function pair() {
    const alice = await env.ws.enrol('alice');
    const bob = await env.ws.enrol('bob');
    alice.start();
    bob.start();
    unwrap(await alice.sendText('bob', 'Bonjour, message ordinaire.'));
    await received(bob, 'Bonjour, message ordinaire.');
    return { alice, bob };
  }

  it('counts down from sending and from reading, then erases the message everywhere', async () => {
    const { alice, bob } = await pair();
    const notice = unwrap(await alice.setExpireTimer('direct:bob', 2));
    expect(notice).toMatchObject({ kind: 'timer', text: null, expireSeconds: 2, outgoing: true });
    expect(notice.expiresAt).toBeUndefined();
    expect(alice.messages.conversations()[0]!.expireSeconds).toBe(2);
    // Bob sees the notice, and his side of the conversation takes the timer.
    await eventually(() => stored(bob, notice.id), 'the notice at Bob');
    expect(stored(bob, notice.id)).toMatchObject({ kind: 'timer', expireSeconds: 2 });
    expect(bob.messages.conversations().find((c) => c.id === 'direct:alice')!.expireSeconds).toBe(
      2,
    );

    const goneAtAlice = nextEvent(alice, expiredIn('direct:bob'), 'expiry at Alice', 15_000);
    const sent = unwrap(await alice.sendText('bob', 'Note confidentielle éphémère.'));
    expect(sent.expireSeconds).toBe(2);
    const left = await alice.whenSent(sent.id);
    // The sender's countdown starts when the message leaves.
    expect(left.expiresAt).toBeGreaterThanOrEqual(left.sentAt + 2000);
    const atBob = await received(bob, 'Note confidentielle éphémère.');
    expect(atBob.expireSeconds).toBe(2);
    expect(atBob.expiresAt).toBeUndefined();
    expect(await hits(bob, 'confidentielle')).toEqual([sent.id]);

    expect((await goneAtAlice).messageIds).toEqual([sent.id]);
    expect(stored(alice, sent.id)).toBeUndefined();
    expect(await hits(alice, 'confidentielle')).toEqual([]);
    // Unread, it stays at Bob, however long it waits.
    expect(stored(bob, sent.id)?.text).toBe('Note confidentielle éphémère.');

    const goneAtBob = nextEvent(bob, expiredIn('direct:alice'), 'expiry at Bob', 15_000);
    unwrap(await bob.markRead('direct:alice'));
    const read = stored(bob, sent.id)!;
    expect(read.expiresAt).toBeGreaterThanOrEqual(Date.now() + 1000);
    expect((await goneAtBob).messageIds).toEqual([sent.id]);
    expect(stored(bob, sent.id)).toBeUndefined();
    expect(await hits(bob, 'confidentielle')).toEqual([]);
    // What was said before the timer, and the notice, stay.
    for (const e of [alice, bob]) {
      const texts = e.messages.messages(e === alice ? 'direct:bob' : 'direct:alice');
      expect(texts.map((m) => m.text ?? m.kind)).toEqual(['Bonjour, message ordinaire.', 'timer']);
    }

    // Turned off: new messages are kept.
    const off = unwrap(await bob.setExpireTimer('direct:alice', 0));
    expect(off.expireSeconds).toBe(0);
    await eventually(
      () =>
        alice.messages.conversations().find((c) => c.id === 'direct:bob')!.expireSeconds === 0
          ? true
          : undefined,
      'the timer off at Alice',
    );
    const kept = unwrap(await alice.sendText('bob', 'Ceci reste.'));
    expect(kept.expireSeconds).toBeUndefined();
    expect((await alice.whenSent(kept.id)).expiresAt).toBeUndefined();
  });

  it('starts the countdown of the sender when the relay answers, also after a receipt came first', async () => {
    const { alice, bob } = await pair();
    unwrap(await alice.setExpireTimer('direct:bob', 60));
    // The relay holds its answer (its commit waits) while Bob's receipt gets through:
    // the order an online recipient can produce, as the relay answers once the copy
    // is durable, which can be when Bob acknowledges it.
    await bob.close();
    const store = env.relay.relay.context.store;
    const realCommit = store.commit.bind(store);
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    store.commit = async (batch) => {
      await gate;
      return realCommit(batch);
    };
    try {
      const sent = unwrap(await alice.sendText('bob', 'Compte rendu éphémère.'));
      alice.messages.receipt([sent.id], 'bob', 'delivered', Date.now());
      expect(stored(alice, sent.id)).toMatchObject({ status: 'delivered' });
      expect(stored(alice, sent.id)!.expiresAt).toBeUndefined();
      open();
      const left = await eventually(() => {
        const view = stored(alice, sent.id);
        return view?.expiresAt !== undefined ? view : undefined;
      }, 'the countdown at Alice');
      expect(left.status).toBe('delivered');
      expect(left.expiresAt).toBeGreaterThanOrEqual(left.sentAt + 60_000);
    } finally {
      open();
      store.commit = realCommit;
    }
  });

  it('erases a disappearing file from the disk, unless a forward still shows it', async () => {
    const { alice, bob } = await pair();
    const carol = await env.ws.enrol('carol');
    carol.start();
    unwrap(await alice.setExpireTimer('direct:bob', 2));
    const file = path.join(env.ws.dataDir('files'), 'note.pdf');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(200 * 1024, 7));
    const sent = unwrap(await alice.sendFile('bob', file));
    const attachmentId = sent.attachments![0]!.id;
    const aliceCopy = path.join(env.ws.dataDir('alice-1'), 'attachments', `${attachmentId}.bin`);
    const goneAtAlice = nextEvent(alice, expiredIn('direct:bob'), 'expiry at Alice', 20_000);
    await eventually(() => (existsSync(aliceCopy) ? true : undefined), "Alice's encrypted copy");
    const atBob = await eventually(
      () =>
        stored(bob, sent.id)?.attachments?.[0]?.state === 'available'
          ? stored(bob, sent.id)
          : undefined,
      'the file at Bob',
    );
    await goneAtAlice;
    await eventually(() => (existsSync(aliceCopy) ? undefined : true), "Alice's copy erased");

    // Bob forwards it to Carol before reading it: the forward keeps the file.
    const bobCopy = path.join(
      env.ws.dataDir('bob-2'),
      'attachments',
      `${atBob!.attachments![0]!.id}.bin`,
    );
    expect(existsSync(bobCopy)).toBe(true);
    const forward = unwrap(await bob.forwardMessage(sent.id, 'carol'));
    expect(forward.expireSeconds).toBeUndefined();
    const goneAtBob = nextEvent(bob, expiredIn('direct:alice'), 'expiry at Bob', 15_000);
    unwrap(await bob.markRead('direct:alice'));
    await goneAtBob;
    expect(stored(bob, sent.id)).toBeUndefined();
    expect(stored(bob, forward.id)?.attachments?.[0]?.id).toBe(atBob!.attachments![0]!.id);
    expect(existsSync(bobCopy)).toBe(true);
    const out = path.join(env.ws.dataDir('files'), 'saved.pdf');
    unwrap(await bob.saveAttachment(atBob!.attachments![0]!.id, out));
    expect(existsSync(out)).toBe(true);
  });

  it('erases at the next start what fell due while the app was closed', async () => {
    const { alice } = await pair();
    unwrap(await alice.setExpireTimer('direct:bob', 1));
    const sent = unwrap(await alice.sendText('bob', 'Écrit juste avant de fermer.'));
    await alice.whenSent(sent.id);
    await alice.close();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const again = await env.ws.open('alice-1');
    expect(again.messages.message(sent.id)).not.toBeNull();
    const gone = nextEvent(again, expiredIn('direct:bob'), 'expiry at start');
    again.start();
    expect((await gone).messageIds).toEqual([sent.id]);
    expect(again.messages.message(sent.id)).toBeNull();
  });

  it('in a group only an administrator sets the timer; a forged change is refused', async () => {
    const alice = await env.ws.enrol('alice');
    const bob = await env.ws.enrol('bob');
    const carol = await env.ws.enrol('carol');
    for (const e of [alice, bob, carol]) e.start();
    const group = unwrap(await alice.createGroup('Cabinet', ['bob', 'carol']));
    for (const e of [bob, carol]) {
      await eventually(
        () => (e.messages.conversationExists(group.id) ? true : undefined),
        'the group everywhere',
      );
    }
    const refused = await carol.setExpireTimer(group.id, 3600);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.code).toBe('NOT_ALLOWED');

    // Carol sends the change anyway, with her group key: Bob refuses it.
    unwrap(await carol.sendText(group.id, 'Je prends la parole.'));
    await received(bob, 'Je prends la parole.');
    const groupId = groupIdOf(group.id)!;
    sendRaw(
      carol,
      {
        case: 'data',
        value: {
          id: newMessageId(),
          sentAt: BigInt(Date.now()),
          groupId,
          kind: { case: 'timerChange', value: { seconds: 60 } },
        },
      },
      { users: [], syncDestination: null, group: groupId },
    );
    await eventually(
      () => (bob.failedEnvelopes().some((f) => f.code === 'NOT_ALLOWED') ? true : undefined),
      'the forged change to be refused',
    );
    expect(bob.messages.conversations().find((c) => c.id === group.id)!.expireSeconds).toBe(0);

    // The administrator sets it: every member takes it, and members' messages carry it.
    unwrap(await alice.setExpireTimer(group.id, 3600));
    for (const e of [bob, carol]) {
      await eventually(
        () =>
          e.messages.conversations().find((c) => c.id === group.id)!.expireSeconds === 3600
            ? true
            : undefined,
        'the timer at every member',
      );
    }
    unwrap(await bob.sendText(group.id, 'Réponse qui disparaîtra.'));
    const atAlice = await received(alice, 'Réponse qui disparaîtra.');
    expect(atAlice.expireSeconds).toBe(3600);
  });

  it('read on one of my devices: read on the other too, and its countdown starts there', async () => {
    const alice = await env.ws.enrol('alice');
    const bobDesk = await env.ws.enrol('bob', 'bob-desk');
    const bobLaptop = await env.ws.enrol('bob', 'bob-laptop');
    for (const e of [alice, bobDesk, bobLaptop]) e.start();
    unwrap(await alice.sendText('bob', 'Bonjour'));
    for (const e of [bobDesk, bobLaptop]) await received(e, 'Bonjour');
    unwrap(await alice.setExpireTimer('direct:bob', 2));
    const sent = unwrap(await alice.sendText('bob', 'Lu sur le bureau, effacé partout.'));
    for (const e of [bobDesk, bobLaptop]) await received(e, 'Lu sur le bureau, effacé partout.');
    const unread = (e: Engine) =>
      e.messages.conversations().find((c) => c.id === 'direct:alice')!.unreadCount;
    expect(unread(bobLaptop)).toBe(3); // two texts and the timer notice

    const laptopReadReceipts: string[][] = [];
    const outbox = (bobLaptop as unknown as { outbox: { enqueue: (...a: unknown[]) => number } })
      .outbox;
    const enqueue = outbox.enqueue.bind(outbox);
    outbox.enqueue = (...args: unknown[]) => {
      const content = decodeContent(args[0] as Uint8Array);
      if (content.body.case === 'receipt' && content.body.value.kind === 1) {
        laptopReadReceipts.push(content.body.value.messageIds);
      }
      return enqueue(...args);
    };
    const goneOnLaptop = nextEvent(bobLaptop, expiredIn('direct:alice'), 'expiry on the laptop');
    expect(unwrap(await bobDesk.markRead('direct:alice'))).toBe(3);
    await eventually(() => (unread(bobLaptop) === 0 ? true : undefined), 'read on the laptop');
    expect(stored(bobLaptop, sent.id)).toMatchObject({ status: 'read' });
    expect(stored(bobLaptop, sent.id)!.expiresAt).toBeGreaterThan(Date.now());
    expect((await goneOnLaptop).messageIds).toEqual([sent.id]);
    // The laptop sent the senders no read receipt of its own (the desk did).
    expect(laptopReadReceipts).toEqual([]);
  });

  it('where the ICT cell keeps every message, a timer can only be turned off', async () => {
    const { alice, bob } = await pair();
    unwrap(await alice.setExpireTimer('direct:bob', 3600));
    await alice.close();
    const kept = await Engine.open({
      dataDir: env.ws.dataDir('alice-1'),
      passphrase: PASSPHRASE,
      allowDisappearingMessages: false,
    });
    try {
      kept.start();
      const refused = await kept.setExpireTimer('direct:bob', 60);
      expect(refused.ok ? 'accepted' : refused.error.code).toBe('NOT_ALLOWED');
      expect(!refused.ok && refused.error.message).toContain('ICT cell');
      const off = unwrap(await kept.setExpireTimer('direct:bob', 0));
      await kept.whenSent(off.id);
      await eventually(
        () =>
          bob.messages.conversations().find((c) => c.id === 'direct:alice')!.expireSeconds === 0
            ? true
            : undefined,
        'the timer off at Bob',
      );
    } finally {
      await kept.close();
    }
  });

  it('refuses bad timers, from the app and from the network', async () => {
    const { alice, bob } = await pair();
    for (const bad of [-1, 1.5, MAX_EXPIRE_SECONDS + 1, Number.NaN, '60' as unknown as number]) {
      const answer = await alice.setExpireTimer('direct:bob', bad);
      expect(answer.ok ? 'accepted' : answer.error.code).toBe('BAD_REQUEST');
    }
    const unknown = await alice.setExpireTimer('direct:nobody', 60);
    expect(unknown.ok ? 'accepted' : unknown.error.code).toBe('UNKNOWN_CONVERSATION');

    sendRaw(
      alice,
      {
        case: 'data',
        value: {
          id: newMessageId(),
          sentAt: BigInt(Date.now()),
          groupId: '',
          kind: { case: 'timerChange', value: { seconds: MAX_EXPIRE_SECONDS + 1 } },
        },
      },
      { users: ['bob'], syncDestination: null },
    );
    await eventually(
      () => (bob.failedEnvelopes().some((f) => f.code === 'BAD_CONTENT') ? true : undefined),
      'the out-of-bounds timer to be refused',
    );
    expect(bob.messages.conversations().find((c) => c.id === 'direct:alice')!.expireSeconds).toBe(
      0,
    );
    // A text claiming an absurd lifetime is kept, capped to the longest timer.
    const id = newMessageId();
    sendRaw(
      alice,
      {
        case: 'data',
        value: {
          id,
          sentAt: BigInt(Date.now()),
          groupId: '',
          kind: { case: 'text', value: { body: 'Durée démesurée.' } },
          expireSeconds: 0xffffffff,
        },
      },
      { users: ['bob'], syncDestination: null },
    );
    expect((await received(bob, 'Durée démesurée.')).expireSeconds).toBe(MAX_EXPIRE_SECONDS);
  });
});
