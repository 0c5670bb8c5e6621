// The store key wrapped by the operating system (safeStorage: DPAPI on Windows),
// in <data>/store-key.os, beside the passphrase-wrapped key file that stays the
// recovery path. When DPAPI cannot unwrap it (another Windows account, a restored
// profile), the app asks for the passphrase and wraps the key again.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../engine/store/write-file-atomic.js';

export const PROTECTED_KEY_FILE = 'store-key.os';

/** The part of Electron's safeStorage used here. */
export interface OsKeyStore {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export type ProtectedKey = Uint8Array | null | 'unreadable';

export function loadProtectedKey(dataDir: string, keyStore: OsKeyStore): ProtectedKey {
  const file = path.join(dataDir, PROTECTED_KEY_FILE);
  if (!existsSync(file)) return null;
  try {
    if (!keyStore.isEncryptionAvailable()) return 'unreadable';
    const hex = keyStore.decryptString(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
    if (!/^[0-9a-f]{64}$/.test(hex)) return 'unreadable';
    return new Uint8Array(Buffer.from(hex, 'hex'));
  } catch {
    return 'unreadable';
  }
}

/** Wraps the key with the OS key store; false when the OS offers none (the passphrase then stays the only way). */
export function saveProtectedKey(
  dataDir: string,
  keyStore: OsKeyStore,
  storeKey: Uint8Array,
): boolean {
  if (!keyStore.isEncryptionAvailable()) return false;
  const wrapped = keyStore.encryptString(Buffer.from(storeKey).toString('hex'));
  writeFileAtomic(path.join(dataDir, PROTECTED_KEY_FILE), `${wrapped.toString('base64')}\n`, 0o600);
  return true;
}
