// Known-answer tests for the primitives of shared/crypto, with vectors copied from
// the standards documents (not produced by this code). Each block names its source.
// If one of these fails, the primitive (or libsodium under it) is wrong: never
// "fix" the expected value to match the output.
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../util/bytes.js';
import {
  Blake2bHasher,
  CryptoError,
  Sha256Hasher,
  aeadDecrypt,
  aeadEncrypt,
  asX25519PublicKey,
  asX25519SecretKey,
  blake2b,
  ed25519KeyPairFromSeed,
  hkdf,
  hkdfExpand,
  hkdfExtract,
  hmacSha256,
  ready,
  sha256,
  sign,
  verify,
  x25519,
  x25519PublicFromSecret,
} from './index.js';
import type { CryptoErrorCode } from './index.js';

beforeAll(async () => {
  await ready();
});

/** A copy of `bytes` with bit `bit` (0 = least significant) of byte `index` flipped. */
function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}

function expectCryptoError(run: () => unknown, code: CryptoErrorCode): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect((caught as CryptoError).code).toBe(code);
}

// ---------------------------------------------------------------------------
// RFC 5869, Appendix A: HKDF-SHA256, test cases 1 to 3.
// ---------------------------------------------------------------------------
describe('HKDF-SHA256 (RFC 5869 Appendix A)', () => {
  const cases = [
    {
      name: 'A.1 test case 1: basic',
      ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
      salt: '000102030405060708090a0b0c',
      info: 'f0f1f2f3f4f5f6f7f8f9',
      length: 42,
      prk: '077709362c2e32df0ddc3f0dc47bba63' + '90b6c73bb50f9c3122ec844ad7c2b3e5',
      okm:
        '3cb25f25faacd57a90434f64d0362f2a' +
        '2d2d0a90cf1a5a4c5db02d56ecc4c5bf' +
        '34007208d5b887185865',
    },
    {
      name: 'A.2 test case 2: longer inputs and outputs',
      ikm:
        '000102030405060708090a0b0c0d0e0f' +
        '101112131415161718191a1b1c1d1e1f' +
        '202122232425262728292a2b2c2d2e2f' +
        '303132333435363738393a3b3c3d3e3f' +
        '404142434445464748494a4b4c4d4e4f',
      salt:
        '606162636465666768696a6b6c6d6e6f' +
        '707172737475767778797a7b7c7d7e7f' +
        '808182838485868788898a8b8c8d8e8f' +
        '909192939495969798999a9b9c9d9e9f' +
        'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
      info:
        'b0b1b2b3b4b5b6b7b8b9babbbcbdbebf' +
        'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf' +
        'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' +
        'e0e1e2e3e4e5e6e7e8e9eaebecedeeef' +
        'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
      length: 82,
      prk: '06a6b88c5853361a06104c9ceb35b45c' + 'ef760014904671014a193f40c15fc244',
      okm:
        'b11e398dc80327a1c8e7f78c596a4934' +
        '4f012eda2d4efad8a050cc4c19afa97c' +
        '59045a99cac7827271cb41c65e590e09' +
        'da3275600c2f09b8367793a9aca3db71' +
        'cc30c58179ec3e87c14c01d5c1f3434f' +
        '1d87',
    },
    {
      name: 'A.3 test case 3: zero-length salt and info',
      ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
      salt: '',
      info: '',
      length: 42,
      prk: '19ef24a32c717b167f33a91d6f648bdf' + '96596776afdb6377ac434c1c293ccb04',
      okm:
        '8da4e775a563c18f715f802a063c5a31' +
        'b8a11f5c5ee1879ec3454e5f3c738d2d' +
        '9d201395faa4b61a96c8',
    },
  ];

  it.each(cases)('$name: PRK from hkdfExtract', (c) => {
    expect(toHex(hkdfExtract(fromHex(c.salt), fromHex(c.ikm)))).toBe(c.prk);
  });

  it.each(cases)('$name: OKM from hkdfExpand(PRK)', (c) => {
    expect(toHex(hkdfExpand(fromHex(c.prk), fromHex(c.info), c.length))).toBe(c.okm);
  });

  it.each(cases)('$name: OKM from hkdf', (c) => {
    const okm = hkdf(fromHex(c.ikm), fromHex(c.salt), fromHex(c.info), c.length);
    expect(okm.length).toBe(c.length);
    expect(toHex(okm)).toBe(c.okm);
  });
});

