// The store key: 32 random bytes that encrypt the whole SQLite store. It never
// touches the disk in clear. Here it is wrapped by a key derived from the
// person's passphrase (Argon2id), in `<data>/store-key.json`; the desktop app
// adds a second wrapping with the operating system's safeStorage (DPAPI) and
// keeps this one as the recovery path.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../../../shared/api/errors.js';
import {
  type Argon2idParams,
  DEFAULT_ARGON2ID_MEMORY,
  DEFAULT_ARGON2ID_OPS,
  MIN_PASSPHRASE_LENGTH,
  aeadDecrypt,
  aeadEncrypt,
  deriveKeyFromPassphrase,
  isCryptoError,
  randomBytes,
} from '../../../shared/crypto/index.js';
import { utf8 } from '../../../shared/util/bytes.js';
import { writeFileAtomic } from './write-file-atomic.js';

export const KEY_FILE_NAME = 'store-key.json';
const KEY_FILE_VERSION = 1;
/** Binds the wrapped key to its purpose: it cannot be swapped for another wrapped blob. */
const WRAP_CONTEXT = utf8('COMGOV-StoreKey-v1');

interface KeyFileJson {
  version: number;
  kdf: { algorithm: 'argon2id13'; opsLimit: number; memLimit: number; salt: string };
  nonce: string;
  wrappedKey: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, KEY_FILE_NAME);
}

export function hasKeyFile(dataDir: string): boolean {
  return existsSync(keyFilePath(dataDir));
}

/** Creates a new random store key, wraps it with the passphrase and writes the key file. */
export function createStoreKey(dataDir: string, passphrase: string): Uint8Array {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new EngineError('WEAK_PASSPHRASE');
  if (hasKeyFile(dataDir)) throw new EngineError('ALREADY_ENROLLED');
  const storeKey = randomBytes(32);
  const params: Argon2idParams = {
    algorithm: 'argon2id13',
    opsLimit: DEFAULT_ARGON2ID_OPS,
    memLimit: DEFAULT_ARGON2ID_MEMORY,
    salt: randomBytes(16),
  };
  const wrappingKey = deriveKeyFromPassphrase(passphrase, params);
  const nonce = randomBytes(24);
  const json: KeyFileJson = {
    version: KEY_FILE_VERSION,
    kdf: {
      algorithm: params.algorithm,
      opsLimit: params.opsLimit,
      memLimit: params.memLimit,
      salt: b64(params.salt),
    },
    nonce: b64(nonce),
    wrappedKey: b64(aeadEncrypt(wrappingKey, nonce, storeKey, WRAP_CONTEXT)),
  };
  writeFileAtomic(keyFilePath(dataDir), `${JSON.stringify(json, null, 2)}\n`, 0o600);
  return storeKey;
}

/** Unwraps the store key with the passphrase; BAD_PASSPHRASE if it does not open. */
export function unlockStoreKey(dataDir: string, passphrase: string): Uint8Array {
  if (!hasKeyFile(dataDir)) throw new EngineError('NOT_ENROLLED');
  let json: KeyFileJson;
  try {
    json = JSON.parse(readFileSync(keyFilePath(dataDir), 'utf8')) as KeyFileJson;
  } catch {
    throw new EngineError('STORE_UNREADABLE', `The key file ${keyFilePath(dataDir)} is damaged.`);
  }
  if (json.version !== KEY_FILE_VERSION) throw new EngineError('STORE_TOO_NEW');
  try {
    const wrappingKey = deriveKeyFromPassphrase(passphrase, {
      algorithm: json.kdf.algorithm,
      opsLimit: json.kdf.opsLimit,
      memLimit: json.kdf.memLimit,
      salt: unb64(json.kdf.salt),
    });
    return aeadDecrypt(wrappingKey, unb64(json.nonce), unb64(json.wrappedKey), WRAP_CONTEXT);
  } catch (error) {
    if (isCryptoError(error, 'DECRYPT_FAILED')) throw new EngineError('BAD_PASSPHRASE');
    throw new EngineError('STORE_UNREADABLE', `The key file ${keyFilePath(dataDir)} is damaged.`);
  }
}
