import { beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, ready, safetyNumber, fingerprintHalf } from './index.js';

beforeAll(ready);

describe('safety numbers', () => {
  it('are 60 digits in 12 groups of 5, the same whichever side asks, and stable', () => {
    const alice = { stableId: 'alice.ndayishimiye', publicKey: generateEd25519KeyPair().publicKey };
    const bob = { stableId: 'bob.niyonzima', publicKey: generateEd25519KeyPair().publicKey };
    const ab = safetyNumber(alice, bob);
    const ba = safetyNumber(bob, alice);
    expect(ab.digits).toMatch(/^\d{60}$/);
    expect(ab.groups).toHaveLength(12);
    expect(ab.groups.every((g) => /^\d{5}$/.test(g))).toBe(true);
    expect(ab.groups.join('')).toBe(ab.digits);
    expect(ba.digits).toBe(ab.digits);
    expect(safetyNumber(alice, bob).digits).toBe(ab.digits);
  });

  it('change when a key changes, and when the id changes', () => {
    const key = generateEd25519KeyPair().publicKey;
    const base = fingerprintHalf({ stableId: 'alice', publicKey: key });
    expect(
      fingerprintHalf({ stableId: 'alice', publicKey: generateEd25519KeyPair().publicKey }),
    ).not.toBe(base);
    expect(fingerprintHalf({ stableId: 'alicf', publicKey: key })).not.toBe(base);
  });

  it('match a value computed once (regression guard for the derivation)', () => {
    const publicKey = new Uint8Array(32).map((_, i) => i) as Parameters<
      typeof fingerprintHalf
    >[0]['publicKey'];
    // Computed independently with Node's OpenSSL SHA-512 from the definition in
    // docs/protocol.md §9; any change to the derivation changes every user's numbers.
    expect(fingerprintHalf({ stableId: 'alice', publicKey })).toBe(GOLDEN);
  });
});

const GOLDEN = '309956685010881989143608686589';
