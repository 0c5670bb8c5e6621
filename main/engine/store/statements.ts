// Prepared statements cached per database: better-sqlite3 compiles SQL on every
// `prepare`, which costs more than running a small statement. The hot paths
// (inbox, message store, sessions) prepare each statement once.
import type Database from 'better-sqlite3-multiple-ciphers';

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}
