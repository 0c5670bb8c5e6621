// Attachments against a real relay in tests: each device gets a data folder with a
// real encrypted store (openStore + the attachments migration) and an Attachments
// instance talking to the relay directly or through a CutLink.
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import path from 'node:path';
import { Attachments } from '../../main/engine/attachments/attachments.js';
import { BlobClient } from '../../main/engine/attachments/blob-client.js';
import { PENDING_SAVES_MIGRATION_STATEMENTS } from '../../main/engine/attachments/pending-saves.js';
import { ATTACHMENT_MIGRATION_STATEMENTS } from '../../main/engine/attachments/schema.js';
import { type Store, openStore } from '../../main/engine/store/open-store.js';
import type { DeviceCredentials } from '../../shared/wire/index.js';

export const FAST_RETRY = { initialMs: 10, maxMs: 100 };

/** Opens (or creates) the encrypted store of a data folder, with the attachments table. */
export function openTestStore(dataDir: string, key: Uint8Array): Store {
  const db = openStore(path.join(dataDir, 'store.db'), key);
  const exists = db
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachments'`)
    .get();
  if (!exists) {
    db.transaction(() => {
      for (const statement of ATTACHMENT_MIGRATION_STATEMENTS) db.exec(statement);
      for (const statement of PENDING_SAVES_MIGRATION_STATEMENTS) db.exec(statement);
    })();
  }
  return db;
}

export interface Device {
  readonly dataDir: string;
  readonly db: Store;
  readonly client: BlobClient;
  readonly attachments: Attachments;
  close(): void;
}

/** A device's attachment layer: its store, its folder, a blob client to `relayUrl`. */
export async function openDevice(
  dataDir: string,
  storeKey: Uint8Array,
  credentials: DeviceCredentials,
  relayUrl: string,
): Promise<Device> {
  await mkdir(dataDir, { recursive: true });
  const db = openTestStore(dataDir, storeKey);
  const client = new BlobClient(relayUrl, credentials, { idleTimeoutMs: 5_000 });
  const attachments = new Attachments({ db, dataDir, blobs: client, retry: FAST_RETRY });
  return {
    dataDir,
    db,
    client,
    attachments,
    close() {
      client.close();
      db.close();
    },
  };
}

/** `length` deterministic pseudo-random bytes (AES-CTR keystream), in memory. */
export function testBytes(length: number, seed = 1): Buffer {
  return keystream(seed).update(Buffer.alloc(length));
}

function keystream(seed: number) {
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16));
}

/** Writes `size` deterministic pseudo-random bytes (AES-CTR keystream) to `file`. */
export async function writeTestFile(file: string, size: number, seed = 1): Promise<void> {
  const cipher = keystream(seed);
  const zeros = Buffer.alloc(1024 * 1024);
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < size;) {
      const length = Math.min(zeros.length, size - written);
      await handle.write(cipher.update(zeros.subarray(0, length)));
      written += length;
    }
  } finally {
    await handle.close();
  }
}

/** SHA-256 of a file, streamed (to compare big files without loading them). */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function storeKey(): Uint8Array {
  return new Uint8Array(nodeRandomBytes(32));
}
