// XChaCha20-Poly1305 (IETF variant, 24-byte nonce) for messages. Files use
// secretstream instead (never one-shot AEAD on a big file).
import { CryptoError } from './errors.js';
import { KEY_LENGTH } from './keys.js';
import { sodium } from './sodium.js';

export const AEAD_NONCE_LENGTH = 24;
export const AEAD_TAG_LENGTH = 16;

function checkKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== KEY_LENGTH) {
    throw new CryptoError('BAD_KEY_LENGTH', 'An AEAD key must be 32 bytes.');
  }
  if (nonce.length !== AEAD_NONCE_LENGTH) {
    throw new CryptoError('BAD_ARGUMENT', 'An XChaCha20-Poly1305 nonce must be 24 bytes.');
  }
}

export function aeadEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array | null,
): Uint8Array {
  checkKeyAndNonce(key, nonce);
  return sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    associatedData,
    null,
    nonce,
    key,
  );
}

/** Throws DECRYPT_FAILED when the tag does not verify (wrong key, nonce, AD or tampering). */
export function aeadDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array | null,
): Uint8Array {
  checkKeyAndNonce(key, nonce);
  if (ciphertext.length < AEAD_TAG_LENGTH) {
    throw new CryptoError(
      'DECRYPT_FAILED',
      'The ciphertext is shorter than its authentication tag.',
    );
  }
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      ciphertext,
      associatedData,
      nonce,
      key,
    );
  } catch {
    throw new CryptoError(
      'DECRYPT_FAILED',
      'The message could not be authenticated; it was refused.',
    );
  }
}
