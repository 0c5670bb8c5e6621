// Classification labels through the engine, with a real relay (MISSION, official use:
// "classification labels with enforced rules"). The ICT cell sets each person's
// clearance on the relay; the sending engine refuses a label above the clearance of
// anyone in the conversation, keeps the label through forwards, and a reply carries at
// least the label of what it answers. Receivers refuse a label they do not know.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeContent, newMessageId } from '../../main/engine/content.js';
import type { Engine } from '../../main/engine/engine.js';
import type { EngineEvent } from '../../shared/api/contract.js';
import {
  eventually,
  freshRelayPerTest,
  nextEvent,
  received,
  sendRawContent,
  unwrap,
} from './support.js';

type Answer = { ok: true } | { ok: false; error: { code: string; message: string } };
const outcome = async (answer: Promise<Answer>) => {
  const result = await answer;
  return result.ok ? 'accepted' : result.error.code;
};
const messageOf = async (answer: Promise<Answer>) => {
  const result = await answer;
  return result.ok ? '' : result.error.message;
};

describe('classification labels', () => {
  const env = freshRelayPerTest();

  /** Amina and Benoît cleared for « Confidentiel »; Chantal at the default. */
  async function people() {
    const amina = await env.ws.enrol('amina', undefined, { clearance: 'confidential' });
    const benoit = await env.ws.enrol('benoit', undefined, { clearance: 'confidential' });
    const chantal = await env.ws.enrol('chantal');
    // Known from enrolment on, before any directory refresh.
    expect(unwrap(await amina.account()).clearance).toBe('confidential');
    for (const e of [amina, benoit, chantal]) e.start();
    for (const e of [amina, benoit, chantal]) await unwrap(await e.contacts());
    return { amina, benoit, chantal };
  }

  const labelAt = async (engine: Engine, text: string) =>
    (await received(engine, text)).classification;

  it('a label travels; above anyone’s clearance it is refused, naming them', async () => {
    const { amina, benoit, chantal } = await people();
    const aminaLaptop = await env.ws.enrol('amina');
    aminaLaptop.start();

    expect(unwrap(await amina.account()).clearance).toBe('confidential');
    expect(unwrap(await amina.contacts()).find((c) => c.userId === 'chantal')!.clearance).toBe(
      'restricted',
    );

    const note = unwrap(
      await amina.sendText('benoit', 'Note au ministre', { classification: 'confidential' }),
    );
    expect(note.classification).toBe('confidential');
    expect(await labelAt(benoit, 'Note au ministre')).toBe('confidential');
    // My other device gets the copy with its label.
    expect(await labelAt(aminaLaptop, 'Note au ministre')).toBe('confidential');

    const conversations = unwrap(await amina.listConversations());
    expect(conversations.find((c) => c.id === 'direct:benoit')!.clearance).toBe('confidential');

    // Chantal is cleared for « Diffusion restreinte » only.
    const refused = amina.sendText('chantal', 'Pas pour Chantal', {
      classification: 'confidential',
    });
    expect(await messageOf(refused)).toMatch(/Chantal/);
    expect(
      await outcome(
        amina.sendText('chantal', 'Pas pour Chantal', { classification: 'confidential' }),
      ),
    ).toBe('CLASSIFICATION_NOT_CLEARED');
    unwrap(await amina.sendText('chantal', 'Pour Chantal', { classification: 'restricted' }));
    expect(await labelAt(chantal, 'Pour Chantal')).toBe('restricted');
    expect(
      unwrap(await amina.listConversations()).find((c) => c.id === 'direct:chantal')!.clearance,
    ).toBe('restricted');
    // Nor may anyone send above their own clearance.
    expect(
      await messageOf(amina.sendText('benoit', 'Très secret', { classification: 'secret' })),
    ).toMatch(/you/);
    // Nothing refused was stored or sent.
    const toChantal = amina.messages.messages('direct:chantal').map((m) => m.text);
    expect(toChantal).toEqual(['Pour Chantal']);

    // A bad label is a bad request.
    expect(
      await outcome(
        amina.sendText('benoit', 'x', { classification: 'top-secret' as unknown as 'secret' }),
      ),
    ).toBe('BAD_REQUEST');
  });

  it('forwards keep the label; replies carry at least it; edits keep it', async () => {
    const { amina, benoit, chantal } = await people();
    unwrap(
      await amina.sendText('benoit', 'Rapport confidentiel', { classification: 'confidential' }),
    );
    const atBenoit = await received(benoit, 'Rapport confidentiel');

    // Forwarding to someone not cleared is refused; back to Amina it keeps its label.
    expect(await outcome(benoit.forwardMessage(atBenoit.id, 'chantal'))).toBe(
      'CLASSIFICATION_NOT_CLEARED',
    );
    unwrap(await chantal.sendText('benoit', 'Bonjour Benoît'));
    await received(benoit, 'Bonjour Benoît');
    expect(benoit.messages.messages('direct:chantal').map((m) => m.text)).toEqual([
      'Bonjour Benoît',
    ]);
    const copy = unwrap(await benoit.forwardMessage(atBenoit.id, 'amina'));
    expect(copy.classification).toBe('confidential');

    // A reply below the label of what it answers is refused; at the label it goes.
    expect(await outcome(benoit.sendText('amina', 'Reçu', { replyTo: atBenoit.id }))).toBe(
      'CLASSIFICATION_DOWNGRADE',
    );
    const reply = unwrap(
      await benoit.sendText('amina', 'Reçu, je lis', {
        replyTo: atBenoit.id,
        classification: 'confidential',
      }),
    );
    expect(reply.classification).toBe('confidential');
    expect(await labelAt(amina, 'Reçu, je lis')).toBe('confidential');

    // An edit keeps the label.
    const mine = amina.messages
      .messages('direct:benoit')
      .find((m) => m.text === 'Rapport confidentiel')!;
    unwrap(await amina.editMessage(mine.id, 'Rapport confidentiel (v2)'));
    const edited = await received(benoit, 'Rapport confidentiel (v2)');
    expect(edited.classification).toBe('confidential');
  });

  it('a clearance lowered by the ICT cell holds at the next labelled send', async () => {
    const { amina, benoit } = await people();
    unwrap(await amina.sendText('benoit', 'Avant', { classification: 'confidential' }));
    await received(benoit, 'Avant');
    await env.relay.setClearance('benoit', 'restricted');
    // The running relay notices the CLI's change within its poll (externalChangePollMs).
    await eventually(
      async () =>
        (await env.relay.relay.context.directory.get('benoit')).user?.clearance === 'restricted'
          ? true
          : undefined,
      'the relay serving the new clearance',
    );
    expect(
      unwrap(await amina.listConversations()).find((c) => c.id === 'direct:benoit')!.clearance,
    ).toBe('confidential');
    const changed = nextEvent(
      amina,
      (e): e is Extract<EngineEvent, { type: 'conversation' }> =>
        e.type === 'conversation' && e.conversationId === 'direct:benoit',
      'the conversation event for the new clearance',
    );
    // Amina's app still holds « Confidentiel » for Benoît: the send asks the relay first.
    expect(
      await outcome(amina.sendText('benoit', 'Après', { classification: 'confidential' })),
    ).toBe('CLASSIFICATION_NOT_CLEARED');
    // The app is told, so that its label picker follows.
    await changed;
    expect(
      unwrap(await amina.listConversations()).find((c) => c.id === 'direct:benoit')!.clearance,
    ).toBe('restricted');
  });

  it('groups and files: the lowest clearance of the members decides', async () => {
    const { amina, benoit, chantal } = await people();
    const group = unwrap(await amina.createGroup('Cabinet', ['benoit', 'chantal']));
    expect(group.clearance).toBe('restricted');
    expect(
      await messageOf(amina.sendText(group.id, 'Au cabinet', { classification: 'confidential' })),
    ).toMatch(/Chantal/);
    unwrap(await amina.sendText(group.id, 'Au cabinet', { classification: 'restricted' }));
    expect(await labelAt(chantal, 'Au cabinet')).toBe('restricted');

    const file = env.ws.dataDir('note.txt');
    writeFileSync(file, 'Note confidentielle');
    expect(await outcome(amina.sendFile(group.id, file, { classification: 'confidential' }))).toBe(
      'CLASSIFICATION_NOT_CLEARED',
    );
    const sent = unwrap(await amina.sendFile('benoit', file, { classification: 'confidential' }));
    expect(sent.classification).toBe('confidential');
    const atBenoit = await eventually(
      () =>
        benoit.messages
          .messages('direct:amina')
          .find((m) => m.attachments?.some((a) => a.name === 'note.txt')),
      'the file at Benoît',
    );
    expect(atBenoit.classification).toBe('confidential');
    // The file keeps its label when forwarded: not to the group with Chantal in it.
    expect(await outcome(benoit.forwardMessage(atBenoit.id, group.id))).toBe(
      'CLASSIFICATION_NOT_CLEARED',
    );
  });

  it('a receiver refuses a label it does not know', async () => {
    const { amina, benoit } = await people();
    sendRawContent(
      amina,
      encodeContent({
        case: 'data',
        value: {
          id: newMessageId(),
          sentAt: BigInt(Date.now()),
          kind: { case: 'text', value: { body: 'Niveau inconnu' } },
          classification: 9,
        },
      }),
      { users: ['benoit'], syncDestination: 'benoit' },
    );
    const refusal = await eventually(
      () => benoit.failedEnvelopes().find((f) => /classification label/.test(f.reason)),
      'the refusal at Benoît',
    );
    expect(refusal.code).toBe('UNSUPPORTED');
    unwrap(await amina.sendText('benoit', 'Après le refus'));
    await received(benoit, 'Après le refus');
    expect(benoit.messages.messages('direct:amina').some((m) => m.text === 'Niveau inconnu')).toBe(
      false,
    );
  });
});
