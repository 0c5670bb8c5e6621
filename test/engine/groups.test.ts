// Groups through a real relay: signed roster, Sender Keys with relay fan-out,
// rotation on removal, forged roster changes refused.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine.js';
import { encodeContent } from '../../main/engine/content.js';
import { groupIdOf } from '../../main/engine/groups/group-store.js';
import { signEntry } from '../../main/engine/groups/roster.js';
import { isCryptoError, senderKeyDecrypt } from '../../shared/crypto/index.js';
import { TestRelay, Workspace, eventually, received, unwrap } from './support.js';

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

async function knowsGroup(engine: Engine, conversationId: string, members: number): Promise<void> {
  await eventually(() => {
    const g = groupIdOf(conversationId)!;
    return engine.groups.roster(g)?.members.length === members ? true : undefined;
  }, `${engine.me.userId}/${engine.me.deviceId} to know the group with ${members} members`);
}

describe('groups', () => {
  it('three users with two devices each: one upload, everyone reads, replies, edits and reactions', async () => {
    const alice1 = await ws.enrol('alice');
    const alice2 = await ws.enrol('alice');
    const bob1 = await ws.enrol('bob');
    const bob2 = await ws.enrol('bob');
    const carol1 = await ws.enrol('carol');
    const carol2 = await ws.enrol('carol');
    const all = [alice1, alice2, bob1, bob2, carol1, carol2];
    for (const e of all) e.start();
    const group = unwrap(await alice1.createGroup('Cabinet du ministre', ['bob', 'carol']));
    expect(group.kind).toBe('group');
    for (const e of all) await knowsGroup(e, group.id, 3);

    const before = relay.relay.context.metrics;
    void before;
    const m = unwrap(await alice1.sendText(group.id, 'Réunion de cabinet à 10 h'));
    for (const e of [alice2, bob1, bob2, carol1, carol2]) {
      const got = await received(e, 'Réunion de cabinet à 10 h');
      expect(got.conversationId).toBe(group.id);
      expect(got.id).toBe(m.id);
    }
    expect(alice2.messages.message(m.id)!.outgoing).toBe(true);

    unwrap(await bob2.sendText(group.id, 'Bien noté', { replyTo: m.id }));
    for (const e of [alice1, alice2, bob1, carol1, carol2]) {
      expect((await received(e, 'Bien noté')).replyTo).toBe(m.id);
    }
    unwrap(await alice1.editMessage(m.id, 'Réunion de cabinet à 11 h'));
    for (const e of [bob1, carol2]) await received(e, 'Réunion de cabinet à 11 h');
    unwrap(await carol1.react(m.id, '👍'));
    await eventually(
      () => (alice1.messages.message(m.id)!.reactions.length === 1 ? true : undefined),
      'reaction',
    );
    // Receipts come back pairwise: the message is delivered.
    await eventually(
      () =>
        ['delivered', 'read'].includes(alice1.messages.message(m.id)!.status) ? true : undefined,
      'delivered',
    );
    const members = unwrap(await bob1.groupMembers(group.id));
    expect(members.map((x) => x.userId).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(members.find((x) => x.userId === 'alice')!.admin).toBe(true);

    // A file to the group: one fan-out that names its blob, so the relay keeps it.
    const file = path.join(ws.dataDir('files'), 'ordre du jour.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'Point 1 : budget. Point 2 : sécurité.');
    const blobDir = path.join(relay.dataDir, 'blobs');
    const blobsBefore = new Set(readdirSync(blobDir));
    const withFile = unwrap(await alice1.sendFile(group.id, file));
    await eventually(
      () => carol2.messages.message(withFile.id) ?? undefined,
      'the file message at carol',
    );
    const uploaded = readdirSync(blobDir).filter((id) => !blobsBefore.has(id));
    expect(uploaded).toHaveLength(1);
    expect((await relay.relay.context.store.getBlob(uploaded[0]!))?.referencedAt).not.toBeNull();
  });

  it('a removed member cannot read what follows (sender keys rotated), the others can', async () => {
    const alice = await ws.enrol('alice');
    const bob1 = await ws.enrol('bob');
    const bob2 = await ws.enrol('bob', 'bob-offline');
    const carol = await ws.enrol('carol');
    for (const e of [alice, bob1, bob2, carol]) e.start();
    const group = unwrap(await alice.createGroup('Comité budgétaire', ['bob', 'carol']));
    for (const e of [alice, bob1, bob2, carol]) await knowsGroup(e, group.id, 3);
    unwrap(await alice.sendText(group.id, 'avant le départ'));
    for (const e of [bob1, bob2, carol]) await received(e, 'avant le départ');
    const carolOldKey = carol.groups.memberSenderKey(
      'alice',
      1,
      alice.groups.ownSenderKey(groupIdOf(group.id)!).state.keyId,
    );
    expect(carolOldKey).not.toBeNull();

    unwrap(await alice.removeGroupMember(group.id, 'carol'));
    for (const e of [bob1, bob2]) await knowsGroup(e, group.id, 2);
    await eventually(
      () => (carol.groups.hasLeft(groupIdOf(group.id)!) ? true : undefined),
      'carol to learn she left',
    );
    // Keep one of Bob's devices offline so the next ciphertext stays at the relay to inspect.
    await bob2.close();
    unwrap(await alice.sendText(group.id, 'après le départ'));
    await received(bob1, 'après le départ');
    const queued = await relay.relay.context.store.loadQueue(
      { userId: 'bob', deviceId: 2 },
      0,
      100,
    );
    const fanned = queued.map((e) => e.ciphertext).filter((c) => c[1] === 3);
    expect(fanned.length).toBeGreaterThan(0);
    const last = fanned[fanned.length - 1]!;
    const newKeyId = new DataView(last.buffer, last.byteOffset + 2, 4).getUint32(0);
    expect(newKeyId).not.toBe(carolOldKey!.state.keyId);
    // Carol holds no key for it, and her old key cannot open it.
    expect(carol.groups.memberSenderKey('alice', 1, newKeyId)).toBeNull();
    let refused = false;
    try {
      senderKeyDecrypt({ ...carolOldKey!.state, keyId: newKeyId }, last, new Uint8Array(0));
    } catch (error) {
      refused = isCryptoError(error);
    }
    expect(refused).toBe(true);
    // Carol can no longer send to the group either.
    expect((await carol.sendText(group.id, 'je suis encore là ?')).ok).toBe(false);
    const back = await ws.open('bob-offline');
    back.start();
    await received(back, 'après le départ');
  });

  it('refuses a roster change by a non-admin and a broken chain', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    const carol = await ws.enrol('carol');
    const mallory = await ws.enrol('mallory');
    for (const e of [alice, bob, carol, mallory]) e.start();
    const group = unwrap(await alice.createGroup('Direction', ['bob', 'carol']));
    for (const e of [alice, bob, carol]) await knowsGroup(e, group.id, 3);
    const groupId = groupIdOf(group.id)!;

    // Carol (not an admin) cannot add through the API…
    expect((await carol.addGroupMember(group.id, 'mallory')).ok).toBe(false);
    // …nor by forging the entry herself and sending it to Bob.
    const roster = carol.groups.roster(groupId)!;
    const certificate = carol.db
      .prepare('SELECT certificate FROM account')
      .pluck()
      .get() as Uint8Array;
    const forge = (prev: typeof roster) =>
      signEntry(
        {
          userId: 'carol',
          secretKey: carol.me.identity.secretKey,
          certificate: new Uint8Array(certificate),
        },
        groupId,
        prev,
        'add',
        {
          subject: 'mallory',
          members: [...roster.members, { userId: 'mallory', admin: false }],
          name: roster.name,
        },
      );
    const send = (entries: ReturnType<typeof forge>[]) => {
      const outbox = (
        carol as unknown as { outbox: { enqueue: (...a: unknown[]) => number; kick(): void } }
      ).outbox;
      carol.db.transaction(() =>
        outbox.enqueue(
          encodeContent({ case: 'groupUpdate', value: { entries } }),
          { users: ['bob'], syncDestination: null },
          null,
          null,
        ),
      )();
      outbox.kick();
    };
    send([...carol.groups.entries(groupId), forge(roster)]);
    await eventually(
      () => (bob.failedEnvelopes().some((f) => f.code === 'ROSTER_REFUSED') ? true : undefined),
      'the forged change to be refused',
    );
    expect(bob.failedEnvelopes().find((f) => f.code === 'ROSTER_REFUSED')!.reason).toContain(
      'not an admin',
    );
    // A chain whose link does not match (the previous hash is wrong) is refused too.
    send([...carol.groups.entries(groupId), forge({ ...roster, head: new Uint8Array(32) })]);
    await eventually(
      () =>
        bob.failedEnvelopes().filter((f) => f.code === 'ROSTER_REFUSED').length === 2
          ? true
          : undefined,
      'the broken chain to be refused',
    );
    expect(bob.groups.roster(groupId)!.members.map((m) => m.userId)).not.toContain('mallory');
  });
});