// ---------------------------------------------------------------------------
// RFC 4231, section 4: HMAC-SHA-256, test cases 1 to 7.
// ---------------------------------------------------------------------------
describe('SHA-256 (FIPS 180-4 examples: "abc" and the two-block message)', () => {
  const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  const twoBlocks = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';
  const twoBlocksDigest = '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1';

  it('one shot', () => {
    expect(toHex(sha256(utf8('abc')))).toBe(abc);
    expect(toHex(sha256(utf8(twoBlocks)))).toBe(twoBlocksDigest);
  });

  it('incremental, in pieces that do not fall on block boundaries', () => {
    const bytes = utf8(twoBlocks);
    const hasher = new Sha256Hasher();
    for (let i = 0; i < bytes.length; i += 7) hasher.update(bytes.subarray(i, i + 7));
    expect(toHex(hasher.digest())).toBe(twoBlocksDigest);
    expect(() => hasher.update(bytes)).toThrow(CryptoError);
  });
});

describe('HMAC-SHA256 (RFC 4231 section 4)', () => {
  const cases = [
    {
      name: '4.2 test case 1',
      key: '0b'.repeat(20),
      keyLength: 20,
      data: '4869205468657265', // "Hi There"
      mac: 'b0344c61d8db38535ca8afceaf0bf12b' + '881dc200c9833da726e9376c2e32cff7',
    },
    {
      name: '4.3 test case 2: key shorter than the output',
      key: '4a656665', // "Jefe"
      keyLength: 4,
      // "what do ya want for nothing?"
      data: '7768617420646f2079612077616e7420' + '666f72206e6f7468696e673f',
      mac: '5bdcc146bf60754e6a042426089575c7' + '5a003f089d2739839dec58b964ec3843',
    },
    {
      name: '4.4 test case 3: key and data longer than one block together',
      key: 'aa'.repeat(20),
      keyLength: 20,
      data: 'dd'.repeat(50),
      mac: '773ea91e36800e46854db8ebd09181a7' + '2959098b3ef8c122d9635514ced565fe',
    },
    {
      name: '4.5 test case 4',
      key: '0102030405060708090a0b0c0d0e0f10' + '111213141516171819',
      keyLength: 25,
      data: 'cd'.repeat(50),
      mac: '82558a389a443c0ea4cc819899f2083a' + '85f0faa3e578f8077a2e3ff46729665b',
    },
    {
      name: '4.7 test case 6: 131-byte key (hashed first)',
      key: 'aa'.repeat(131),
      keyLength: 131,
      // "Test Using Larger Than Block-Size Key - Hash Key First"
      data:
        '54657374205573696e67204c61726765' +
        '72205468616e20426c6f636b2d53697a' +
        '65204b6579202d2048617368204b6579' +
        '204669727374',
      mac: '60e431591ee0b67f0d8a26aacbf5b77f' + '8e0bc6213728c5140546040f0ee37f54',
    },
    {
      name: '4.8 test case 7: 131-byte key and data longer than one block',
      key: 'aa'.repeat(131),
      keyLength: 131,
      // "This is a test using a larger than block-size key and a larger than
      //  block-size data. The key needs to be hashed before being used by the
      //  HMAC algorithm."
      data:
        '54686973206973206120746573742075' +
        '73696e672061206c6172676572207468' +
        '616e20626c6f636b2d73697a65206b65' +
        '7920616e642061206c61726765722074' +
        '68616e20626c6f636b2d73697a652064' +
        '6174612e20546865206b6579206e6565' +
        '647320746f2062652068617368656420' +
        '6265666f7265206265696e6720757365' +
        '642062792074686520484d414320616c' +
        '676f726974686d2e',
      mac: '9b09ffa71b942fcb27635fbcd5b0e944' + 'bfdc63644f0713938a7f51535c3a35e2',
    },
  ];

  it.each(cases)('$name', (c) => {
    const key = fromHex(c.key);
    expect(key.length).toBe(c.keyLength);
    expect(toHex(hmacSha256(key, fromHex(c.data)))).toBe(c.mac);
  });

  it('4.6 test case 5: output truncated to 128 bits', () => {
    const key = fromHex('0c'.repeat(20));
    // "Test With Truncation"
    const data = fromHex('546573742057697468205472756e6361' + '74696f6e');
    const mac = hmacSha256(key, data);
    expect(mac.length).toBe(32);
    expect(toHex(mac.subarray(0, 16))).toBe('a3b6167473100ee06e0c796c2955552b');
  });

  it('a 32-byte key (one-shot path) agrees with the same key zero-padded to 64 bytes', () => {
    // Not a published vector: HMAC pads the key with zeros to the block size, so
    // both keys must give the same MAC. This ties hmac.ts's two code paths together.
    const key = fromHex('0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20');
    const padded = new Uint8Array(64);
    padded.set(key);
    const data = utf8('abc');
    expect(toHex(hmacSha256(key, data))).toBe(toHex(hmacSha256(padded, data)));
  });
});

