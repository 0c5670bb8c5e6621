// Measurement half of the startup bench, in a fresh process (see startup.ts).
import { Engine } from '../../main/engine/engine.js';
import { ready } from '../../shared/crypto/index.js';
import { fromHex } from '../../shared/util/bytes.js';
import { unlockStoreKey } from '../../main/engine/store/key-file.js';
import { PASSPHRASE } from '../../test/engine/support.js';

const [dataDir, keyHex] = process.argv.slice(2) as [string, string];
await ready();
const start = performance.now();
const engine = await Engine.open({ dataDir, storeKey: fromHex(keyHex) });
const opened = performance.now();
const conversations = await engine.listConversations();
if (!conversations.ok) throw new Error(conversations.error.message);
const listed = performance.now();
const first = conversations.value[0]!;
const messages = await engine.listMessages(first.id, { limit: 50 });
if (!messages.ok || messages.value.length !== 50) throw new Error('could not load 50 messages');
const loaded = performance.now();
const rss = process.memoryUsage().rss / 1024 / 1024;
// The CLI's path: Argon2id unwraps the key first (the app uses the OS's safeStorage instead).
const unlockStart = performance.now();
unlockStoreKey(dataDir, PASSPHRASE);
const unlockMs = performance.now() - unlockStart;
await engine.close();
process.send!({
  open_store_ms: Number((opened - start).toFixed(1)),
  list_conversations_ms: Number((listed - opened).toFixed(1)),
  load_messages_ms: Number((loaded - listed).toFixed(1)),
  open_ms: Number((loaded - start).toFixed(1)),
  rss_mb: Number(rss.toFixed(1)),
  passphrase_unlock_ms: Number(unlockMs.toFixed(1)),
});
