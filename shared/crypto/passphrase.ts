// Argon2id (libsodium's crypto_pwhash) for turning a person's passphrase into a
// key that wraps the store key. Parameters travel with what they protect, so
// they can be raised later without locking anyone out.
import { CryptoError } from './errors.js';
import { type SymmetricKey, asSymmetricKey } from './keys.js';
import { sodium } from './sodium.js';

export interface Argon2idParams {
  readonly algorithm: 'argon2id13';
  /** Passes over memory (libsodium's opslimit). */
  readonly opsLimit: number;
  /** Bytes of memory. */
  readonly memLimit: number;
  /** 16 random bytes. */
  readonly salt: Uint8Array;
}

/** ~0.2 s and 64 MiB on a modest office PC: resists guessing, bearable at every unlock. */
export const DEFAULT_ARGON2ID_OPS = 3;
export const DEFAULT_ARGON2ID_MEMORY = 64 * 1024 * 1024;
export const MIN_PASSPHRASE_LENGTH = 8;

export function deriveKeyFromPassphrase(passphrase: string, params: Argon2idParams): SymmetricKey {
  if (params.algorithm !== 'argon2id13') {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `Unknown passphrase algorithm ${String(params.algorithm)}.`,
    );
  }
  if (params.salt.length !== 16)
    throw new CryptoError('BAD_ARGUMENT', 'An Argon2id salt is 16 bytes.');
  if (
    params.opsLimit < 1 ||
    params.opsLimit > 20 ||
    params.memLimit < 8 * 1024 * 1024 ||
    params.memLimit > 1024 ** 3
  ) {
    throw new CryptoError('BAD_ARGUMENT', 'The Argon2id parameters are out of the accepted range.');
  }
  const s = sodium();
  return asSymmetricKey(
    s.crypto_pwhash(
      32,
      passphrase.normalize('NFC'),
      params.salt,
      params.opsLimit,
      params.memLimit,
      s.crypto_pwhash_ALG_ARGON2ID13,
    ),
  );
}
