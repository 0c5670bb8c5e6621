// Conversations and messages in the store: writes used by sending and receiving,
// and the read models (views) handed to the UI. Writes run inside the caller's
// transaction.
import { statement } from './store/statements.js';
import type {
  AttachmentView,
  ConversationView,
  DeliveryStatus,
  MessageKind,
  MessageView,
  Reaction,
} from '../../shared/api/contract.js';
import type { Store } from './store/open-store.js';
import { expiryView } from './disappearing.js';
import { labelOfLevel } from './classification.js';
import { type Classification, classificationLevel } from '../../shared/api/classification.js';

/** A conversation as the store knows it; the engine adds who may post and the clearance. */
export type StoredConversationView = Omit<ConversationView, 'clearance' | 'channel'>;

export function directConversationId(peerUserId: string): string {
  return `direct:${peerUserId}`;
}

export interface NewMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly senderDevice: number;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly kind: MessageKind;
  readonly body: string | null;
  readonly replyTo: string | null;
  readonly outgoing: boolean;
  readonly status: DeliveryStatus;
  /** Forwarded from another message (its text and files). */
  readonly forwarded?: boolean;
  /** Disappearing messages: seconds it lives (0 or absent: kept); a `timer` notice's new timer. */
  readonly expireSeconds?: number;
  /** When it disappears, if its countdown starts at once (mine, sent from another device). */
  readonly expiresAt?: number | null;
  /** Its sender asks each recipient for a signed acknowledgement. */
  readonly ackRequested?: boolean;
  /** Its classification label (absent: none). */
  readonly classification?: Classification;
}

interface MessageRow {
  seq: number;
  id: string;
  conversation_id: string;
  sender_id: string;
  sent_at: number;
  kind: string;
  body: string | null;
  reply_to: string | null;
  edited_at: number | null;
  deleted_at: number | null;
  outgoing: number;
  status: DeliveryStatus;
  refusal_reason: string | null;
  forwarded: number;
  expire_seconds: number;
  expires_at: number | null;
  ack_requested: number;
  classification: number;
}

const STATUS_RANK: Record<DeliveryStatus, number> = {
  waiting: 0,
  refused: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  received: 0,
};

export class MessageStore {
  /** Set by the engine: the views of a message's files, from their ids in order. */
  attachmentViews: ((attachmentIds: readonly string[]) => AttachmentView[]) | null = null;

  constructor(private readonly db: Store) {}

  /** Creates the 1:1 conversation with `peer` if needed. */
  ensureDirectConversation(peer: string, title: string, now: number): string {
    const id = directConversationId(peer);
    statement(
      this.db,
      `INSERT INTO conversations (id, kind, peer_user_id, title, created_at, last_activity_at)
         VALUES (?, 'direct', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ).run(id, peer, title, now, now);
    return id;
  }

  conversationExists(id: string): boolean {
    return statement(this.db, 'SELECT 1 FROM conversations WHERE id = ?').get(id) !== undefined;
  }

  /** Inserts a message unless its id is already stored; true when it was new. */
  insert(m: NewMessage): boolean {
    const result = statement(
      this.db,
      `INSERT INTO messages (id, conversation_id, sender_id, sender_device, sent_at, received_at, kind, body,
           reply_to, outgoing, status, forwarded, expire_seconds, expires_at, ack_requested,
           classification)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ).run(
      m.id,
      m.conversationId,
      m.senderId,
      m.senderDevice,
      m.sentAt,
      m.receivedAt,
      m.kind,
      m.body,
      m.replyTo,
      m.outgoing ? 1 : 0,
      m.status,
      m.forwarded ? 1 : 0,
      m.expireSeconds ?? 0,
      m.expiresAt ?? null,
      m.ackRequested ? 1 : 0,
      classificationLevel(m.classification ?? 'none'),
    );
    if (result.changes === 0) return false;
    statement(
      this.db,
      `UPDATE conversations SET last_activity_at = max(last_activity_at, ?),
           unread_count = unread_count + ? WHERE id = ?`,
    ).run(m.sentAt, m.outgoing ? 0 : 1, m.conversationId);
    return true;
  }

