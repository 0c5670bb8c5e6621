// Search on a real encrypted store in a temporary folder.
import Database from 'better-sqlite3-multiple-ciphers';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RANK_WINDOW, type SearchHit, search } from './search-index.js';
import {
  SEARCH_INDEX_MIGRATION,
  changeMessagesInBulk,
  checkSearchIndex,
  rebuildSearchIndex,
} from './search-schema.js';
import { snippetToString } from './snippet.js';
import { MESSAGES_TABLE, type TestStore, createTestStore } from './test-store.js';

interface NewMessage {
  id: string;
  body: string | null;
  conversation?: string;
  sender?: string;
  sentAt?: number;
  kind?: string;
}

let store: TestStore;
let clock = 1_700_000_000_000;

function add(db: Database.Database, m: NewMessage): void {
  db.prepare(
    `INSERT INTO messages (id, conversation_id, sender_id, sent_at, kind, body)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(
    m.id,
    m.conversation ?? 'conv-a',
    m.sender ?? 'alice',
    m.sentAt ?? (clock += 1000),
    m.kind ?? 'text',
    m.body,
  );
}

const ids = (hits: SearchHit[]) => hits.map((h) => h.id);
const find = (query: string, conversationId?: string) =>
  ids(search(store.db, query, conversationId === undefined ? {} : { conversationId }));

function integrityCheck(db: Database.Database): void {
  expect(checkSearchIndex(db)).toBe(true);
}

beforeEach(() => {
  store = createTestStore();
});
afterEach(() => {
  store.close();
});

describe('French matching', () => {
  beforeEach(() => {
    add(store.db, { id: 'securite', body: 'Point sur la Sécurité des réseaux' });
    add(store.db, { id: 'arbre-ascii', body: "L'arbre de la cour est tombé" });
    add(store.db, { id: 'arbre-typo', body: 'Il faut élaguer l’arbre' });
    add(store.db, { id: 'ecole-ascii', body: "Sortie d'école à 16 h" });
    add(store.db, { id: 'ecole-typo', body: 'Le directeur d’école a appelé' });
    add(store.db, { id: 'ministere', body: 'Note du MINISTÈRE de l’Intérieur' });
    add(store.db, { id: 'oeuvre', body: 'La mise en œuvre du décret' });
    add(store.db, { id: 'place', body: 'Une œuvre, puis la mise en place' });
    add(store.db, { id: 'nothing', body: 'Rien à voir ici' });
  });

  it('ignores accents and case', () => {
    expect(find('securite')).toEqual(['securite']);
    expect(find('SÉCURITÉ')).toEqual(['securite']);
    expect(find('sécurite')).toEqual(['securite']);
  });

  it('finds a word after an elision, with either apostrophe in the text', () => {
    expect(find('arbre').sort()).toEqual(['arbre-ascii', 'arbre-typo']);
    expect(find('ecole').sort()).toEqual(['ecole-ascii', 'ecole-typo']);
    expect(find('école').sort()).toEqual(['ecole-ascii', 'ecole-typo']);
  });

  it('accepts elisions in the query, with either apostrophe', () => {
    expect(find('l’arbre').sort()).toEqual(['arbre-ascii', 'arbre-typo']);
    expect(find("l'arbre").sort()).toEqual(['arbre-ascii', 'arbre-typo']);
    expect(find('d’école').sort()).toEqual(['ecole-ascii', 'ecole-typo']);
  });

  it('finds words by prefix', () => {
    expect(find('minist')).toEqual(['ministere']);
    expect(find('mi')).toContain('ministere');
    expect(find('sécu')).toEqual(['securite']);
  });

  it('requires every word, in any order', () => {
    expect(find('réseaux sécurité')).toEqual(['securite']);
    expect(find('sécurité arbre')).toEqual([]);
  });

  it('matches a quoted phrase as a phrase, and its words anywhere without quotes', () => {
    expect(find('"mise en oeuvre"')).toEqual(['oeuvre']);
    expect(find('"mise en œuvre"')).toEqual(['oeuvre']);
    expect(find('mise en oeuvre').sort()).toEqual(['oeuvre', 'place']);
    expect(find('« l’arbre de la cour »')).toEqual(['arbre-ascii']);
  });

  it('returns the message fields and a highlighted snippet', () => {
    const [hit] = search(store.db, 'ministere');
    expect(hit).toMatchObject({ id: 'ministere', conversation: 'conv-a', from: 'alice' });
    expect(typeof hit?.sentAt).toBe('number');
    expect(snippetToString(hit!.snippet)).toBe('Note du [MINISTÈRE] de l’Intérieur');
  });
});

describe('keeping in step with messages', () => {
  it('follows an edit: the old word is gone, the new one is found', () => {
    add(store.db, { id: 'm1', body: 'Rendez-vous mardi' });
    expect(find('mardi')).toEqual(['m1']);
    store.db.prepare(`UPDATE messages SET body = ? WHERE id = ?`).run('Rendez-vous jeudi', 'm1');
    expect(find('mardi')).toEqual([]);
    expect(find('jeudi')).toEqual(['m1']);
    expect(find('rendez')).toEqual(['m1']);
    integrityCheck(store.db);
  });

  it('drops a deleted message, whether its body is cleared or its row deleted', () => {
    add(store.db, { id: 'm1', body: 'Code confidentiel alpha' });
    add(store.db, { id: 'm2', body: 'Code confidentiel bravo' });
    expect(find('confidentiel').sort()).toEqual(['m1', 'm2']);
    store.db.prepare(`UPDATE messages SET body = NULL, kind = 'delete' WHERE id = 'm1'`).run();
    store.db.prepare(`DELETE FROM messages WHERE id = 'm2'`).run();
    expect(find('confidentiel')).toEqual([]);
    expect(find('alpha')).toEqual([]);
    integrityCheck(store.db);
  });

  it('indexes a body set later on a row that had none', () => {
    add(store.db, { id: 'm1', body: null, kind: 'reaction' });
    expect(find('tardif')).toEqual([]);
    store.db.prepare(`UPDATE messages SET body = 'texte tardif' WHERE id = 'm1'`).run();
    expect(find('tardif')).toEqual(['m1']);
  });

  it('rolls the index back with the transaction', () => {
    expect(() =>
      store.db.transaction(() => {
        add(store.db, { id: 'm1', body: 'annulé avant validation' });
        throw new Error('rollback');
      })(),
    ).toThrow('rollback');
    expect(find('annule')).toEqual([]);
  });

  it('stays consistent through INSERT OR REPLACE, INSERT OR IGNORE and upserts', () => {
    expect(store.db.pragma('recursive_triggers', { simple: true })).toBe(1);
    add(store.db, { id: 'm1', body: 'première version' });
    const replace = store.db.prepare(
      `INSERT OR REPLACE INTO messages (id, conversation_id, sender_id, sent_at, kind, body)
       VALUES ('m1', 'conv-a', 'alice', 1, 'text', ?)`,
    );
    replace.run('deuxième version');
    expect(find('premiere')).toEqual([]);
    expect(find('deuxieme')).toEqual(['m1']);
    store.db
      .prepare(
        `INSERT OR IGNORE INTO messages (id, conversation_id, sender_id, sent_at, kind, body)
         VALUES ('m1', 'conv-a', 'alice', 1, 'text', 'ignorée')`,
      )
      .run();
    expect(find('ignoree')).toEqual([]);
    expect(find('deuxieme')).toEqual(['m1']);
    store.db
      .prepare(
        `INSERT INTO messages (id, conversation_id, sender_id, sent_at, kind, body)
         VALUES ('m1', 'conv-a', 'alice', 1, 'text', 'troisième version')
         ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
      )
      .run();
    expect(find('deuxieme')).toEqual([]);
    expect(find('troisieme')).toEqual(['m1']);
    integrityCheck(store.db);
  });

  it('hides what a REPLACE leaves without recursive triggers, and rebuild repairs it', () => {
    store.db.pragma('recursive_triggers=OFF');
    add(store.db, { id: 'm1', body: 'ancien texte' });
    store.db
      .prepare(
        `INSERT OR REPLACE INTO messages (id, conversation_id, sender_id, sent_at, kind, body)
         VALUES ('m1', 'conv-a', 'alice', 1, 'text', 'nouveau texte')`,
      )
      .run();
    expect(find('ancien')).toEqual([]); // the stale entry points at a row that is gone
    expect(find('nouveau')).toEqual(['m1']);
    expect(checkSearchIndex(store.db)).toBe(false);
    rebuildSearchIndex(store.db);
    expect(checkSearchIndex(store.db)).toBe(true);
    expect(find('texte')).toEqual(['m1']);
  });

  it('removes the words of an edited or deleted message from the index pages at once', () => {
    const plain = new Database(path.join(path.dirname(store.file), 'plain.db'));
    try {
      plain.exec(MESSAGES_TABLE);
      for (const statement of SEARCH_INDEX_MIGRATION) plain.exec(statement);
      const indexHolds = (word: string) =>
        plain
          .prepare(`SELECT block FROM messages_fts_data`)
          .pluck()
          .all()
          .some((block) => Buffer.isBuffer(block) && block.includes(Buffer.from(word)));
      for (let i = 0; i < 50; i++) add(plain, { id: `m${i}`, body: `message ordinaire ${i}` });
      add(plain, { id: 'edited', body: 'premier jet zorglubavant' });
      add(plain, { id: 'deleted', body: 'envoyé par erreur zorglubsecret' });
      expect(indexHolds('zorglubavant')).toBe(true);
      expect(indexHolds('zorglubsecret')).toBe(true);
      plain.prepare(`UPDATE messages SET body = 'version corrigée' WHERE id = 'edited'`).run();
      plain.prepare(`UPDATE messages SET body = NULL WHERE id = 'deleted'`).run();
      expect(indexHolds('zorglubavant')).toBe(false);
      expect(indexHolds('zorglubsecret')).toBe(false);
      expect(indexHolds('ordinaire')).toBe(true);
    } finally {
      plain.close();
    }
  });

  it('forgets the words of messages changed in bulk, and keeps secure deletion on', () => {
    const plain = new Database(path.join(path.dirname(store.file), 'plain.db'));
    try {
      plain.exec(MESSAGES_TABLE);
      for (const statement of SEARCH_INDEX_MIGRATION) plain.exec(statement);
      const indexHolds = (word: string) =>
        plain
          .prepare(`SELECT block FROM messages_fts_data`)
          .pluck()
          .all()
          .some((block) => Buffer.isBuffer(block) && block.includes(Buffer.from(word)));
      const secureDelete = () =>
        plain.prepare(`SELECT v FROM messages_fts_config WHERE k = 'secure-delete'`).pluck().get();
      for (let i = 0; i < 200; i++) {
        add(plain, {
          id: `m${i}`,
          conversation: i % 2 ? 'garde' : 'purge',
          body: `texte ${i} zorglubpurge${i % 2}`,
        });
      }
      expect(() =>
        changeMessagesInBulk(plain, () => {
          plain.prepare(`DELETE FROM messages WHERE conversation_id = 'purge'`).run();
          throw new Error('abandon');
        }),
      ).toThrow('abandon');
      expect(secureDelete()).toBe(1);
      expect(ids(search(plain, 'zorglubpurge0', { limit: 100 }))).toHaveLength(100);

      const removed = changeMessagesInBulk(
        plain,
        () =>
          plain.prepare(`UPDATE messages SET body = NULL WHERE conversation_id = 'purge'`).run()
            .changes,
      );
      expect(removed).toBe(100);
      expect(secureDelete()).toBe(1);
      expect(ids(search(plain, 'zorglubpurge0'))).toEqual([]);
      expect(indexHolds('zorglubpurge0')).toBe(false);
      expect(indexHolds('zorglubpurge1')).toBe(true);
      expect(checkSearchIndex(plain)).toBe(true);
    } finally {
      plain.close();
    }
  });

  it('indexes the messages of a store that had some before the migration', () => {
    const plain = createTestStore({ withIndex: false });
    try {
      add(plain.db, { id: 'old', body: 'Archive du ministère' });
      add(plain.db, { id: 'gone', body: null });
      for (const statement of SEARCH_INDEX_MIGRATION) plain.db.exec(statement);
      expect(ids(search(plain.db, 'archive'))).toEqual(['old']);
      add(plain.db, { id: 'new', body: 'Nouvelle archive' });
      expect(ids(search(plain.db, 'archive')).sort()).toEqual(['new', 'old']);
      integrityCheck(plain.db);
    } finally {
      plain.close();
    }
  });
});

