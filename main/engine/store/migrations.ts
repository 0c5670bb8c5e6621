// Numbered schema migrations of the client store. `PRAGMA user_version` holds the
// number of the last one applied; each runs in its own transaction, so a crash
// leaves the store at one version or the next. Never edit a released migration:
// add a new one (and its test in migrations.test.ts).
import type Database from 'better-sqlite3-multiple-ciphers';
import { EngineError } from '../../../shared/api/errors.js';
import { SEARCH_INDEX_MIGRATION } from '../search/search-schema.js';
import { ATTACHMENT_MIGRATION_STATEMENTS } from '../attachments/schema.js';
import { PENDING_SAVES_MIGRATION_STATEMENTS } from '../attachments/pending-saves.js';
import { PREVIEW_MIGRATION_STATEMENTS } from '../attachments/preview.js';
import { DISAPPEARING_MIGRATION_STATEMENTS } from '../disappearing.js';
import { CLASSIFICATION_MIGRATION_STATEMENTS } from '../classification.js';
import { DOCUMENT_MIGRATION_STATEMENTS } from '../documents/documents.js';
import { ORG_CHART_MIGRATION_STATEMENTS } from '../org-chart.js';
import { ACKNOWLEDGEMENT_MIGRATION_STATEMENTS } from '../acknowledgements/acknowledgements.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'account, keys, directory, sessions, conversations, messages, outbox, inbox',
    statements: [
      `CREATE TABLE account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        user_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        relay_url TEXT NOT NULL,
        relay_public_key BLOB NOT NULL,
        identity_public BLOB NOT NULL,
        identity_secret BLOB NOT NULL,
        certificate BLOB NOT NULL,
        display_name TEXT NOT NULL,
        institution TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        enrolled_at INTEGER NOT NULL
      )`,
      `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE signed_prekeys (
        id INTEGER PRIMARY KEY,
        public_key BLOB NOT NULL,
        secret_key BLOB NOT NULL,
        signature BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        retired_at INTEGER
      )`,
      `CREATE TABLE one_time_prekeys (
        id INTEGER PRIMARY KEY,
        public_key BLOB NOT NULL,
        secret_key BLOB NOT NULL
      )`,
      `CREATE TABLE contacts (
        user_id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        institution TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        verified INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE TABLE contact_devices (
        user_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        identity_key BLOB NOT NULL,
        certificate BLOB NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        first_seen INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id)
      )`,
      `CREATE TABLE identity_changes (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        old_key BLOB NOT NULL,
        new_key BLOB NOT NULL,
        detected_at INTEGER NOT NULL,
        acknowledged INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE sessions (
        user_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        state BLOB NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id)
      )`,
      `CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
        peer_user_id TEXT,
        title TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        last_activity_at INTEGER NOT NULL,
        unread_count INTEGER NOT NULL DEFAULT 0,
        draft TEXT NOT NULL DEFAULT '',
        draft_updated_at INTEGER
      )`,
      `CREATE INDEX conversations_by_activity ON conversations (last_activity_at DESC)`,
      `CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations (id),
        sender_id TEXT NOT NULL,
        sender_device INTEGER NOT NULL,
        sent_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body TEXT,
        reply_to TEXT,
        edited_at INTEGER,
        deleted_at INTEGER,
        outgoing INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('waiting', 'sent', 'delivered', 'read', 'received', 'refused')),
        refusal_reason TEXT,
        extra TEXT
      )`,
      `CREATE INDEX messages_by_conversation ON messages (conversation_id, sent_at, seq)`,
      `CREATE TABLE reactions (
        message_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        emoji TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id)
      )`,
      `CREATE TABLE receipts (
        message_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('delivered', 'read')),
        at INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id, kind)
      )`,
      `CREATE TABLE outbox (
        job_id INTEGER PRIMARY KEY,
        message_id TEXT,
        conversation_id TEXT,
        payload BLOB NOT NULL,
        recipients TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT
      )`,
      `CREATE TABLE outbox_sealed (
        job_id INTEGER NOT NULL REFERENCES outbox (job_id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (job_id, user_id, device_id)
      )`,
      `CREATE TABLE inbox (
        server_id INTEGER PRIMARY KEY,
        sender_user TEXT NOT NULL,
        sender_device INTEGER NOT NULL,
        server_time INTEGER NOT NULL,
        ciphertext BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'processed', 'failed')),
        failure_code TEXT,
        failure_reason TEXT
      )`,
      `CREATE INDEX inbox_pending ON inbox (state, server_id)`,
    ],
  },
  {
    version: 2,
    name: 'groups: signed roster, members, sender keys',
    statements: [
      `CREATE TABLE groups (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        roster_seq INTEGER NOT NULL,
        roster_head BLOB NOT NULL,
        left_at INTEGER
      )`,
      `CREATE TABLE group_members (
        group_id TEXT NOT NULL REFERENCES groups (id),
        user_id TEXT NOT NULL,
        admin INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, user_id)
      )`,
      `CREATE TABLE group_roster (
        group_id TEXT NOT NULL REFERENCES groups (id),
        seq INTEGER NOT NULL,
        signed BLOB NOT NULL,
        PRIMARY KEY (group_id, seq)
      )`,
      `CREATE TABLE sender_keys (
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        key_id INTEGER NOT NULL,
        state BLOB NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (group_id, user_id, device_id, key_id)
      )`,
      `CREATE INDEX sender_keys_by_sender ON sender_keys (user_id, device_id, key_id)`,
      `CREATE TABLE own_sender_keys (
        group_id TEXT PRIMARY KEY,
        state BLOB NOT NULL,
        distributed_to TEXT NOT NULL DEFAULT '[]'
      )`,
    ],
  },
  {
    version: 3,
    name: 'French-aware full-text search over message bodies (FTS5, kept in step by triggers)',
    statements: SEARCH_INDEX_MIGRATION,
  },
  {
    version: 4,
    name: 'attachments: resumable encrypted transfers, and the files of each message',
    statements: [
      ...ATTACHMENT_MIGRATION_STATEMENTS,
      `CREATE TABLE message_attachments (
        message_id TEXT NOT NULL,
        attachment_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (message_id, attachment_id)
      )`,
      `CREATE INDEX message_attachments_by_attachment ON message_attachments (attachment_id)`,
    ],
  },
  {
    version: 5,
    name: 'saves under way: temporary files to delete if the app stopped before renaming them',
    statements: PENDING_SAVES_MIGRATION_STATEMENTS,
  },
  {
    version: 6,
    name: 'previews: the small picture of a file that travels with it in the message',
    statements: PREVIEW_MIGRATION_STATEMENTS,
  },
  {
    version: 7,
    name: 'forwarded messages are marked as such',
    statements: ['ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0'],
  },
  {
    version: 8,
    name: 'disappearing messages: timers, countdowns, and files to erase',
    statements: DISAPPEARING_MIGRATION_STATEMENTS,
  },
  {
    version: 9,
    name: 'signed acknowledgements ("pris connaissance") of messages that ask for them',
    statements: ACKNOWLEDGEMENT_MIGRATION_STATEMENTS,
  },
  {
    version: 10,
    name: 'broadcast channels: groups where only admins post',
    statements: ['ALTER TABLE groups ADD COLUMN broadcast INTEGER NOT NULL DEFAULT 0'],
  },
  {
    version: 11,
    name: 'classification labels of messages, and the clearance of each contact',
    statements: CLASSIFICATION_MIGRATION_STATEMENTS,
  },
  {
    version: 12,
    name: 'signed documents ("attestation d\'intégrité"): who signed each file\'s content',
    statements: DOCUMENT_MIGRATION_STATEMENTS,
  },
  {
    version: 13,
    name: 'the org chart (unit, manager) and declared absences of each contact',
    statements: ORG_CHART_MIGRATION_STATEMENTS,
  },
];

/** Applies every migration newer than the store's version, each in a transaction. */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw new EngineError('STORE_TOO_NEW');
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      for (const sql of migration.statements) db.exec(sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return latest;
}
