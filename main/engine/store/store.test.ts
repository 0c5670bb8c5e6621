import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../../shared/api/errors.js';
import { randomBytes, ready } from '../../../shared/crypto/index.js';
import { createStoreKey, unlockStoreKey } from './key-file.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { openStore } from './open-store.js';

beforeAll(ready);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'comgov-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof EngineError ? error.code : String(error);
  }
  return undefined;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('store key file', () => {
  it('wraps a random key with the passphrase and unwraps it only with the same passphrase', () => {
    const dir = tempDir();
    const key = createStoreKey(dir, 'correct horse battery');
    expect(key).toHaveLength(32);
    expect(unlockStoreKey(dir, 'correct horse battery')).toEqual(key);
    expect(codeOf(() => unlockStoreKey(dir, 'wrong horse battery'))).toBe('BAD_PASSPHRASE');
    expect(codeOf(() => createStoreKey(dir, 'another passphrase'))).toBe('ALREADY_ENROLLED');
    const keyFile = readFileSync(path.join(dir, 'store-key.json'), 'utf8');
    expect(keyFile).not.toContain(Buffer.from(key).toString('base64'));
  });

  it('refuses a short passphrase and a missing or damaged key file with clear codes', () => {
    const dir = tempDir();
    expect(codeOf(() => createStoreKey(dir, 'short'))).toBe('WEAK_PASSPHRASE');
    expect(codeOf(() => unlockStoreKey(dir, 'whatever passphrase'))).toBe('NOT_ENROLLED');
    writeFileSync(path.join(dir, 'store-key.json'), '{not json');
    expect(codeOf(() => unlockStoreKey(dir, 'whatever passphrase'))).toBe('STORE_UNREADABLE');
  });
});

describe('encrypted store', () => {
  it('keeps data across reopen, and nothing of it is readable in the file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.db');
    const key = randomBytes(32);
    const marker = 'MARQUEUR-SECRET-ÉTÉ-42';
    let db = openStore(file, key);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('marker', marker);
    db.close();
    db = openStore(file, key);
    expect(db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get('marker')).toBe(
      marker,
    );
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(path.join(dir, name));
      expect(bytes.includes(Buffer.from(marker, 'utf8')), name).toBe(false);
      expect(bytes.includes(Buffer.from(marker, 'utf16le')), name).toBe(false);
    }
  });

  it('refuses a wrong key without changing a byte of the file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.db');
    const db = openStore(file, randomBytes(32));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = sha(file);
    expect(codeOf(() => openStore(file, randomBytes(32)))).toBe('STORE_UNREADABLE');
    expect(sha(file)).toBe(before);
  });

  it('refuses a damaged file without overwriting it', () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.db');
    const key = randomBytes(32);
    const db = openStore(file, key);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(file);
    bytes.fill(0x41, 0, 64);
    writeFileSync(file, bytes);
    const before = sha(file);
    expect(codeOf(() => openStore(file, key))).toBe('STORE_UNREADABLE');
    expect(sha(file)).toBe(before);
  });
});

describe('migrations', () => {
  it('1: creates the core tables and sets user_version; running again changes nothing', () => {
    const db = openStore(path.join(tempDir(), 's.db'), randomBytes(32));
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .pluck()
      .all();
    for (const t of [
      'account',
      'contacts',
      'conversations',
      'inbox',
      'messages',
      'outbox',
      'sessions',
    ]) {
      expect(tables).toContain(t);
    }
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });

  it('refuses a store written by a newer version', () => {
    const file = path.join(tempDir(), 's.db');
    const key = randomBytes(32);
    const db = openStore(file, key);
    db.pragma('user_version = 999');
    db.close();
    expect(codeOf(() => openStore(file, key))).toBe('STORE_TOO_NEW');
  });

  it('a failing migration leaves the store at the previous version', () => {
    const db = openStore(path.join(tempDir(), 's.db'), randomBytes(32));
    const version = db.pragma('user_version', { simple: true }) as number;
    const broken = [
      ...MIGRATIONS,
      { version: version + 1, name: 'broken', statements: ['CREATE TABLE t (x)', 'NOT SQL'] },
    ];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(version);
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 't'`).pluck().get()).toBe(0);
    db.close();
  });
});