describe('conversations', () => {
  it('searches one conversation when asked, all otherwise', () => {
    add(store.db, { id: 'a', conversation: 'group:3fa9-XY', body: 'budget annuel' });
    add(store.db, { id: 'b', conversation: 'group:3fa9-XY-2', body: 'budget annuel' });
    add(store.db, { id: 'c', conversation: 'GROUP:3FA9-xy', body: 'budget annuel' });
    add(store.db, { id: 'd', conversation: 'dm:bob', body: 'budget annuel' });
    expect(find('budget').sort()).toEqual(['a', 'b', 'c', 'd']);
    // The ids share tokens (and fold alike): only the exact id counts.
    expect(find('budget', 'group:3fa9-XY')).toEqual(['a']);
    expect(find('budget', 'group:3fa9-XY-2')).toEqual(['b']);
    expect(find('budget', 'dm:bob')).toEqual(['d']);
    expect(find('budget', 'unknown')).toEqual([]);
    // Any id works, whatever its characters.
    add(store.db, { id: 'e', conversation: '--', body: 'budget annuel' });
    add(store.db, { id: 'f', conversation: '', body: 'budget annuel' });
    add(store.db, { id: 'g', conversation: 'conv "é" 😀 \u0000 *', body: 'budget annuel' });
    expect(find('budget', '--')).toEqual(['e']);
    expect(find('budget', '')).toEqual(['f']);
    expect(find('budget', 'conv "é" 😀 \u0000 *')).toEqual(['g']);
  });
});

