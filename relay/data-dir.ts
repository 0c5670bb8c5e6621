// The relay's data folder: its SQLite database, its Ed25519 identity, its
// settings and its blob files. `init` creates it; everything else opens it.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Ed25519KeyPair,
  ed25519KeyPairFromSeed,
  generateEd25519KeyPair,
  ready,
} from '../shared/crypto/index.js';
import { fromHex, toHex } from '../shared/util/bytes.js';
import { CONFIG_FILE, DEFAULT_CONFIG } from './config.js';
import { SqliteStore } from './store/sqlite-store.js';

export const DATABASE_FILE = 'relay.db';
export const KEY_FILE = 'relay.key';
export const PUBLIC_KEY_FILE = 'relay.pub';
export const BLOB_DIR = 'blobs';

export class DataDirError extends Error {
  constructor(
    readonly code: 'DATA_DIR_EXISTS' | 'DATA_DIR_MISSING' | 'KEY_UNREADABLE' | 'KEY_PERMISSIONS',
    message: string,
  ) {
    super(message);
  }
}

/** Creates the folder, database, key pair and default settings. Returns the relay public key. */
export async function initDataDir(dataDir: string): Promise<Uint8Array> {
  await ready();
  if (existsSync(path.join(dataDir, KEY_FILE))) {
    throw new DataDirError(
      'DATA_DIR_EXISTS',
      `${dataDir} already holds a relay (${KEY_FILE} exists). Use it with "serve", or choose an empty folder.`,
    );
  }
  mkdirSync(path.join(dataDir, BLOB_DIR), { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const keyPair = generateEd25519KeyPair();
  // The private key file holds the 32-byte seed in hex; mode 0600 from creation.
  writeFileSync(path.join(dataDir, KEY_FILE), `${toHex(keyPair.secretKey.slice(0, 32))}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  writeFileSync(path.join(dataDir, PUBLIC_KEY_FILE), `${toHex(keyPair.publicKey)}\n`);
  if (!existsSync(path.join(dataDir, CONFIG_FILE))) {
    const { host, port, logLevel, limits } = DEFAULT_CONFIG;
    writeFileSync(
      path.join(dataDir, CONFIG_FILE),
      `${JSON.stringify({ host, port, logLevel, limits }, null, 2)}\n`,
    );
  }
  new SqliteStore(path.join(dataDir, DATABASE_FILE)).close();
  return keyPair.publicKey;
}

function requireDataDir(dataDir: string): void {
  if (!existsSync(path.join(dataDir, KEY_FILE)) || !existsSync(path.join(dataDir, DATABASE_FILE))) {
    throw new DataDirError(
      'DATA_DIR_MISSING',
      `${dataDir} is not a relay data folder. Create it first with "comgov-relay init --data ${dataDir}".`,
    );
  }
}

export async function loadRelayKey(dataDir: string): Promise<Ed25519KeyPair> {
  await ready();
  requireDataDir(dataDir);
  const file = path.join(dataDir, KEY_FILE);
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new DataDirError(
      'KEY_PERMISSIONS',
      `${file} is readable by other accounts. Run "chmod 600 ${file}" and start again.`,
    );
  }
  try {
    return ed25519KeyPairFromSeed(fromHex(readFileSync(file, 'utf8').trim()));
  } catch {
    throw new DataDirError(
      'KEY_UNREADABLE',
      `${file} does not hold a relay key. Restore it from the backup.`,
    );
  }
}

export function openStore(dataDir: string): SqliteStore {
  requireDataDir(dataDir);
  return new SqliteStore(path.join(dataDir, DATABASE_FILE));
}
