// The org chart and « Absence et intérim » through the engine, with a real relay: the
// ICT cell's units and managers reach every directory; an official declares an absence
// with the colleague who answers meanwhile, their contacts' apps learn it (and the 1:1
// conversation says so), it ends when they come back or at its date; bad requests are
// refused by the engine and by the relay, with a sentence.
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../shared/api/contract.js';
import { RelayRequestError } from '../../main/engine/relay/relay-http.js';
import { eventually, freshRelayPerTest, nextEvent, received, unwrap } from './support.js';

const DAY = 86_400_000;

describe('org chart and absences', () => {
  const env = freshRelayPerTest();

  async function people() {
    const amina = await env.ws.enrol('amina');
    const benoit = await env.ws.enrol('benoit');
    const chantal = await env.ws.enrol('chantal');
    for (const e of [amina, benoit, chantal]) e.start();
    return { amina, benoit, chantal };
  }

  it('the ICT cell’s units and managers reach every directory', async () => {
    const { amina, benoit } = await people();
    await env.relay.setOrg('amina', {
      unit: 'Direction des ressources humaines',
      manager: 'benoit',
    });
    const atBenoit = unwrap(await benoit.contacts()).find((c) => c.userId === 'amina')!;
    expect(atBenoit).toMatchObject({
      unit: 'Direction des ressources humaines',
      managerId: 'benoit',
    });
    expect(atBenoit.delegation).toBeUndefined();
    unwrap(await amina.contacts());
    expect(unwrap(await amina.account())).toMatchObject({
      unit: 'Direction des ressources humaines',
      managerId: 'benoit',
    });
    await env.relay.setOrg('amina', { manager: null });
    expect(unwrap(await benoit.contacts()).find((c) => c.userId === 'amina')!).toMatchObject({
      unit: 'Direction des ressources humaines',
      managerId: null,
    });
  });

  it('an absence with its delegate reaches contacts and the conversation, then ends', async () => {
    const { amina, benoit } = await people();
    unwrap(await amina.sendText('benoit', 'Bonjour Benoît'));
    await received(benoit, 'Bonjour Benoît');
    const until = Date.now() + 7 * DAY;
    const mine = unwrap(await benoit.setDelegation('chantal', until));
    expect(mine.delegation).toEqual({ delegateId: 'chantal', delegateName: 'Chantal', until });

    const told = nextEvent(
      amina,
      (e): e is Extract<EngineEvent, { type: 'conversation' }> =>
        e.type === 'conversation' && e.conversationId === 'direct:benoit',
      'the conversation event at Amina',
    );
    const atAmina = unwrap(await amina.contacts()).find((c) => c.userId === 'benoit')!;
    expect(atAmina.delegation).toEqual({ delegateId: 'chantal', delegateName: 'Chantal', until });
    await told;
    const conversation = unwrap(await amina.listConversations()).find(
      (c) => c.id === 'direct:benoit',
    )!;
    expect(conversation.absence).toEqual({ delegateId: 'chantal', delegateName: 'Chantal', until });

    // Back: it ends for everyone.
    expect(unwrap(await benoit.setDelegation(null)).delegation).toBeUndefined();
    expect(unwrap(await amina.contacts()).find((c) => c.userId === 'benoit')!.delegation).toBe(
      undefined,
    );
    expect(
      unwrap(await amina.listConversations()).find((c) => c.id === 'direct:benoit')!.absence,
    ).toBeUndefined();
  });

  it('an absence is over at its date, whatever was fetched before', async () => {
    const { amina, benoit } = await people();
    unwrap(await benoit.setDelegation('chantal', Date.now() + 1500));
    expect(
      unwrap(await amina.contacts()).find((c) => c.userId === 'benoit')!.delegation,
    ).toBeDefined();
    await eventually(
      async () =>
        unwrap(await amina.contacts()).find((c) => c.userId === 'benoit')!.delegation === undefined
          ? true
          : undefined,
      'the absence over',
    );
  });

  it('refuses a bad absence with a sentence, in the engine and at the relay', async () => {
    const { benoit } = await people();
    const code = async (answer: Promise<{ ok: boolean; error?: { code: string } }>) => {
      const result = await answer;
      return result.ok ? 'accepted' : result.error!.code;
    };
    const week = Date.now() + 7 * DAY;
    expect(await code(benoit.setDelegation('benoit', week))).toBe('BAD_REQUEST');
    expect(await code(benoit.setDelegation('chantal', Date.now() - DAY))).toBe('BAD_REQUEST');
    expect(await code(benoit.setDelegation('chantal', Date.now() + 400 * DAY))).toBe('BAD_REQUEST');
    expect(await code(benoit.setDelegation('personne', week))).toBe('UNKNOWN_USER');
    expect(await code(benoit.setDelegation('Pas Valide', week))).toBe('UNKNOWN_USER');
    expect(unwrap(await benoit.account()).delegation).toBeUndefined();
    // A modified client that skips the engine's checks meets the relay's.
    const http = (benoit as unknown as { http: { setDelegation(u: object): Promise<unknown> } })
      .http;
    const refused = await http
      .setDelegation({ delegateUserId: 'chantal', until: BigInt(Date.now() + 500 * DAY) })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(RelayRequestError);
    expect((refused as RelayRequestError).code).toBe('BAD_REQUEST');
    expect((refused as RelayRequestError).message).toMatch(/at most 366 days/);
  });
});
