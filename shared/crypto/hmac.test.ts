import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../util/bytes.js';
import { hmacSha256 } from './hmac.js';
import { ready, sodium } from './sodium.js';

beforeAll(ready);

/** Reference: libsodium's streaming API, which the fast path must agree with. */
function reference(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = sodium();
  const state = s.crypto_auth_hmacsha256_init(key);
  s.crypto_auth_hmacsha256_update(state, data);
  return s.crypto_auth_hmacsha256_final(state);
}

describe('hmacSha256 scratch fast path', () => {
  it('agrees with libsodium streaming HMAC for 32-byte keys, on both sides of the scratch size', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 600 }),
        (key, data) => {
          expect(toHex(hmacSha256(key, data))).toBe(toHex(reference(key, data)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('returns independent arrays (no aliasing of the scratch area)', () => {
    const key = new Uint8Array(32).fill(7);
    const a = hmacSha256(key, Uint8Array.of(1));
    const copy = a.slice();
    hmacSha256(key, Uint8Array.of(2));
    expect(a).toEqual(copy);
  });
});
