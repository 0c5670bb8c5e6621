// The store side of disappearing messages, on a real encrypted store with every
// migration: bounds, the latest change winning, countdowns, and what an erasure removes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_EXPIRE_SECONDS } from '../../shared/api/contract.js';
import { Disappearing, EXPIRE_BATCH, expiryView, isExpireSeconds } from './disappearing.js';
import { MessageStore } from './message-store.js';
import { type Store, openStore } from './store/open-store.js';

describe('disappearing messages in the store', () => {
  let dir: string;
  let db: Store;
  let messages: MessageStore;
  let disappearing: Disappearing;
  const conversation = 'direct:bob';

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-disappearing-'));
    db = openStore(path.join(dir, 'store.db'), randomBytes(32));
    messages = new MessageStore(db);
    disappearing = new Disappearing(db);
    messages.ensureDirectConversation('bob', 'Bob', 0);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (id: string, expireSeconds: number, body = 'texte') =>
    messages.insert({
      id,
      conversationId: conversation,
      senderId: 'bob',
      senderDevice: 1,
      sentAt: 1000,
      receivedAt: 1000,
      kind: 'text',
      body,
      replyTo: null,
      outgoing: false,
      status: 'received',
      expireSeconds,
    });
  const id = (n: number) => n.toString(16).padStart(32, '0');

  it('accepts 0 or whole seconds within the bounds', () => {
    for (const good of [0, 1, 30, MAX_EXPIRE_SECONDS]) expect(isExpireSeconds(good)).toBe(true);
    for (const bad of [-1, 0.5, MAX_EXPIRE_SECONDS + 1, Number.NaN, Infinity, '30', null]) {
      expect(isExpireSeconds(bad)).toBe(false);
    }
  });

  it('keeps the latest change when an older one arrives after it', () => {
    expect(disappearing.setTimer(conversation, 3600, 2000)).toBe(true);
    expect(disappearing.setTimer(conversation, 60, 1500)).toBe(false);
    expect(disappearing.timerOf(conversation)).toBe(3600);
    expect(disappearing.setTimer(conversation, 0, 2500)).toBe(true);
    expect(disappearing.timerOf(conversation)).toBe(0);
    expect(disappearing.timerOf('direct:nobody')).toBe(0);
  });

  it('counts down only once read, and erases the row, its index entry and its reactions', () => {
    insert(id(1), 60, 'mot secret');
    insert(id(2), 0, 'mot gardé');
    messages.react(id(1), 'alice', '👍', 1100);
    expect(disappearing.nextExpiry()).toBeNull();
    disappearing.startOnRead([id(1), id(2)], 10_000);
    // Read twice: the countdown does not start again.
    disappearing.startOnRead([id(1)], 20_000);
    expect(disappearing.nextExpiry()).toBe(70_000);
    expect(messages.message(id(1))).toMatchObject({ expireSeconds: 60, expiresAt: 70_000 });
    expect(messages.message(id(2))?.expireSeconds).toBeUndefined();

    expect(db.transaction(() => disappearing.expireDue(69_999))().count).toBe(0);
    const expired = db.transaction(() => disappearing.expireDue(70_000))();
    expect([...expired.messages]).toEqual([[conversation, [id(1)]]]);
    expect(messages.message(id(1))).toBeNull();
    expect(db.prepare('SELECT count(*) FROM reactions').pluck().get()).toBe(0);
    const found = db
      .prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'secret'`)
      .all();
    expect(found).toEqual([]);
    expect(messages.message(id(2))?.text).toBe('mot gardé');
    expect(disappearing.nextExpiry()).toBeNull();
  });

  it('erases a backlog in batches, and queues only files no other message shows', () => {
    for (let n = 1; n <= EXPIRE_BATCH + 3; n++) insert(id(n), 1);
    const file = (attachment: string, message: string) =>
      db
        .prepare(
          'INSERT INTO message_attachments (message_id, attachment_id, position) VALUES (?, ?, 0)',
        )
        .run(message, attachment);
    file('a'.repeat(32), id(1));
    file('b'.repeat(32), id(2));
    file('b'.repeat(32), id(EXPIRE_BATCH + 3)); // a forward, read later
    disappearing.startOnRead(
      Array.from({ length: EXPIRE_BATCH + 2 }, (_, n) => id(n + 1)),
      0,
    );
    expect(db.transaction(() => disappearing.expireDue(5000))().count).toBe(EXPIRE_BATCH);
    expect(db.transaction(() => disappearing.expireDue(5000))().count).toBe(2);
    expect(disappearing.filesToErase()).toEqual(['a'.repeat(32)]);
    disappearing.erased('a'.repeat(32));
    expect(disappearing.filesToErase()).toEqual([]);
    expect(messages.message(id(EXPIRE_BATCH + 3))).not.toBeNull();
  });

  it('shows a notice its timer, and a message its countdown once started', () => {
    expect(expiryView('timer', 0, null)).toEqual({ expireSeconds: 0 });
    expect(expiryView('text', 0, null)).toEqual({});
    expect(expiryView('text', 30, null)).toEqual({ expireSeconds: 30 });
    expect(expiryView('reply', 30, 5)).toEqual({ expireSeconds: 30, expiresAt: 5 });
  });
});
