// Disappearing messages in the store: each conversation's timer, the countdown of
// each message, and the erasure of the messages whose time is up.
//
// The rule, as in the anchors: a message lives `expire_seconds` counted from when it
// leaves, for its sender (the outbox starts it in the same transaction that marks it
// sent), and from when it is read, for each reader (markRead). A message that is never
// read is kept. Timer notices themselves are kept.
//
// Erasing a message deletes its row (so the search index forgets its words through
// the index's triggers, and `secure_delete` overwrites the freed pages), its reactions
// and receipts, and the files no other message names. Files are erased from the disk
// after the commit: their ids go into `files_to_erase` in the same transaction, so an
// app stopped in between erases them at its next start.
import {
  MAX_EXPIRE_SECONDS,
  MIN_EXPIRE_SECONDS,
  type MessageView,
} from '../../shared/api/contract.js';
import type { Store } from './store/open-store.js';
import { statement } from './store/statements.js';

/** The engine's migration 8 (main/engine/store/migrations.ts). */
export const DISAPPEARING_MIGRATION_STATEMENTS: readonly string[] = [
  'ALTER TABLE conversations ADD COLUMN expire_seconds INTEGER NOT NULL DEFAULT 0',
  // sent_at of the change in force: an older change arriving late does not undo a newer one.
  'ALTER TABLE conversations ADD COLUMN expire_changed_at INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE messages ADD COLUMN expire_seconds INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE messages ADD COLUMN expires_at INTEGER',
  'CREATE INDEX messages_expiring ON messages (expires_at) WHERE expires_at IS NOT NULL',
  'CREATE TABLE files_to_erase (attachment_id TEXT PRIMARY KEY)',
];

/** Messages erased per transaction: a backlog (a PC off for a month) goes in steps. */
export const EXPIRE_BATCH = 500;

/** 0 (off) or a whole number of seconds within the bounds. */
export function isExpireSeconds(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    (value === 0 || (value >= MIN_EXPIRE_SECONDS && value <= MAX_EXPIRE_SECONDS))
  );
}

/** What one sweep erased: message ids by conversation. */
export interface Expired {
  readonly messages: ReadonlyMap<string, readonly string[]>;
  readonly count: number;
}

export class Disappearing {
  constructor(private readonly db: Store) {}

  /** Seconds new messages of the conversation live (0: kept). */
  timerOf(conversationId: string): number {
    return (
      (statement(this.db, 'SELECT expire_seconds FROM conversations WHERE id = ?')
        .pluck()
        .get(conversationId) as number | undefined) ?? 0
    );
  }

  /** Applies a timer change made at `at`, unless a later one is in force; true when applied. */
  setTimer(conversationId: string, seconds: number, at: number): boolean {
    return (
      statement(
        this.db,
        `UPDATE conversations SET expire_seconds = ?, expire_changed_at = ?
           WHERE id = ? AND expire_changed_at <= ?`,
      ).run(seconds, at, conversationId, at).changes > 0
    );
  }

  /** Starts the countdown of received messages that were just read; returns those that started. */
  startOnRead(messageIds: readonly string[], now: number): string[] {
    const start = statement(
      this.db,
      `UPDATE messages SET expires_at = ? + expire_seconds * 1000
         WHERE id = ? AND expire_seconds > 0 AND expires_at IS NULL AND kind <> 'timer'`,
    );
    return messageIds.filter((id) => start.run(now, id).changes > 0);
  }

  /** The earliest time a message is due to disappear, or null when none is counting down. */
  nextExpiry(): number | null {
    return (
      (statement(this.db, 'SELECT min(expires_at) FROM messages WHERE expires_at IS NOT NULL')
        .pluck()
        .get() as number | null) ?? null
    );
  }

  /**
   * Erases up to EXPIRE_BATCH messages whose time is up (inside the caller's
   * transaction), and queues their files that no other message names.
   */
  expireDue(now: number): Expired {
    const due = statement(
      this.db,
      'SELECT id, conversation_id FROM messages WHERE expires_at <= ? ORDER BY expires_at LIMIT ?',
    ).all(now, EXPIRE_BATCH) as { id: string; conversation_id: string }[];
    const files = statement(
      this.db,
      'SELECT attachment_id FROM message_attachments WHERE message_id = ?',
    ).pluck();
    const stillNamed = statement(
      this.db,
      'SELECT 1 FROM message_attachments WHERE attachment_id = ? LIMIT 1',
    );
    const byConversation = new Map<string, string[]>();
    for (const { id, conversation_id: conversationId } of due) {
      const attachmentIds = files.all(id) as string[];
      statement(this.db, 'DELETE FROM message_attachments WHERE message_id = ?').run(id);
      for (const attachmentId of attachmentIds) {
        // A forward names the same file: it stays while a message still shows it.
        if (stillNamed.get(attachmentId)) continue;
        statement(this.db, 'INSERT OR IGNORE INTO files_to_erase (attachment_id) VALUES (?)').run(
          attachmentId,
        );
      }
      statement(this.db, 'DELETE FROM reactions WHERE message_id = ?').run(id);
      statement(this.db, 'DELETE FROM receipts WHERE message_id = ?').run(id);
      statement(this.db, 'DELETE FROM acknowledgements WHERE message_id = ?').run(id);
      statement(this.db, 'DELETE FROM messages WHERE id = ?').run(id);
      byConversation.set(conversationId, [...(byConversation.get(conversationId) ?? []), id]);
    }
    return { messages: byConversation, count: due.length };
  }

  /** Files of erased messages still on the disk. */
  filesToErase(): string[] {
    return statement(this.db, 'SELECT attachment_id FROM files_to_erase').pluck().all() as string[];
  }

  erased(attachmentId: string): void {
    statement(this.db, 'DELETE FROM files_to_erase WHERE attachment_id = ?').run(attachmentId);
  }
}

/** The expiry fields of a message's view (absent when the message is kept). */
export function expiryView(
  kind: string,
  expireSeconds: number,
  expiresAt: number | null,
): Pick<MessageView, 'expireSeconds' | 'expiresAt'> {
  if (kind === 'timer') return { expireSeconds };
  if (expireSeconds <= 0) return {};
  return expiresAt === null ? { expireSeconds } : { expireSeconds, expiresAt };
}
