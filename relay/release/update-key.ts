// The ICT agency's update signing key: an Ed25519 key pair made once on the
// signing machine. The private key (32-byte seed, hex) never leaves it; the
// public key (hex) goes into the app build and/or the machine policy.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Ed25519KeyPair,
  ed25519KeyPairFromSeed,
  generateEd25519KeyPair,
  ready,
} from '../../shared/crypto/index.js';
import { fromHex, toHex } from '../../shared/util/bytes.js';
import { ReleaseError } from './release-error.js';

export const UPDATE_PRIVATE_KEY_FILE = 'comgov-update.key';
export const UPDATE_PUBLIC_KEY_FILE = 'comgov-update.pub';

/** Writes a new key pair into `outDir` (refuses to overwrite one); returns the public key. */
export async function generateUpdateKey(outDir: string): Promise<Uint8Array> {
  await ready();
  const privateFile = path.join(outDir, UPDATE_PRIVATE_KEY_FILE);
  if (existsSync(privateFile)) {
    throw new ReleaseError(
      'KEY_EXISTS',
      `${privateFile} already exists. Keep using it, or choose another folder: replacing the update key means shipping the new public key to every desktop first.`,
    );
  }
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const keyPair = generateEd25519KeyPair();
  // libsodium's 64-byte secret key starts with the 32-byte seed, which is what we keep.
  writeFileSync(privateFile, `${toHex(keyPair.secretKey.slice(0, 32))}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  writeFileSync(path.join(outDir, UPDATE_PUBLIC_KEY_FILE), `${toHex(keyPair.publicKey)}\n`);
  return keyPair.publicKey;
}

/** Reads a private key file written by generateUpdateKey; refuses one other accounts can read. */
export async function loadUpdateKey(file: string): Promise<Ed25519KeyPair> {
  await ready();
  let text: string;
  try {
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      throw new ReleaseError(
        'KEY_PERMISSIONS',
        `${file} is readable by other accounts. Run "chmod 600 ${file}" and try again.`,
      );
    }
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if (error instanceof ReleaseError) throw error;
    throw new ReleaseError('KEY_UNREADABLE', `Cannot read the update key ${file}: ${(error as Error).message}.`);
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new ReleaseError(
      'KEY_UNREADABLE',
      `${file} does not hold an update private key (64 hexadecimal digits). Give the .key file made by "comgov-relay release keygen", not the .pub file.`,
    );
  }
  return ed25519KeyPairFromSeed(fromHex(text));
}
