import { sodium } from './sodium.js';

/**
 * HMAC-SHA256 (RFC 2104). libsodium's one-shot only accepts 32-byte keys, so
 * other lengths (RFC test keys, HKDF salts of other sizes) go through
 * init/update/final.
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length === 32 && data.length <= SCRATCH_DATA_BYTES) return hmacSha256Scratch(key, data);
  const s = sodium();
  if (key.length === 32) return s.crypto_auth_hmacsha256(data, key);
  const state = s.crypto_auth_hmacsha256_init(key);
  s.crypto_auth_hmacsha256_update(state, data);
  return s.crypto_auth_hmacsha256_final(state);
}

// The ratchet's hot path is HMAC-SHA256 with a 32-byte key over a few bytes (two
// per message and side). libsodium.js's wrapper allocates and frees three heap
// buffers per call, which costs more than the hash itself; here the same
// libsodium function is called on one reserved scratch area instead (measured
// about 2× faster per call). The key is wiped from the scratch area after each call.
const SCRATCH_DATA_BYTES = 256;

interface LowLevelSodium {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _crypto_auth_hmacsha256(
    out: number,
    input: number,
    lengthLow: number,
    lengthHigh: number,
    key: number,
  ): number;
}

let scratch: { readonly key: number; readonly out: number; readonly data: number } | undefined;

function hmacSha256Scratch(key: Uint8Array, data: Uint8Array): Uint8Array {
  const lib = (sodium() as unknown as { libsodium: LowLevelSodium }).libsodium;
  if (!scratch) {
    const base = lib._malloc(64 + SCRATCH_DATA_BYTES);
    scratch = { key: base, out: base + 32, data: base + 64 };
  }
  // Read HEAPU8 on every call: the view is replaced when the WebAssembly memory grows.
  const heap = lib.HEAPU8;
  heap.set(key, scratch.key);
  heap.set(data, scratch.data);
  lib._crypto_auth_hmacsha256(scratch.out, scratch.data, data.length, 0, scratch.key);
  const heapAfter = lib.HEAPU8;
  const out = heapAfter.slice(scratch.out, scratch.out + 32);
  heapAfter.fill(0, scratch.key, scratch.key + 64);
  return out;
}