// ---------------------------------------------------------------------------
// RFC 7748: X25519. Section 5.2 (single calls and iterated test) and
// section 6.1 (Diffie-Hellman example).
// ---------------------------------------------------------------------------
describe('X25519 (RFC 7748)', () => {
  const BASE_POINT = '09' + '00'.repeat(31);

  it.each([
    {
      name: '5.2 vector 1',
      scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
      u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
      out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
    },
    {
      name: '5.2 vector 2 (input u has its top bit set, which must be ignored)',
      scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
      u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
      out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
    },
  ])('$name', (c) => {
    const result = x25519(asX25519SecretKey(fromHex(c.scalar)), asX25519PublicKey(fromHex(c.u)));
    expect(toHex(result)).toBe(c.out);
  });

  it('5.2 iterated test: after 1 and after 1,000 iterations', () => {
    // k = u = 9; then repeatedly: k, u = X25519(k, u), k.
    let k = fromHex(BASE_POINT);
    let u = fromHex(BASE_POINT);
    const step = (): void => {
      const result = x25519(asX25519SecretKey(k), asX25519PublicKey(u));
      u = k;
      k = result;
    };
    step();
    expect(toHex(k)).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    for (let i = 1; i < 1000; i++) step();
    expect(toHex(k)).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
    // The 1,000,000-iteration value of the RFC is left out: too slow for a unit test.
  });

  describe('6.1 Diffie-Hellman example', () => {
    const alicePrivate = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
    const alicePublic = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
    const bobPrivate = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb';
    const bobPublic = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

    it("derives Alice's and Bob's public keys (X25519(secret, 9))", () => {
      const a = asX25519SecretKey(fromHex(alicePrivate));
      const b = asX25519SecretKey(fromHex(bobPrivate));
      expect(toHex(x25519PublicFromSecret(a))).toBe(alicePublic);
      expect(toHex(x25519PublicFromSecret(b))).toBe(bobPublic);
      const nine = asX25519PublicKey(fromHex(BASE_POINT));
      expect(toHex(x25519(a, nine))).toBe(alicePublic);
      expect(toHex(x25519(b, nine))).toBe(bobPublic);
    });

    it('gives the shared secret K in both directions', () => {
      const aliceSide = x25519(
        asX25519SecretKey(fromHex(alicePrivate)),
        asX25519PublicKey(fromHex(bobPublic)),
      );
      const bobSide = x25519(
        asX25519SecretKey(fromHex(bobPrivate)),
        asX25519PublicKey(fromHex(alicePublic)),
      );
      expect(toHex(aliceSide)).toBe(shared);
      expect(toHex(bobSide)).toBe(shared);
    });
  });

  describe('low-order public keys are refused with LOW_ORDER_POINT', () => {
    const secret = asX25519SecretKey(
      fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
    );
    it.each([
      { name: 'u = 0 (all-zero point)', u: '00'.repeat(32) },
      { name: 'u = 1', u: '01' + '00'.repeat(31) },
      {
        name: 'point of order 8',
        u: 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      },
    ])('$name', (c) => {
      expectCryptoError(() => x25519(secret, asX25519PublicKey(fromHex(c.u))), 'LOW_ORDER_POINT');
    });
  });
});

