// Prekeys a device publishes through the relay so that others can start a
// session with it while it is offline (X3DH). The signed prekey is signed by the
// device's Ed25519 identity key over a domain-separated encoding, so that the
// signature can never be confused with another signature made by the same key.
import { ByteWriter } from '../util/binary.js';
import { utf8 } from '../util/bytes.js';
import { sign, verify } from './ed25519.js';
import { CryptoError } from './errors.js';
import type {
  Ed25519KeyPair,
  Ed25519PublicKey,
  Signature,
  X25519KeyPair,
  X25519PublicKey,
} from './keys.js';
import { generateX25519KeyPair } from './x25519.js';

const SIGNED_PREKEY_CONTEXT = utf8('COMGOV-SignedPrekey-v1');

/** The bytes an identity key signs to vouch for a signed prekey. */
export function signedPrekeySignedBytes(id: number, publicKey: X25519PublicKey): Uint8Array {
  return new ByteWriter(64).bytes(SIGNED_PREKEY_CONTEXT).u32(id).bytes(publicKey).finish();
}

export interface SignedPrekey {
  readonly id: number;
  readonly keyPair: X25519KeyPair;
  readonly signature: Signature;
  /** Milliseconds since the epoch; the engine rotates signed prekeys weekly. */
  readonly createdAt: number;
}

export interface OneTimePrekey {
  readonly id: number;
  readonly keyPair: X25519KeyPair;
}

/** The public half of a signed prekey, as published in a bundle. */
export interface PublicSignedPrekey {
  readonly id: number;
  readonly publicKey: X25519PublicKey;
  readonly signature: Signature;
}

export interface PublicOneTimePrekey {
  readonly id: number;
  readonly publicKey: X25519PublicKey;
}

function checkPrekeyId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `A prekey id must be an integer in 0..4294967294, got ${id}.`,
    );
  }
}

export function generateSignedPrekey(
  identity: Ed25519KeyPair,
  id: number,
  now = Date.now(),
): SignedPrekey {
  checkPrekeyId(id);
  const keyPair = generateX25519KeyPair();
  const signature = sign(identity.secretKey, signedPrekeySignedBytes(id, keyPair.publicKey));
  return { id, keyPair, signature, createdAt: now };
}

/** `count` one-time prekeys with consecutive ids from `firstId`. */
export function generateOneTimePrekeys(firstId: number, count: number): OneTimePrekey[] {
  const out: OneTimePrekey[] = [];
  for (let i = 0; i < count; i++) {
    const id = (firstId + i) % 0xffffffff;
    checkPrekeyId(id);
    out.push({ id, keyPair: generateX25519KeyPair() });
  }
  return out;
}

export function publicSignedPrekey(prekey: SignedPrekey): PublicSignedPrekey {
  return { id: prekey.id, publicKey: prekey.keyPair.publicKey, signature: prekey.signature };
}

export function verifySignedPrekey(
  identityKey: Ed25519PublicKey,
  prekey: PublicSignedPrekey,
): boolean {
  return verify(
    identityKey,
    signedPrekeySignedBytes(prekey.id, prekey.publicKey),
    prekey.signature,
  );
}
