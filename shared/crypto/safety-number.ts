// Safety numbers: what two people compare (on screen or on paper) to check that
// no one sits between them. Like Signal's numeric fingerprints: each side's
// half is 5200 iterations of SHA-512 over its stable id and public key, cut into
// six 5-digit blocks; the two halves are sorted, so both people see the same 60
// digits whatever the order of the call.
import { ByteWriter } from '../util/binary.js';
import { concatBytes, utf8 } from '../util/bytes.js';
import { CryptoError } from './errors.js';
import { sha512 } from './hash.js';
import type { Ed25519PublicKey } from './keys.js';

export const SAFETY_NUMBER_ITERATIONS = 5200;
const SAFETY_NUMBER_VERSION = 0;

export interface SafetyIdentity {
  /** A stable identifier of the person (the user id in the directory). */
  readonly stableId: string;
  /** Their long-term public key (the user signing key). */
  readonly publicKey: Ed25519PublicKey;
}

/** The 30-digit half of one identity. */
export function fingerprintHalf(identity: SafetyIdentity): string {
  if (identity.publicKey.length !== 32) {
    throw new CryptoError('BAD_KEY_LENGTH', 'A safety number needs a 32-byte public key.');
  }
  let hash: Uint8Array = new ByteWriter(64)
    .u16(SAFETY_NUMBER_VERSION)
    .bytes(identity.publicKey)
    .bytes(utf8(identity.stableId))
    .finish();
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) {
    hash = sha512(concatBytes(hash, identity.publicKey));
  }
  let digits = '';
  for (let block = 0; block < 6; block++) {
    const o = block * 5;
    // A 40-bit big-endian integer, reduced mod 100000 (exact in a double).
    const value =
      hash[o]! * 2 ** 32 +
      hash[o + 1]! * 2 ** 24 +
      hash[o + 2]! * 2 ** 16 +
      hash[o + 3]! * 2 ** 8 +
      hash[o + 4]!;
    digits += String(value % 100000).padStart(5, '0');
  }
  return digits;
}

export interface SafetyNumber {
  /** 60 digits. */
  readonly digits: string;
  /** The same in 12 groups of 5, for display. */
  readonly groups: readonly string[];
}

/** The safety number of a pair of identities; the same whichever side asks. */
export function safetyNumber(a: SafetyIdentity, b: SafetyIdentity): SafetyNumber {
  const halves = [fingerprintHalf(a), fingerprintHalf(b)].sort();
  const digits = halves.join('');
  const groups: string[] = [];
  for (let i = 0; i < 60; i += 5) groups.push(digits.slice(i, i + 5));
  return { digits, groups };
}
