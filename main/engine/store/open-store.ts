// Opens the client's SQLite store, encrypted as a whole (SQLCipher format via
// better-sqlite3-multiple-ciphers). The key is checked by a read before anything
// is written, so a wrong key or a damaged file is reported and never overwritten.
import Database from 'better-sqlite3-multiple-ciphers';
import { EngineError } from '../../../shared/api/errors.js';
import { toHex } from '../../../shared/util/bytes.js';
import { migrate } from './migrations.js';

export type Store = Database.Database;

export function openStore(file: string, key: Uint8Array): Store {
  if (key.length !== 32) throw new EngineError('BAD_REQUEST', 'A store key is 32 bytes.');
  let db: Store;
  try {
    db = new Database(file);
  } catch (error) {
    throw new EngineError(
      'STORE_UNREADABLE',
      `The store ${file} cannot be opened: ${(error as Error).message}`,
    );
  }
  try {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    db.pragma(`key="x'${toHex(key)}'"`);
    // The first read proves the key; nothing has been written yet.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch {
    db.close();
    throw new EngineError('STORE_UNREADABLE');
  }
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before we acknowledge anything to the relay.
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    // The search index's triggers must also fire for rows replaced by INSERT OR REPLACE.
    db.pragma('recursive_triggers = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