// ---------------------------------------------------------------------------
// RFC 8032, section 7.1: Ed25519, TEST 1 to TEST 3.
// ---------------------------------------------------------------------------
describe('Ed25519 (RFC 8032 section 7.1)', () => {
  const cases = [
    {
      name: 'TEST 1 (empty message)',
      secretKey: '9d61b19deffd5a60ba844af492ec2cc4' + '4449c5697b326919703bac031cae7f60',
      publicKey: 'd75a980182b10ab7d54bfed3c964073a' + '0ee172f3daa62325af021a68f707511a',
      message: '',
      signature:
        'e5564300c360ac729086e2cc806e828a' +
        '84877f1eb8e5d974d873e06522490155' +
        '5fb8821590a33bacc61e39701cf9b46b' +
        'd25bf5f0595bbe24655141438e7a100b',
    },
    {
      name: 'TEST 2 (1-byte message)',
      secretKey: '4ccd089b28ff96da9db6c346ec114e0f' + '5b8a319f35aba624da8cf6ed4fb8a6fb',
      publicKey: '3d4017c3e843895a92b70aa74d1b7ebc' + '9c982ccf2ec4968cc0cd55f12af4660c',
      message: '72',
      signature:
        '92a009a9f0d4cab8720e820b5f642540' +
        'a2b27b5416503f8fb3762223ebdb69da' +
        '085ac1e43e15996e458f3613d0f11d8c' +
        '387b2eaeb4302aeeb00d291612bb0c00',
    },
    {
      name: 'TEST 3 (2-byte message)',
      secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b1' + '66d38535076f094b85ce3a2e0b4458f7',
      publicKey: 'fc51cd8e6218a1a38da47ed00230f058' + '0816ed13ba3303ac5deb911548908025',
      message: 'af82',
      signature:
        '6291d657deec24024827e69c3abe01a3' +
        '0ce548a284743a445e3680d7db5ac3ac' +
        '18ff9b538d16f290ae67f760984dc659' +
        '4a7c15e9716ed28dc027beceea1ec40a',
    },
  ];

  it.each(cases)('$name: public key derived from the secret key (seed)', (c) => {
    const pair = ed25519KeyPairFromSeed(fromHex(c.secretKey));
    expect(toHex(pair.publicKey)).toBe(c.publicKey);
    // libsodium's 64-byte layout: seed ‖ public key.
    expect(toHex(pair.secretKey)).toBe(c.secretKey + c.publicKey);
  });

  it.each(cases)('$name: signature equals the published one and verifies', (c) => {
    const pair = ed25519KeyPairFromSeed(fromHex(c.secretKey));
    const message = fromHex(c.message);
    const signature = sign(pair.secretKey, message);
    expect(toHex(signature)).toBe(c.signature);
    expect(verify(pair.publicKey, message, fromHex(c.signature))).toBe(true);
  });

  it.each(cases)('$name: a flipped bit in the message or the signature fails', (c) => {
    const pair = ed25519KeyPairFromSeed(fromHex(c.secretKey));
    const message = fromHex(c.message);
    const signature = fromHex(c.signature);
    if (message.length > 0) {
      expect(verify(pair.publicKey, flipBit(message, 0), signature)).toBe(false);
      expect(verify(pair.publicKey, flipBit(message, message.length - 1, 7), signature)).toBe(
        false,
      );
    } else {
      // The empty message has no bit to flip: any other message must fail instead.
      expect(verify(pair.publicKey, new Uint8Array(1), signature)).toBe(false);
    }
    expect(verify(pair.publicKey, message, flipBit(signature, 0))).toBe(false); // in R
    expect(verify(pair.publicKey, message, flipBit(signature, 32))).toBe(false); // in S
    expect(verify(pair.publicKey, message, flipBit(signature, 63, 4))).toBe(false); // S, top byte
  });
});