  /**
   * Applies an edit by the message's own sender; false when the target is unknown, not
   * theirs, or asked for acknowledgements (what was acknowledged stays as it was sent).
   */
  edit(targetId: string, senderId: string, body: string, at: number): boolean {
    return (
      statement(
        this.db,
        `UPDATE messages SET body = ?, edited_at = ?
           WHERE id = ? AND sender_id = ? AND deleted_at IS NULL AND kind <> 'timer'
             AND ack_requested = 0`,
      ).run(body, at, targetId, senderId).changes > 0
    );
  }

  /** Deletes for everyone (by its sender): the text is gone from the store and the index. */
  delete(targetId: string, senderId: string, at: number): boolean {
    return (
      statement(
        this.db,
        `UPDATE messages SET body = NULL, deleted_at = ? WHERE id = ? AND sender_id = ? AND kind <> 'timer'`,
      ).run(at, targetId, senderId).changes > 0
    );
  }

  react(targetId: string, userId: string, emoji: string, at: number): boolean {
    if (!statement(this.db, 'SELECT 1 FROM messages WHERE id = ?').get(targetId)) return false;
    if (emoji === '') {
      statement(this.db, 'DELETE FROM reactions WHERE message_id = ? AND user_id = ?').run(
        targetId,
        userId,
      );
    } else {
      statement(
        this.db,
        `INSERT INTO reactions (message_id, user_id, emoji, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, updated_at = excluded.updated_at`,
      ).run(targetId, userId, emoji, at);
    }
    return true;
  }

  /** Records a receipt for one of our messages and raises its status; returns the ids changed. */
  receipt(
    messageIds: readonly string[],
    fromUser: string,
    kind: 'delivered' | 'read',
    at: number,
  ): string[] {
    const changed: string[] = [];
    for (const id of messageIds) {
      const row = statement(this.db, 'SELECT status, outgoing FROM messages WHERE id = ?').get(
        id,
      ) as { status: DeliveryStatus; outgoing: number } | undefined;
      if (!row || row.outgoing !== 1) continue;
      statement(
        this.db,
        'INSERT OR IGNORE INTO receipts (message_id, user_id, kind, at) VALUES (?, ?, ?, ?)',
      ).run(id, fromUser, kind, at);
      if (STATUS_RANK[kind] > STATUS_RANK[row.status]) {
        statement(this.db, 'UPDATE messages SET status = ? WHERE id = ?').run(kind, id);
        changed.push(id);
      }
    }
    return changed;
  }

  /** Marks a conversation read; returns the ids of the incoming messages that became read. */
  markRead(conversationId: string): { senderId: string; ids: string[] }[] {
    const rows = statement(
      this.db,
      `SELECT id, sender_id FROM messages WHERE conversation_id = ? AND outgoing = 0 AND status = 'received'`,
    ).all(conversationId) as { id: string; sender_id: string }[];
    statement(
      this.db,
      `UPDATE messages SET status = 'read' WHERE conversation_id = ? AND outgoing = 0 AND status = 'received'`,
    ).run(conversationId);
    statement(this.db, 'UPDATE conversations SET unread_count = 0 WHERE id = ?').run(
      conversationId,
    );
    const bySender = new Map<string, string[]>();
    for (const r of rows) bySender.set(r.sender_id, [...(bySender.get(r.sender_id) ?? []), r.id]);
    return [...bySender].map(([senderId, ids]) => ({ senderId, ids }));
  }

  /**
   * Marks received messages read because one of our other devices read them (SyncRead);
   * returns those that changed and their conversations, whose unread counts follow.
   */
  markReadElsewhere(messageIds: readonly string[]): { ids: string[]; conversations: string[] } {
    const ids: string[] = [];
    const conversations = new Set<string>();
    const mark = statement(
      this.db,
      `UPDATE messages SET status = 'read' WHERE id = ? AND outgoing = 0 AND status = 'received'
         RETURNING conversation_id`,
    );
    for (const id of messageIds) {
      const row = mark.get(id) as { conversation_id: string } | undefined;
      if (!row) continue;
      ids.push(id);
      conversations.add(row.conversation_id);
    }
    for (const conversationId of conversations) {
      statement(
        this.db,
        `UPDATE conversations SET unread_count = (SELECT count(*) FROM messages
           WHERE conversation_id = ? AND outgoing = 0 AND status = 'received') WHERE id = ?`,
      ).run(conversationId, conversationId);
    }
    return { ids, conversations: [...conversations] };
  }

