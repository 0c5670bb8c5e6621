import { CryptoError } from './errors.js';
import {
  type Ed25519KeyPair,
  type Ed25519PublicKey,
  type Ed25519SecretKey,
  type Signature,
  type X25519PublicKey,
  type X25519SecretKey,
  asEd25519PublicKey,
  asEd25519SecretKey,
} from './keys.js';
import { randomBytes } from './random.js';
import { sodium } from './sodium.js';

export function generateEd25519KeyPair(): Ed25519KeyPair {
  return ed25519KeyPairFromSeed(randomBytes(32));
}

/** Deterministic key pair from a 32-byte seed (RFC 8032's "secret key"). */
export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== 32)
    throw new CryptoError('BAD_KEY_LENGTH', 'An Ed25519 seed must be 32 bytes.');
  const pair = sodium().crypto_sign_seed_keypair(seed);
  return {
    publicKey: asEd25519PublicKey(pair.publicKey),
    secretKey: asEd25519SecretKey(pair.privateKey),
  };
}

export function sign(secretKey: Ed25519SecretKey, message: Uint8Array): Signature {
  return sodium().crypto_sign_detached(message, secretKey) as Signature;
}

/** True only for a valid signature; never throws on malformed input. */
export function verify(
  publicKey: Ed25519PublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** Throws BAD_SIGNATURE with `what` in the sentence when the signature does not verify. */
export function verifyOrThrow(
  publicKey: Ed25519PublicKey,
  message: Uint8Array,
  signature: Uint8Array,
  what: string,
): void {
  if (!verify(publicKey, message, signature)) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      `The signature on ${what} is not valid; it was refused.`,
    );
  }
}

/**
 * The X25519 form of an Ed25519 identity key (the birational map of RFC 7748 §4.1),
 * used for the identity DH terms of X3DH. Invalid points throw BAD_ARGUMENT.
 */
export function ed25519PublicToX25519(publicKey: Ed25519PublicKey): X25519PublicKey {
  try {
    return sodium().crypto_sign_ed25519_pk_to_curve25519(publicKey) as X25519PublicKey;
  } catch {
    throw new CryptoError('BAD_ARGUMENT', 'This identity key is not a valid Ed25519 point.');
  }
}

export function ed25519SecretToX25519(secretKey: Ed25519SecretKey): X25519SecretKey {
  return sodium().crypto_sign_ed25519_sk_to_curve25519(secretKey) as X25519SecretKey;
}
