import { describe, expect, it } from 'vitest';
import type { MessageView } from '../api/types.js';
import { upsertMessage } from './controller.js';

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
