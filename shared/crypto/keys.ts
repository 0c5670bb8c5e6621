// Distinct branded key types: a signing key can never be passed where a DH key
// is wanted, nor a public key where a secret one is, without the compiler
// refusing. The brands cost nothing at run time: they are plain Uint8Arrays.
import { CryptoError } from './errors.js';

declare const brand: unique symbol;
type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** Ed25519 public key (32 bytes): device identities, user signing keys, sender-key signatures. */
export type Ed25519PublicKey = Brand<Uint8Array, 'Ed25519PublicKey'>;
/** Ed25519 secret key in libsodium's layout (64 bytes: seed ‖ public key). */
export type Ed25519SecretKey = Brand<Uint8Array, 'Ed25519SecretKey'>;
/** X25519 public key (32 bytes): prekeys, ratchet keys, converted identity keys. */
export type X25519PublicKey = Brand<Uint8Array, 'X25519PublicKey'>;
/** X25519 secret scalar (32 bytes). */
export type X25519SecretKey = Brand<Uint8Array, 'X25519SecretKey'>;
/** A 32-byte symmetric secret: root keys, chain keys, message keys, AEAD keys. */
export type SymmetricKey = Brand<Uint8Array, 'SymmetricKey'>;
/** An Ed25519 signature (64 bytes). */
export type Signature = Brand<Uint8Array, 'Signature'>;

export interface Ed25519KeyPair {
  readonly publicKey: Ed25519PublicKey;
  readonly secretKey: Ed25519SecretKey;
}

export interface X25519KeyPair {
  readonly publicKey: X25519PublicKey;
  readonly secretKey: X25519SecretKey;
}

export const KEY_LENGTH = 32;
export const ED25519_SECRET_KEY_LENGTH = 64;
export const SIGNATURE_LENGTH = 64;

function checkLength(bytes: Uint8Array, expected: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
    throw new CryptoError(
      'BAD_KEY_LENGTH',
      `${what} must be ${expected} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}.`,
    );
  }
}

export function asEd25519PublicKey(bytes: Uint8Array): Ed25519PublicKey {
  checkLength(bytes, KEY_LENGTH, 'An Ed25519 public key');
  return bytes as Ed25519PublicKey;
}

export function asEd25519SecretKey(bytes: Uint8Array): Ed25519SecretKey {
  checkLength(bytes, ED25519_SECRET_KEY_LENGTH, 'An Ed25519 secret key');
  return bytes as Ed25519SecretKey;
}

export function asX25519PublicKey(bytes: Uint8Array): X25519PublicKey {
  checkLength(bytes, KEY_LENGTH, 'An X25519 public key');
  return bytes as X25519PublicKey;
}

export function asX25519SecretKey(bytes: Uint8Array): X25519SecretKey {
  checkLength(bytes, KEY_LENGTH, 'An X25519 secret key');
  return bytes as X25519SecretKey;
}

export function asSymmetricKey(bytes: Uint8Array): SymmetricKey {
  checkLength(bytes, KEY_LENGTH, 'A symmetric key');
  return bytes as SymmetricKey;
}

export function asSignature(bytes: Uint8Array): Signature {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SIGNATURE_LENGTH) {
    throw new CryptoError('BAD_SIGNATURE', 'A signature must be 64 bytes.');
  }
  return bytes as Signature;
}
