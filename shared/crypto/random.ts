// Random bytes from libsodium's CSPRNG, drawn in pools: in Node each
// randombytes_buf call costs ~40 µs whatever its size (≈24k calls/s), which
// would dominate key generation in a ratchet step. Bytes handed out are wiped
// from the pool at once, so the pool never holds a secret that is in use.
import { sodium } from './sodium.js';

const POOL_SIZE = 4096;
let pool: Uint8Array = new Uint8Array(0);
let position = 0;

export function randomBytes(count: number): Uint8Array {
  if (count > POOL_SIZE / 4) return sodium().randombytes_buf(count);
  if (position + count > pool.length) {
    pool.fill(0);
    pool = sodium().randombytes_buf(POOL_SIZE);
    position = 0;
  }
  const out = pool.slice(position, position + count);
  pool.fill(0, position, position + count);
  position += count;
  return out;
}
