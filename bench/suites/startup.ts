// `npm run bench -- startup`: a store holding 100,000 messages in 200
// conversations. Open it (as the desktop app does, with the store key unwrapped
// by the OS), list conversations with last message and unread counts, load the
// last 50 messages of the first one. Targets: open_ms ≤ 300, rss_mb ≤ 200.
// Baseline in the same run: opening the same encrypted SQLite file bare and
// running one COUNT over the messages.
import Database from 'better-sqlite3-multiple-ciphers';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unlockStoreKey } from '../../main/engine/store/key-file.js';
import { openStore } from '../../main/engine/store/open-store.js';
import { ready } from '../../shared/crypto/index.js';
import { toHex } from '../../shared/util/bytes.js';
import { PASSPHRASE, TestRelay, Workspace } from '../../test/engine/support.js';
import type { BenchSuite } from '../run.js';

const CONVERSATIONS = 200;
const MESSAGES = 100_000;

const suite: BenchSuite = {
  description: `open a store of ${MESSAGES} messages in ${CONVERSATIONS} conversations; targets open_ms ≤ 300, rss_mb ≤ 200`,
  async run(log) {
    await ready();
    const relay = await TestRelay.start();
    const ws = new Workspace(relay);
    try {
      const engine = await ws.enrol('alice', 'alice-big');
      await engine.close();
      const dataDir = ws.dataDir('alice-big');
      const key = unlockStoreKey(dataDir, PASSPHRASE);
      log(`filling the store with ${MESSAGES} messages…`);
      const db = openStore(path.join(dataDir, 'store.db'), key);
      const fill = db.transaction(() => {
        const conv = db.prepare(
          `INSERT INTO conversations (id, kind, peer_user_id, title, created_at, last_activity_at, unread_count)
           VALUES (?, 'direct', ?, ?, ?, ?, ?)`,
        );
        const msg = db.prepare(
          `INSERT INTO messages (id, conversation_id, sender_id, sender_device, sent_at, received_at, kind, body, outgoing, status)
           VALUES (?, ?, ?, 1, ?, ?, 'text', ?, ?, ?)`,
        );
        const base = Date.now() - MESSAGES * 60_000;
        for (let c = 0; c < CONVERSATIONS; c++) {
          conv.run(
            `direct:user${c}`,
            `user${c}`,
            `Correspondant ${c}`,
            base,
            base + MESSAGES * 60_000,
            c % 7,
          );
        }
        for (let i = 0; i < MESSAGES; i++) {
          const c = (i * 7919) % CONVERSATIONS;
          const outgoing = i % 3 === 0;
          msg.run(
            i.toString(16).padStart(32, '0'),
            `direct:user${c}`,
            outgoing ? 'alice' : `user${c}`,
            base + i * 60_000,
            base + i * 60_000,
            `Message ${i} au sujet du dossier ${c} : l’arbitrage budgétaire est attendu pour la réunion de cabinet.`,
            outgoing ? 1 : 0,
            outgoing ? 'read' : 'received',
          );
        }
      });
      fill();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();

      // Measure in a fresh process so that RSS is the app's, not the filler's.
      const child = fork(
        fileURLToPath(new URL('./startup-child.ts', import.meta.url)),
        [dataDir, toHex(key)],
        {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        },
      );
      const figures = await new Promise<Record<string, number>>((resolve, reject) => {
        child.on('message', (m) => resolve(m as Record<string, number>));
        child.on(
          'exit',
          (code) => code !== 0 && reject(new Error(`measurement process exited with ${code}`)),
        );
      });
      const bareStart = performance.now();
      const bare = new Database(path.join(dataDir, 'store.db'));
      bare.pragma(`cipher='sqlcipher'`);
      bare.pragma('legacy=4');
      bare.pragma(`key="x'${toHex(key)}'"`);
      bare.prepare('SELECT count(*) FROM messages').get();
      const bareMs = performance.now() - bareStart;
      bare.close();
      return {
        messages: MESSAGES,
        conversations: CONVERSATIONS,
        ...figures,
        baseline_open_count_ms: Number(bareMs.toFixed(1)),
      };
    } finally {
      await ws.close();
      await relay.close();
    }
  },
};

export default suite;
