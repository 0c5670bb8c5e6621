// Test and bench fixture: an encrypted store in a temporary folder, opened the way the
// engine opens its own (SQLCipher format, random 256-bit key, WAL), with the `messages`
// table the engine will have and, unless told otherwise, the search index migration.
// Not used by the engine itself, which owns its store and its migrations.
import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SEARCH_INDEX_MIGRATION } from './search-schema.js';

/** The engine's `messages` table, as far as search relies on it. */
export const MESSAGES_TABLE = `CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  body TEXT
)`;

export interface TestStore {
  readonly db: Database.Database;
  /** The database file. */
  readonly file: string;
  /** Closes the database and deletes its folder. */
  close(): void;
}

/** Opens `file` encrypted with `keyHex` (64 hex digits), as the engine does, with the
 * connection setting the search index needs (see search-schema.ts). */
export function openEncrypted(file: string, keyHex: string): Database.Database {
  const db = new Database(file);
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${keyHex}'"`);
  db.pragma('journal_mode=WAL');
  db.pragma('recursive_triggers=ON');
  return db;
}

/** A new encrypted store with `messages` and, if `withIndex`, the search index. */
export function createTestStore(options: { withIndex?: boolean } = {}): TestStore {
  const folder = mkdtempSync(path.join(tmpdir(), 'comgov-search-'));
  const file = path.join(folder, 'store.db');
  const db = openEncrypted(file, randomBytes(32).toString('hex'));
  db.exec(MESSAGES_TABLE);
  if (options.withIndex ?? true) {
    db.transaction(() => {
      for (const statement of SEARCH_INDEX_MIGRATION) db.exec(statement);
    })();
  }
  return {
    db,
    file,
    close() {
      if (db.open) db.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
