// The full-text index of message bodies: its table, the triggers that keep it in step
// with `messages`, and how to check, rebuild and compact it.
//
// Run SEARCH_INDEX_MIGRATION once, as one numbered migration, once the `messages` table
// exists (columns used: seq, conversation_id, body); it also indexes the messages already
// there. The UPDATE trigger fires only when seq, body or conversation_id change, so
// status updates cost nothing. From then on
// every INSERT, UPDATE and DELETE on `messages` updates the index inside the same
// transaction; nothing else has to call into this module to keep it current.
//
// One rule for the store: every connection that writes `messages` runs
// `PRAGMA recursive_triggers = ON` (per connection, not saved in the file), or never
// writes with INSERT OR REPLACE. SQLite fires no delete trigger for a row that REPLACE
// removes unless that pragma is on; the index would keep the removed text (search hides
// such entries, see search-index.ts, and rebuildSearchIndex() clears them).
// INSERT … ON CONFLICT DO UPDATE and INSERT OR IGNORE are fine either way.
//
// Design, and why:
// - External-content FTS5 table: the index holds tokens and positions only, the text is
//   stored once, in `messages`. Its content is the view `messages_fts_content` (rows
//   with a body), so that FTS5's own 'rebuild' and 'integrity-check' see exactly what the
//   triggers index.
// - `secure-delete`: the words of an edited or deleted message are removed from the
//   index pages at once, instead of staying in old segments until a merge. This is why
//   the index is external-content and not contentless-delete (`content=''`,
//   `contentless_delete=1`), which would be immune to the REPLACE rule above (it deletes
//   by rowid alone) but, not knowing a deleted row's words, can only mark the row dead:
//   measured, the words of a deleted message stayed in the index pages until 'optimize'.
//   For a messenger whose users delete what they sent by mistake, the index must forget.
//   (Freed pages are only wiped if the store also runs `PRAGMA secure_delete = ON`.)
//   The price: an edit or delete costs about 10 ms instead of 0.4 ms on a store of
//   1,000,000 messages; changes to many messages go through changeMessagesInBulk().
// - Two columns: `body`, the searched text, and `conversation_key`, the conversation id
//   as one token (`hex(conversation_id)`), so that a search in one conversation is an
//   intersection of two lists inside FTS5 instead of a scan of all matches filtered by a
//   join (measured on 1,000,000 messages: 2 ms instead of about 190 ms for a word in 60 %
//   of them). Hex, because the id's own text would be cut into several tokens
//   (`group:3fa9-…` → `group` `3fa9` …), the first shared by many conversations, and a
//   phrase query over them reads that shared token's whole list (measured: up to 60 ms).
// - Tokenizer `unicode61 remove_diacritics 2`: case and accents folded (`sécurité` =
//   `securite`), apostrophes ' and ’ separate tokens (`l'arbre` → `l` + `arbre`). The
//   modifier-letter apostrophe ʼ (U+02BC), a letter for Unicode, is made a separator too.
// - `prefix='2 3'`: extra index entries for the 2- and 3-letter prefixes of every token,
//   so that `mi*` or `con*` reads one list instead of merging the lists of every word
//   that starts that way. Measured on 300,000 bench messages: searches for `de`, `mi`,
//   `co`, `pr` took 8–29 ms without them (and grow with the store), 2–3 ms with them;
//   the price is a store 37 % larger and indexing about 40 % slower. Longer prefixes are
//   left to FTS5, which merges their lists at query time (a few ms each).
// - Only rows whose body is not NULL are indexed: a delete sets body to NULL, and
//   reactions and other events without text cost nothing. The body is the searchable
//   text whatever the row's kind: the engine keeps body NULL for rows that must not be
//   found.
import type Database from 'better-sqlite3-multiple-ciphers';

const TOKENIZER = "unicode61 remove_diacritics 2 separators '\u02BC'";

/** The ordered statements of the migration that creates the index and its triggers. */
export const SEARCH_INDEX_MIGRATION: readonly string[] = [
  `CREATE VIEW messages_fts_content AS
     SELECT seq, body, hex(conversation_id) AS conversation_key
     FROM messages WHERE body IS NOT NULL`,
  `CREATE VIRTUAL TABLE messages_fts USING fts5(
     body, conversation_key,
     content = 'messages_fts_content', content_rowid = 'seq',
     tokenize = "${TOKENIZER}",
     prefix = '2 3'
   )`,
  `INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1)`,
  // An external-content index must be told the exact text it indexed to remove it:
  // the triggers pass the old row's values, which are what the insert indexed.
  `CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages
   WHEN new.body IS NOT NULL BEGIN
     INSERT INTO messages_fts (rowid, body, conversation_key)
       VALUES (new.seq, new.body, hex(new.conversation_id));
   END`,
  `CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF seq, body, conversation_id ON messages
   BEGIN
     INSERT INTO messages_fts (messages_fts, rowid, body, conversation_key)
       SELECT 'delete', old.seq, old.body, hex(old.conversation_id) WHERE old.body IS NOT NULL;
     INSERT INTO messages_fts (rowid, body, conversation_key)
       SELECT new.seq, new.body, hex(new.conversation_id) WHERE new.body IS NOT NULL;
   END`,
  `CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages
   WHEN old.body IS NOT NULL BEGIN
     INSERT INTO messages_fts (messages_fts, rowid, body, conversation_key)
       VALUES ('delete', old.seq, old.body, hex(old.conversation_id));
   END`,
  // Indexes the messages already in the store (none in a new one).
  `INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`,
];

/**
 * Rebuilds the index from `messages` and compacts it: to repair an index that
 * checkSearchIndex() finds out of step (the migration indexes the messages that predate
 * it by itself). One
 * transaction, a few times faster than indexing the messages one by one (measured on
 * 300,000 bench messages: 4.5 s against 18 s), still long enough that the engine runs it
 * off the UI's critical path.
 */
export function rebuildSearchIndex(db: Database.Database): void {
  db.exec(`INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`);
  optimizeSearchIndex(db);
}

/**
 * Runs `change`, a change to many messages at once (deleting a conversation, a retention
 * sweep), in one transaction that keeps the index's promise to forget deleted words at a
 * lower price. On a store of 1,000,000 messages, secure deletion costs about 10 ms per
 * edited or deleted message in its own transaction and 1.4 ms in a large one (0.4 ms
 * without it): deleting a conversation of 41,458 messages took 57 s. So for the change
 * it is switched off, and the index is then merged whole ('optimize'), which drops the
 * deleted words all at once: 7 s for that conversation. The switch is made and undone
 * inside the transaction: if anything fails, secure deletion is still on. For a few
 * messages, change them directly instead.
 */
export function changeMessagesInBulk<T>(db: Database.Database, change: () => T): T {
  return db.transaction(() => {
    db.exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 0)`);
    const result = change();
    db.exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1)`);
    optimizeSearchIndex(db);
    return result;
  })();
}

/**
 * Merges the index into one segment: smaller, and the fastest to read. Optional; FTS5
 * merges incrementally as messages arrive. Worth running when the app is idle after a
 * large import (300,000 messages: about 1 s).
 */
export function optimizeSearchIndex(db: Database.Database): void {
  db.exec(`INSERT INTO messages_fts (messages_fts) VALUES ('optimize')`);
}

/**
 * Whether the index matches `messages` exactly (FTS5's integrity check against its
 * content). Reads the whole index: for diagnostics and tests, not for every start.
 */
export function checkSearchIndex(db: Database.Database): boolean {
  try {
    db.exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_CORRUPT_VTAB') return false;
    throw error;
  }
}
