import { beforeAll, describe, expect, it } from 'vitest';
import { ed25519KeyPairFromSeed, ready, sign, verify } from '../crypto/index.js';
import { toHex } from '../util/bytes.js';
import { updateSignedBytes, type SignedUpdate } from './update-signature.js';

const update: SignedUpdate = {
  channel: 'stable',
  version: '1.2.3',
  fileName: 'COMGOV-Messenger-Setup-1.2.3.exe',
  size: 0x1_0000_0002,
  sha512: new Uint8Array(64).fill(0xab),
};

describe('updateSignedBytes', () => {
  beforeAll(ready);

  it('lays out context, channel, version, file name, size and hash as documented', () => {
    const bytes = updateSignedBytes(update);
    const expected =
      toHex(new TextEncoder().encode('COMGOV-UpdateSignature-v1')) +
      '0006' +
      toHex(new TextEncoder().encode('stable')) +
      '0005' +
      toHex(new TextEncoder().encode('1.2.3')) +
      '0020' +
      toHex(new TextEncoder().encode(update.fileName)) +
      '0000000100000002' +
      'ab'.repeat(64);
    expect(toHex(bytes)).toBe(expected);
  });

  it('binds every field: changing any one of them breaks the signature', () => {
    const key = ed25519KeyPairFromSeed(new Uint8Array(32).fill(7));
    const signature = sign(key.secretKey, updateSignedBytes(update));
    expect(verify(key.publicKey, updateSignedBytes(update), signature)).toBe(true);
    const variants: SignedUpdate[] = [
      { ...update, channel: 'pilot' },
      { ...update, version: '1.2.4' },
      { ...update, fileName: 'other.exe' },
      { ...update, size: update.size + 1 },
      { ...update, sha512: new Uint8Array(64).fill(0xac) },
    ];
    for (const variant of variants) {
      expect(verify(key.publicKey, updateSignedBytes(variant), signature)).toBe(false);
    }
  });

  it('refuses a hash that is not SHA-512', () => {
    expect(() => updateSignedBytes({ ...update, sha512: new Uint8Array(32) })).toThrow(RangeError);
  });
});