describe('ranking', () => {
  it('puts the message where the word weighs most first', () => {
    add(store.db, {
      id: 'long',
      body: 'Pour information le budget est en cours de préparation avec les services concernés par la réforme',
    });
    add(store.db, { id: 'short', body: 'Budget : budget rectificatif' });
    add(store.db, { id: 'once', body: 'Le budget arrive' });
    expect(find('budget')).toEqual(['short', 'once', 'long']);
  });

  it('weighs a rare word more than a common one', () => {
    for (let i = 0; i < 200; i++) add(store.db, { id: `filler${i}`, body: `rapport numéro ${i}` });
    add(store.db, { id: 'rare-twice', body: 'rapport zéphyr zéphyr' });
    add(store.db, { id: 'common-twice', body: 'rapport rapport zéphyr' });
    expect(find('rapport zephyr')).toEqual(['rare-twice', 'common-twice']);
  });

  it('breaks ties by recency', () => {
    add(store.db, { id: 'older', body: 'réunion demain', sentAt: 1000 });
    add(store.db, { id: 'newest', body: 'réunion demain', sentAt: 3000 });
    add(store.db, { id: 'newer', body: 'réunion demain', sentAt: 2000 });
    expect(find('reunion')).toEqual(['newest', 'newer', 'older']);
  });

  it('pages through more matches than the ranked window, each once', () => {
    const total = RANK_WINDOW + 150;
    store.db.transaction(() => {
      for (let i = 0; i < total; i++) {
        add(store.db, {
          id: `m${i}`,
          body: i % 10 === 0 ? 'note note de service' : 'note de service',
        });
      }
    })();
    const seen: string[] = [];
    for (let offset = 0; offset < total + 100; offset += 100) {
      seen.push(...ids(search(store.db, 'note', { limit: 100, offset })));
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    // The window is ranked: the newest messages with the word twice come first.
    expect(seen.slice(0, 3)).toEqual([`m${total - 10}`, `m${total - 20}`, `m${total - 30}`]);
    // Past the window, older matches follow newest first.
    expect(seen.slice(RANK_WINDOW)).toEqual(Array.from({ length: 150 }, (_, i) => `m${149 - i}`));
  });

  it('honours limit and offset, and clamps nonsense values', () => {
    for (let i = 0; i < 30; i++) add(store.db, { id: `m${i}`, body: 'agenda', sentAt: i });
    expect(ids(search(store.db, 'agenda', { limit: 5 }))).toEqual([
      'm29',
      'm28',
      'm27',
      'm26',
      'm25',
    ]);
    expect(ids(search(store.db, 'agenda', { limit: 5, offset: 5 }))[0]).toBe('m24');
    expect(search(store.db, 'agenda')).toHaveLength(20);
    expect(search(store.db, 'agenda', { limit: -3 })).toHaveLength(1);
    expect(search(store.db, 'agenda', { limit: Number.NaN })).toHaveLength(20);
    expect(search(store.db, 'agenda', { offset: 1e12 })).toEqual([]);
  });
});

describe('hostile queries', () => {
  beforeEach(() => {
    const bodies = [
      "L'arbre et l’école",
      'NEAR AND OR NOT "guillemets" * ( ) : ^ {body}',
      'Émoji 😀 🇫🇷 et œuvre',
      'body:secret conversation_id:x',
      'a b c d e f g',
    ];
    bodies.forEach((body, i) => add(store.db, { id: `m${i}`, body, conversation: `c${i % 2}` }));
  });

  it('never throws on FTS5 syntax typed by a person', () => {
    const inputs = [
      '"',
      '"""',
      '*',
      'a*',
      '*a',
      '(',
      ')',
      '(a OR b',
      'NEAR(a b, 2)',
      'NEAR',
      'AND',
      'a AND',
      'OR OR OR',
      'NOT a',
      '-a',
      '+a',
      'body:secret',
      '{body conversation_id}: a',
      '^a',
      'a:',
      ':',
      "'",
      '’',
      '😀',
      '\u0000',
      'a\u0000b',
      '\uDB80\uDC00\u0000',
      '\uD800',
      '« »',
      'x'.repeat(10_000),
      'a '.repeat(5000),
    ];
    for (const input of inputs) {
      expect(() => search(store.db, input)).not.toThrow();
      expect(() => search(store.db, input, { conversationId: input })).not.toThrow();
    }
    expect(find('NEAR AND')).toEqual(['m1']);
    expect(find('{body}').sort()).toEqual(['m1', 'm3']);
  });

  it('returns an array for any string, in any conversation', () => {
    const special = fc.constantFrom(
      '"',
      '*',
      '(',
      ')',
      ':',
      '^',
      'NEAR',
      'AND',
      'OR',
      'NOT',
      "l'",
      'œ',
      ' ',
    );
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc
        .array(fc.oneof(special, fc.string({ maxLength: 4 })), { maxLength: 20 })
        .map((p) => p.join('')),
    );
    fc.assert(
      fc.property(input, fc.option(input, { nil: undefined }), (query, conversationId) => {
        const hits = search(
          store.db,
          query,
          conversationId === undefined ? {} : { conversationId },
        );
        expect(Array.isArray(hits)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('encryption at rest', () => {
  const marker = 'Zéphyrinmarqueurunique';
  // The body as written, and the folded term that only the index holds.
  const folded = Buffer.from('zephyrinmarqueurunique', 'utf8');
  const needles = [Buffer.from(marker, 'utf8'), folded, Buffer.from('marqueurunique', 'utf8')];

  /** Whether any file of the store (database, WAL, shared memory) holds `needle`. */
  function storeHolds(file: string, needle: Buffer): boolean {
    const folder = path.dirname(file);
    return readdirSync(folder)
      .filter((name) => name.startsWith(path.basename(file)))
      .some((name) => readFileSync(path.join(folder, name)).includes(needle));
  }

  it('keeps indexed text out of the files on disk, WAL included', () => {
    add(store.db, { id: 'secret', body: `Le mot de passe est ${marker}` });
    expect(find('zephyrinmarqueur')).toEqual(['secret']);
    for (const needle of needles) expect(storeHolds(store.file, needle)).toBe(false); // in the WAL
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const needle of needles) expect(storeHolds(store.file, needle)).toBe(false);
  });

  it('would find the indexed term in an unencrypted store (the check can fail)', () => {
    const file = path.join(path.dirname(store.file), 'plain.db');
    const plain = new Database(file);
    try {
      plain.exec(MESSAGES_TABLE);
      for (const statement of SEARCH_INDEX_MIGRATION) plain.exec(statement);
      add(plain, { id: 'secret', body: `Le mot de passe est ${marker}` });
    } finally {
      plain.close();
    }
    expect(storeHolds(file, folded)).toBe(true);
  });
});
