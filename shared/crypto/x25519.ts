import { CryptoError } from './errors.js';
import {
  type X25519KeyPair,
  type X25519PublicKey,
  type X25519SecretKey,
  asX25519PublicKey,
  asX25519SecretKey,
} from './keys.js';
import { randomBytes } from './random.js';
import { sodium } from './sodium.js';

export function generateX25519KeyPair(): X25519KeyPair {
  return x25519KeyPairFromSecret(asX25519SecretKey(randomBytes(32)));
}

export function x25519KeyPairFromSecret(secretKey: X25519SecretKey): X25519KeyPair {
  return { publicKey: x25519PublicFromSecret(secretKey), secretKey };
}

export function x25519PublicFromSecret(secretKey: X25519SecretKey): X25519PublicKey {
  return asX25519PublicKey(sodium().crypto_scalarmult_base(secretKey));
}

/**
 * X25519 Diffie-Hellman (RFC 7748). A low-order public key would give an all-zero
 * shared secret that an attacker can predict; it is refused with LOW_ORDER_POINT.
 */
export function x25519(secretKey: X25519SecretKey, publicKey: X25519PublicKey): Uint8Array {
  if (secretKey.length !== 32 || publicKey.length !== 32) {
    throw new CryptoError('BAD_KEY_LENGTH', 'X25519 keys must be 32 bytes.');
  }
  try {
    return sodium().crypto_scalarmult(secretKey, publicKey);
  } catch {
    throw new CryptoError(
      'LOW_ORDER_POINT',
      'The peer sent a low-order X25519 public key; the key agreement was refused.',
    );
  }
}
