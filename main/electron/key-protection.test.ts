// The store key wrapped by the OS key store, and the recovery path when it cannot be unwrapped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type OsKeyStore,
  PROTECTED_KEY_FILE,
  loadProtectedKey,
  saveProtectedKey,
} from './key-protection.js';

/** A stand-in for safeStorage bound to one "Windows account" (its secret). */
function keyStore(secret: number, available = true): OsKeyStore {
  return {
    isEncryptionAvailable: () => available,
    encryptString: (text) => Buffer.from(Buffer.from(text).map((b) => b ^ secret)),
    decryptString: (data) => {
      const text = Buffer.from(data.map((b) => b ^ secret)).toString();
      if (!/^[0-9a-f]+$/.test(text)) throw new Error('DPAPI: bad data');
      return text;
    },
  };
}

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'comgov-key-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('OS-protected store key', () => {
  const key = new Uint8Array(32).map((_, i) => i * 7);

  it('round-trips through the OS key store', () => {
    const d = dir();
    expect(loadProtectedKey(d, keyStore(0x5a))).toBeNull();
    expect(saveProtectedKey(d, keyStore(0x5a), key)).toBe(true);
    expect(loadProtectedKey(d, keyStore(0x5a))).toEqual(key);
  });

  it('reports "unreadable" under another account or a damaged file, so the passphrase is asked', () => {
    const d = dir();
    saveProtectedKey(d, keyStore(0x5a), key);
    expect(loadProtectedKey(d, keyStore(0x33))).toBe('unreadable');
    expect(loadProtectedKey(d, keyStore(0x5a, false))).toBe('unreadable');
    writeFileSync(path.join(d, PROTECTED_KEY_FILE), 'garbage');
    expect(loadProtectedKey(d, keyStore(0x5a))).toBe('unreadable');
  });

  it('writes nothing when the OS offers no key store', () => {
    const d = dir();
    expect(saveProtectedKey(d, keyStore(1, false), key)).toBe(false);
    expect(loadProtectedKey(d, keyStore(1))).toBeNull();
  });
});
