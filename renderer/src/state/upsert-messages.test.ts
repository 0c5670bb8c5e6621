import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MessageView } from '../api/types.js';
import { upsertMessage, upsertMessages } from './upsert-messages.js';

const m = (id: string, sentAt: number, text = id): MessageView => ({
  id,
  conversationId: 'direct:bob',
  senderId: 'bob',
  outgoing: false,
  sentAt,
  kind: 'text',
  text,
  replyTo: null,
  editedAt: null,
  deletedAt: null,
  status: 'received',
  refusalReason: null,
  reactions: [],
});

describe('upsertMessage', () => {
  it('keeps the sender-time order and never doubles a message', () => {
    let list: readonly MessageView[] = [m('a', 1), m('c', 3)];
    list = upsertMessage(list, m('d', 4));
    list = upsertMessage(list, m('b', 2));
    expect(list.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd']);
    list = upsertMessage(list, m('b', 2, 'edited'));
    expect(list.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(list[1]!.text).toBe('edited');
  });
});

/** The plain rule, one message at a time: replace by id, else insert after the same time. */
function reference(list: readonly MessageView[], message: MessageView): readonly MessageView[] {
  const copy = list.slice();
  const existing = copy.findIndex((x) => x.id === message.id);
  if (existing >= 0) {
    copy[existing] = message;
    return copy;
  }
  let at = copy.length;
  while (at > 0 && copy[at - 1]!.sentAt > message.sentAt) at--;
  copy.splice(at, 0, message);
  return copy;
}

describe('upsertMessages', () => {
  it('puts a batch in place at once: new ones in order, copies replaced, the list untouched', () => {
    const before: readonly MessageView[] = [m('a', 1), m('c', 3), m('e', 5)];
    const after = upsertMessages(before, [m('f', 6), m('b', 2), m('c', 3, 'edited'), m('d', 3)]);
    expect(after.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(after.find((x) => x.id === 'c')!.text).toBe('edited');
    expect(before.map((x) => x.id)).toEqual(['a', 'c', 'e']);
    expect(upsertMessages(before, [])).toBe(before);
  });

  it('gives the same list as putting the messages one by one', () => {
    const message = fc
      .record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), sentAt: fc.nat(5) })
      .map(({ id, sentAt }) => m(id, sentAt, `${id}@${sentAt}`));
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.array(message), (start, batch) => {
        // A thread as the engine gives it: sorted by time, each message once.
        const seen = new Set<string>();
        const thread = start
          .filter((x) => !seen.has(x.id) && seen.add(x.id))
          .sort((x, y) => x.sentAt - y.sentAt);
        const oneByOne = batch.reduce(reference, thread as readonly MessageView[]);
        expect(upsertMessages(thread, batch)).toEqual(oneByOne);
      }),
    );
  });
});