  setDraft(conversationId: string, draft: string, now: number): void {
    statement(this.db, 'UPDATE conversations SET draft = ?, draft_updated_at = ? WHERE id = ?').run(
      draft,
      now,
      conversationId,
    );
  }

  message(id: string): MessageView | null {
    const row = statement(this.db, 'SELECT * FROM messages WHERE id = ?').get(id) as
      MessageRow | undefined;
    return row ? this.views([row])[0]! : null;
  }

  /**
   * The views of many messages (a processed batch of arrivals), in the order of `ids`;
   * unknown ids are left out. Three queries per IDS_PER_QUERY ids instead of three per
   * message: after a weekend offline, thousands of messages are announced at once.
   * (Every view is built this way, `views`: a page of 50 messages costs three queries.)
   */
  messagesById(ids: readonly string[]): MessageView[] {
    const views: MessageView[] = [];
    for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
      const rows = statement(
        this.db,
        `SELECT m.* FROM json_each(?) AS j JOIN messages m ON m.id = j.value ORDER BY j.key`,
      ).all(JSON.stringify(ids.slice(start, start + IDS_PER_QUERY))) as MessageRow[];
      views.push(...this.views(rows));
    }
    return views;
  }

  messageRow(id: string): {
    senderId: string;
    conversationId: string;
    outgoing: boolean;
    deleted: boolean;
    classification: Classification;
  } | null {
    const row = statement(
      this.db,
      'SELECT sender_id, conversation_id, outgoing, deleted_at, classification FROM messages WHERE id = ?',
    ).get(id) as
      | {
          sender_id: string;
          conversation_id: string;
          outgoing: number;
          deleted_at: number | null;
          classification: number;
        }
      | undefined;
    return row
      ? {
          senderId: row.sender_id,
          conversationId: row.conversation_id,
          outgoing: row.outgoing === 1,
          deleted: row.deleted_at !== null,
          classification: labelOfLevel(row.classification),
        }
      : null;
  }

  /** The newest `limit` messages before `before` (a sent_at), oldest first. */
  messages(conversationId: string, before = Number.MAX_SAFE_INTEGER, limit = 50): MessageView[] {
    const rows = statement(
      this.db,
      `SELECT * FROM messages WHERE conversation_id = ? AND sent_at < ?
         ORDER BY sent_at DESC, seq DESC LIMIT ?`,
    ).all(conversationId, before, limit) as MessageRow[];
    return this.views(rows.reverse());
  }

  /**
   * The `limit` messages just before message `anchorId` in the conversation's order
   * (sent_at, then arrival), whatever how many share its millisecond; null when the
   * anchor is not a message of that conversation.
   */
  messagesBefore(conversationId: string, anchorId: string, limit = 50): MessageView[] | null {
    const anchor = statement(
      this.db,
      'SELECT sent_at, seq FROM messages WHERE id = ? AND conversation_id = ?',
    ).get(anchorId, conversationId) as { sent_at: number; seq: number } | undefined;
    if (!anchor) return null;
    const rows = statement(
      this.db,
      `SELECT * FROM messages WHERE conversation_id = ?
         AND (sent_at < ? OR (sent_at = ? AND seq < ?))
         ORDER BY sent_at DESC, seq DESC LIMIT ?`,
    ).all(conversationId, anchor.sent_at, anchor.sent_at, anchor.seq, limit) as MessageRow[];
    return this.views(rows.reverse());
  }

  conversations(): StoredConversationView[] {
    const rows = statement(
      this.db,
      `SELECT c.*, (SELECT m.id FROM messages m WHERE m.conversation_id = c.id ORDER BY m.sent_at DESC, m.seq DESC LIMIT 1) AS last_id
         FROM conversations c ORDER BY c.last_activity_at DESC`,
    ).all() as {
      id: string;
      kind: 'direct' | 'group';
      title: string;
      peer_user_id: string | null;
      unread_count: number;
      draft: string;
      last_activity_at: number;
      last_id: string | null;
      expire_seconds: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      title: r.title,
      peerUserId: r.peer_user_id,
      lastMessage: r.last_id ? withoutPreviews(this.message(r.last_id)) : null,
      unreadCount: r.unread_count,
      draft: r.draft,
      lastActivityAt: r.last_activity_at,
      expireSeconds: r.expire_seconds,
    }));
  }

  /** The views of stored rows, in their order: their reactions and files in one query each. */
  private views(rows: readonly MessageRow[]): MessageView[] {
    if (rows.length === 0) return [];
    const list = JSON.stringify(rows.map((row) => row.id));
    const reactions = groupByMessage(
      statement(
        this.db,
        `SELECT message_id, user_id, emoji FROM reactions
           WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, updated_at`,
      ).all(list) as { message_id: string; user_id: string; emoji: string }[],
    );
    const files = groupByMessage(
      statement(
        this.db,
        `SELECT message_id, attachment_id FROM message_attachments
           WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, position`,
      ).all(list) as { message_id: string; attachment_id: string }[],
    );
    return rows.map((row) =>
      this.viewOf(
        row,
        reactions.get(row.id) ?? [],
        (files.get(row.id) ?? []).map((f) => f.attachment_id),
      ),
    );
  }

  private viewOf(
    row: MessageRow,
    reactions: readonly { user_id: string; emoji: string }[],
    attachmentIds: readonly string[],
  ): MessageView {
    return {
      id: row.id,
      conversationId: row.conversation_id,
      senderId: row.sender_id,
      outgoing: row.outgoing === 1,
      sentAt: row.sent_at,
      kind: row.kind === 'reply' || row.kind === 'timer' ? row.kind : 'text',
      text: row.body,
      replyTo: row.reply_to,
      editedAt: row.edited_at,
      deletedAt: row.deleted_at,
      status: row.status,
      refusalReason: row.refusal_reason,
      reactions: reactions.map((r): Reaction => ({ userId: r.user_id, emoji: r.emoji })),
      attachments:
        this.attachmentViews && attachmentIds.length > 0 ? this.attachmentViews(attachmentIds) : [],
      ...(row.forwarded === 1 ? { forwarded: true } : {}),
      ...expiryView(row.kind, row.expire_seconds, row.expires_at),
      ...(row.ack_requested === 1
        ? { acknowledgement: { requested: true as const, by: this.acknowledgedBy(row.id) } }
        : {}),
      ...(row.classification !== 0 ? { classification: labelOfLevel(row.classification) } : {}),
    };
  }

  /** Who acknowledged a message (verified before it was stored), the first time for each. */
  private acknowledgedBy(messageId: string): { userId: string; at: number }[] {
    return statement(
      this.db,
      `SELECT user_id AS userId, min(at) AS at FROM acknowledgements WHERE message_id = ?
         GROUP BY user_id ORDER BY min(at)`,
    ).all(messageId) as { userId: string; at: number }[];
  }
}

/**
 * The conversation list shows a file's name, never its picture: leaving the previews
 * out keeps a list of many conversations small (each preview is up to 43 KB as text).
 */
function withoutPreviews(message: MessageView | null): MessageView | null {
  if (!message?.attachments?.some((a) => a.preview !== undefined)) return message;
  return {
    ...message,
    attachments: message.attachments.map(({ preview: _preview, ...rest }) => rest),
  };
}

/** Ids per query of messagesById: a JSON array bound as one parameter. */
const IDS_PER_QUERY = 500;

function groupByMessage<T extends { message_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const byMessage = new Map<string, T[]>();
  for (const row of rows) {
    const list = byMessage.get(row.message_id);
    if (list) list.push(row);
    else byMessage.set(row.message_id, [row]);
  }
  return byMessage;
}
