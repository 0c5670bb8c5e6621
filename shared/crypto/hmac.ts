import { sodium } from './sodium.js';

/**
 * HMAC-SHA256 (RFC 2104). libsodium's one-shot only accepts 32-byte keys, so
 * other lengths (RFC test keys, HKDF salts) go through init/update/final.
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = sodium();
  if (key.length === 32) return s.crypto_auth_hmacsha256(data, key);
  const state = s.crypto_auth_hmacsha256_init(key);
  s.crypto_auth_hmacsha256_update(state, data);
  return s.crypto_auth_hmacsha256_final(state);
}
