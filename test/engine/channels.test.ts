// Broadcast channels through the engine, with a real relay: a group where only its
// administrators post (a ministry's circulars); members read and acknowledge, and
// cannot post, react or send files, neither through the API nor by crafting a group
// message; the channel's nature is part of its signed roster and cannot be changed.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeContent, newMessageId } from '../../main/engine/content.js';
import { groupIdOf } from '../../main/engine/groups/group-store.js';
import { signEntry } from '../../main/engine/groups/roster.js';
import { eventually, freshRelayPerTest, received, sendRawContent, unwrap } from './support.js';

const refusedWith = async (answer: Promise<{ ok: boolean; error?: { code: string } }>) => {
  const result = await answer;
  return result.ok ? 'accepted' : result.error!.code;
};

describe('broadcast channels', () => {
  const env = freshRelayPerTest();

  async function channel() {
    const ministry = await env.ws.enrol('ministere');
    const bob = await env.ws.enrol('bob');
    const carol = await env.ws.enrol('carol');
    for (const e of [ministry, bob, carol]) e.start();
    const created = unwrap(
      await ministry.createGroup('Circulaires du ministère', ['bob', 'carol'], { broadcast: true }),
    );
    expect(created.channel).toEqual({ mayPost: true });
    for (const e of [bob, carol]) {
      await eventually(
        () => (e.messages.conversationExists(created.id) ? true : undefined),
        'the channel at every member',
      );
    }
    return { ministry, bob, carol, id: created.id, groupId: groupIdOf(created.id)! };
  }

  it('the administrators post; members read, acknowledge, and cannot post', async () => {
    const { ministry, bob, carol, id } = await channel();
    const atBob = unwrap(await bob.listConversations()).find((c) => c.id === id)!;
    expect(atBob.channel).toEqual({ mayPost: false });

    const circular = unwrap(
      await ministry.sendText(id, 'Circulaire n° 4 : horaires d’été.', {
        requestAcknowledgement: true,
      }),
    );
    await received(bob, 'Circulaire n° 4 : horaires d’été.');
    await received(carol, 'Circulaire n° 4 : horaires d’été.');

    expect(await refusedWith(bob.sendText(id, 'Une question ?'))).toBe('NOT_ALLOWED');
    expect(await refusedWith(bob.react(circular.id, '👍'))).toBe('NOT_ALLOWED');
    const file = path.join(env.ws.dataDir('files'), 'note.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'note');
    expect(await refusedWith(bob.sendFile(id, file))).toBe('NOT_ALLOWED');
    unwrap(await ministry.sendText('bob', 'Un message direct.'));
    const direct = await received(bob, 'Un message direct.');
    expect(await refusedWith(bob.forwardMessage(direct.id, id))).toBe('NOT_ALLOWED');

    // Acknowledging is what members do in a channel.
    unwrap(await bob.acknowledge(circular.id));
    unwrap(await carol.acknowledge(circular.id));
    await eventually(
      () =>
        ministry.messages.message(circular.id)?.acknowledgement?.by.length === 2 ? true : undefined,
      'both acknowledgements at the ministry',
    );
  });

  it('refuses a member’s crafted post, and any change of the channel’s nature', async () => {
    const { ministry, bob, carol, id, groupId } = await channel();
    // Bob sends a text with his group key anyway: the others refuse it.
    sendRawContent(
      bob,
      encodeContent({
        case: 'data',
        value: {
          id: newMessageId(),
          sentAt: BigInt(Date.now()),
          groupId,
          kind: { case: 'text', value: { body: 'Message pirate.' } },
        },
      }),
      { users: [], syncDestination: null, group: groupId },
    );
    await eventually(
      () => (carol.failedEnvelopes().some((f) => f.code === 'NOT_ALLOWED') ? true : undefined),
      'the crafted post refused',
    );
    expect(carol.failedEnvelopes().find((f) => f.code === 'NOT_ALLOWED')!.reason).toMatch(
      /not an administrator of this channel/,
    );
    expect(carol.messages.messages(id).map((m) => m.text)).not.toContain('Message pirate.');

    // Even the administrator cannot turn the channel into an ordinary group.
    const roster = ministry.groups.roster(groupId)!;
    const certificate = new Uint8Array(
      ministry.db.prepare('SELECT certificate FROM account').pluck().get() as Uint8Array,
    );
    const flipped = signEntry(
      { userId: 'ministere', secretKey: ministry.me.identity.secretKey, certificate },
      groupId,
      { ...roster, broadcast: false },
      'rename',
      { members: roster.members, name: 'Discussion ouverte' },
    );
    sendRawContent(
      ministry,
      encodeContent({
        case: 'groupUpdate',
        value: { entries: [...ministry.groups.entries(groupId), flipped] },
      }),
      { users: ['bob'], syncDestination: null },
    );
    await eventually(
      () => (bob.failedEnvelopes().some((f) => f.code === 'ROSTER_REFUSED') ? true : undefined),
      'the flipped roster refused',
    );
    expect(bob.failedEnvelopes().find((f) => f.code === 'ROSTER_REFUSED')!.reason).toMatch(
      /broadcast channel/,
    );
    expect(bob.groups.roster(groupId)!.broadcast).toBe(true);
    expect(bob.groups.roster(groupId)!.name).toBe('Circulaires du ministère');
  });
});