// ---------------------------------------------------------------------------
// draft-irtf-cfrg-xchacha-03, appendix A.3.1: AEAD_XChaCha20_Poly1305 example.
// ---------------------------------------------------------------------------
describe('XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 A.3.1)', () => {
  const plaintext =
    '4c616469657320616e642047656e746c' +
    '656d656e206f662074686520636c6173' +
    '73206f66202739393a20496620492063' +
    '6f756c64206f6666657220796f75206f' +
    '6e6c79206f6e652074697020666f7220' +
    '746865206675747572652c2073756e73' +
    '637265656e20776f756c642062652069' +
    '742e';
  const aad = '50515253c0c1c2c3c4c5c6c7';
  const key = '808182838485868788898a8b8c8d8e8f' + '909192939495969798999a9b9c9d9e9f';
  const nonce = '404142434445464748494a4b4c4d4e4f' + '5051525354555657';
  const ciphertext =
    'bd6d179d3e83d43b9576579493c0e939' +
    '572a1700252bfaccbed2902c21396cbb' +
    '731c7f1b0b4aa6440bf3a82f4eda7e39' +
    'ae64c6708c54c216cb96b72e1213b452' +
    '2f8c9ba40db5d945b11b69b982c1bb9e' +
    '3f3fac2bc369488f76b2383565d3fff9' +
    '21f9664c97637da9768812f615c68b13' +
    'b52e';
  const tag = 'c0875924c1c7987947deafd8780acf49';

  it('the plaintext is the sentence the draft prints', () => {
    expect(
      toHex(
        utf8(
          "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
        ),
      ),
    ).toBe(plaintext);
  });

  it('encrypts to the published ciphertext ‖ tag', () => {
    const sealed = aeadEncrypt(fromHex(key), fromHex(nonce), fromHex(plaintext), fromHex(aad));
    expect(sealed.length).toBe(114 + 16);
    expect(toHex(sealed)).toBe(ciphertext + tag);
  });

  it('decrypts the published ciphertext ‖ tag back to the plaintext', () => {
    const opened = aeadDecrypt(
      fromHex(key),
      fromHex(nonce),
      fromHex(ciphertext + tag),
      fromHex(aad),
    );
    expect(toHex(opened)).toBe(plaintext);
  });

  it('refuses a flipped bit in the ciphertext, the tag or the AAD with DECRYPT_FAILED', () => {
    const sealed = fromHex(ciphertext + tag);
    const tagStart = sealed.length - 16;
    const open = (body: Uint8Array, ad: Uint8Array) =>
      aeadDecrypt(fromHex(key), fromHex(nonce), body, ad);
    expectCryptoError(() => open(flipBit(sealed, 0), fromHex(aad)), 'DECRYPT_FAILED');
    expectCryptoError(() => open(flipBit(sealed, tagStart - 1, 7), fromHex(aad)), 'DECRYPT_FAILED');
    expectCryptoError(() => open(flipBit(sealed, tagStart), fromHex(aad)), 'DECRYPT_FAILED');
    expectCryptoError(
      () => open(flipBit(sealed, sealed.length - 1, 7), fromHex(aad)),
      'DECRYPT_FAILED',
    );
    expectCryptoError(() => open(sealed, flipBit(fromHex(aad), 0)), 'DECRYPT_FAILED');
    expectCryptoError(() => open(sealed, flipBit(fromHex(aad), 11, 7)), 'DECRYPT_FAILED');
  });
});

// ---------------------------------------------------------------------------
// RFC 7693, appendix A: BLAKE2b-512("abc").
// ---------------------------------------------------------------------------
describe('BLAKE2b (RFC 7693 appendix A)', () => {
  const expected =
    'BA 80 A5 3F 98 1C 4D 0D 6A 27 97 B6 9F 12 F6 E9' +
    '4C 21 2F 14 68 5A C4 B7 4B 12 BB 6F DB FF A2 D1' +
    '7D 87 C5 39 2A AB 79 2D C2 52 D5 DE 45 33 CC 95' +
    '18 D3 8A A8 DB F1 92 5A B9 23 86 ED D4 00 99 23';
  const expectedHex = toHex(fromHex(expected));

  it('blake2b(utf8("abc"), 64) equals BLAKE2b-512("abc")', () => {
    expect(expectedHex.length).toBe(128);
    expect(toHex(blake2b(utf8('abc'), 64))).toBe(expectedHex);
  });

  it('Blake2bHasher fed "a", "b", "c" in pieces gives the same digest', () => {
    const hasher = new Blake2bHasher(64);
    hasher.update(utf8('a')).update(utf8('b')).update(utf8('c'));
    expect(toHex(hasher.digest())).toBe(expectedHex);
  });
});
