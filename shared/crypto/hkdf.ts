// HKDF-SHA256 (RFC 5869) on top of libsodium's HMAC-SHA256; libsodium.js has no
// HKDF wrapper of its own.
import { CryptoError } from './errors.js';
import { hmacSha256 } from './hmac.js';

const HASH_LENGTH = 32;
const ZERO_SALT = new Uint8Array(HASH_LENGTH);

/** HKDF-Extract. An empty salt means HashLen zero bytes, as the RFC says. */
export function hkdfExtract(salt: Uint8Array, inputKeyMaterial: Uint8Array): Uint8Array {
  return hmacSha256(salt.length === 0 ? ZERO_SALT : salt, inputKeyMaterial);
}

/** HKDF-Expand: `length` bytes (at most 255 × 32) from a pseudorandom key. */
export function hkdfExpand(
  pseudoRandomKey: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_LENGTH) {
    throw new CryptoError('BAD_ARGUMENT', `HKDF cannot produce ${length} bytes (at most 8160).`);
  }
  const out = new Uint8Array(length);
  const blockInput = new Uint8Array(HASH_LENGTH + info.length + 1);
  let previous: Uint8Array = new Uint8Array(0);
  let written = 0;
  for (let counter = 1; written < length; counter++) {
    // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i)
    const input = blockInput.subarray(HASH_LENGTH - previous.length);
    input.set(previous, 0);
    input.set(info, previous.length);
    input[previous.length + info.length] = counter;
    previous = hmacSha256(pseudoRandomKey, input);
    out.set(previous.subarray(0, Math.min(HASH_LENGTH, length - written)), written);
    written += HASH_LENGTH;
  }
  return out;
}

/** HKDF = Expand(Extract(salt, ikm), info, length). */
export function hkdf(
  inputKeyMaterial: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  return hkdfExpand(hkdfExtract(salt, inputKeyMaterial), info, length);
}
