// Views of many messages at once (what the engine announces after a batch of arrivals)
// against the one-message view, on a real encrypted store with every migration.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttachmentView } from '../../shared/api/index.js';
import { MessageStore } from './message-store.js';
import { type Store, openStore } from './store/open-store.js';

describe('MessageStore.messagesById', () => {
  let dir: string;
  let db: Store;
  let messages: MessageStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-message-store-'));
    db = openStore(path.join(dir, 'store.db'), randomBytes(32));
    messages = new MessageStore(db);
    // Stands for the engine's transfer table: a view that names the file.
    messages.attachmentViews = (ids) =>
      ids.map((id): AttachmentView => ({
        id,
        name: `${id}.pdf`,
        type: 'application/pdf',
        size: 1,
        transferred: 0,
        state: 'downloading',
      }));
    messages.ensureDirectConversation('bob', 'Bob', 0);
    messages.ensureDirectConversation('carol', 'Carol', 0);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const id = (n: number) => n.toString(16).padStart(32, '0');
  const insert = (n: number, peer: string) =>
    messages.insert({
      id: id(n),
      conversationId: `direct:${peer}`,
      senderId: peer,
      senderDevice: 1,
      sentAt: 1000 + (n % 7),
      receivedAt: 2000,
      kind: n % 5 === 0 ? 'reply' : 'text',
      body: n % 11 === 0 ? null : `message ${n}`,
      replyTo: n % 5 === 0 ? id(n - 1) : null,
      outgoing: n % 3 === 0,
      status: n % 3 === 0 ? 'sent' : 'received',
      classification: n % 4 === 0 ? 'restricted' : 'none',
    });

  it('gives what message() gives, in the order asked, across query chunks', () => {
    for (let n = 1; n <= 1_200; n++) insert(n, n % 2 === 0 ? 'bob' : 'carol');
    // Reactions in an order that is not their insertion's, and files in position order.
    for (let n = 1; n <= 1_200; n += 13) {
      messages.react(id(n), 'carol', '👍', 5000 - n);
      messages.react(id(n), 'bob', '✅', 4000 - n);
    }
    const file = db.prepare(
      'INSERT INTO message_attachments (message_id, attachment_id, position) VALUES (?, ?, ?)',
    );
    for (let n = 2; n <= 1_200; n += 17) {
      file.run(id(n), `b${n}`, 1);
      file.run(id(n), `a${n}`, 0);
    }
    // Out of order, with ids that are not stored and one asked twice.
    const asked = [id(5_000), ...[...Array(1_200).keys()].map((i) => id(1_200 - i)), id(7)];
    const expected = asked.flatMap((m) => messages.message(m) ?? []);
    expect(expected).toHaveLength(1_201);
    expect(messages.messagesById(asked)).toEqual(expected);
    expect(expected.find((m) => m.id === id(1))?.reactions).toEqual([
      { userId: 'bob', emoji: '✅' },
      { userId: 'carol', emoji: '👍' },
    ]);
    expect(expected.find((m) => m.id === id(2))?.attachments?.map((a) => a.id)).toEqual([
      'a2',
      'b2',
    ]);
  });

  it('gives nothing for nothing', () => {
    expect(messages.messagesById([])).toEqual([]);
  });
});
