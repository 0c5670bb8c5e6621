import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, fromUtf8, utf8 } from '../util/bytes.js';
import {
  createSenderKey,
  decodeSenderKeyState,
  encodeSenderKeyState,
  isCryptoError,
  ready,
  receiveSenderKeyDistribution,
  rotateSenderKey,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
  senderKeyIdOf,
  sign,
  generateEd25519KeyPair,
} from './index.js';

beforeAll(ready);

const AD = utf8('group:ministere-finances|sender:alice|device:1');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isCryptoError(error) ? error.code : `not a CryptoError: ${String(error)}`;
  }
  return undefined;
}

describe('Sender Keys', () => {
  it('members decrypt every message exactly once, in any order, with loss and duplicates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (count, order) => {
          let own = createSenderKey();
          const distribution = senderKeyDistribution(own);
          const sent: { bytes: Uint8Array; text: string }[] = [];
          for (let i = 0; i < count; i++) {
            const r = senderKeyEncrypt(own, utf8(`message ${i}`), AD);
            own = r.state;
            sent.push({ bytes: r.message, text: `message ${i}` });
          }
          let member = receiveSenderKeyDistribution(distribution);
          const seen = new Set<number>();
          for (const pick of order) {
            const i = pick % count;
            if (seen.has(i)) {
              const before = encodeSenderKeyState(member);
              expect(code(() => senderKeyDecrypt(member, sent[i]!.bytes, AD))).toBe(
                'DUPLICATE_MESSAGE',
              );
              expect(bytesEqual(encodeSenderKeyState(member), before)).toBe(true);
              continue;
            }
            const r = senderKeyDecrypt(member, sent[i]!.bytes, AD);
            expect(fromUtf8(r.plaintext)).toBe(sent[i]!.text);
            member = decodeSenderKeyState(encodeSenderKeyState(r.state));
            seen.add(i);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a removed member cannot decrypt after rotation; remaining members can', () => {
    let own = createSenderKey(41);
    const removed = receiveSenderKeyDistribution(senderKeyDistribution(own));
    const staying = receiveSenderKeyDistribution(senderKeyDistribution(own));
    const before = senderKeyEncrypt(own, utf8('avant'), AD);
    own = before.state;
    expect(fromUtf8(senderKeyDecrypt(removed, before.message, AD).plaintext)).toBe('avant');

    own = rotateSenderKey(own);
    expect(own.keyId).toBe(42);
    // Only the staying member receives the new distribution message.
    const stayingNew = receiveSenderKeyDistribution(senderKeyDistribution(own));
    const after = senderKeyEncrypt(own, utf8('après'), AD);
    expect(senderKeyIdOf(after.message)).toBe(42);
    expect(code(() => senderKeyDecrypt(removed, after.message, AD))).toBe('UNKNOWN_SENDER_KEY');
    // Even pretending the key id matched, the old chain and signing key are useless.
    expect(code(() => senderKeyDecrypt({ ...removed, keyId: 42 }, after.message, AD))).toBe(
      'BAD_SIGNATURE',
    );
    expect(fromUtf8(senderKeyDecrypt(stayingNew, after.message, AD).plaintext)).toBe('après');
    expect(staying.keyId).toBe(41);
  });

  it('refuses a forged sender signature and tampered bytes, leaving the state intact', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (position, flip) => {
        const own = createSenderKey();
        const member = receiveSenderKeyDistribution(senderKeyDistribution(own));
        const { message } = senderKeyEncrypt(own, utf8('ordre de mission'), AD);
        const tampered = message.slice();
        tampered[position % tampered.length]! ^= flip;
        const before = encodeSenderKeyState(member);
        expect(code(() => senderKeyDecrypt(member, tampered, AD))).toBeDefined();
        expect(bytesEqual(encodeSenderKeyState(member), before)).toBe(true);
        expect(fromUtf8(senderKeyDecrypt(member, message, AD).plaintext)).toBe('ordre de mission');
      }),
      { numRuns: 1000 },
    );
    // A message re-signed by someone else's key is refused.
    const own = createSenderKey(7);
    const member = receiveSenderKeyDistribution(senderKeyDistribution(own));
    const { message } = senderKeyEncrypt(own, utf8('x'), AD);
    const mallory = generateEd25519KeyPair();
    const signed = message.subarray(0, message.length - 64);
    const forged = new Uint8Array([...signed, ...sign(mallory.secretKey, signed)]);
    expect(code(() => senderKeyDecrypt(member, forged, AD))).toBe('BAD_SIGNATURE');
  });

  it('binds the associated data: a message replayed into another group is refused', () => {
    const own = createSenderKey();
    const member = receiveSenderKeyDistribution(senderKeyDistribution(own));
    const { message } = senderKeyEncrypt(own, utf8('x'), AD);
    expect(code(() => senderKeyDecrypt(member, message, utf8('group:other')))).toBe(
      'DECRYPT_FAILED',
    );
  });

  it('refuses a gap over MAX_SKIP and keeps working afterwards', () => {
    let own = createSenderKey();
    const member = receiveSenderKeyDistribution(senderKeyDistribution(own));
    const messages: Uint8Array[] = [];
    for (let i = 0; i < 2002; i++) {
      const r = senderKeyEncrypt(own, utf8(`${i}`), AD);
      own = r.state;
      messages.push(r.message);
    }
    expect(code(() => senderKeyDecrypt(member, messages[2001]!, AD))).toBe('TOO_MANY_SKIPPED');
    expect(fromUtf8(senderKeyDecrypt(member, messages[2000]!, AD).plaintext)).toBe('2000');
  });

  it('only the owner can encrypt', () => {
    const member = receiveSenderKeyDistribution(senderKeyDistribution(createSenderKey()));
    expect(code(() => senderKeyEncrypt(member, utf8('x'), AD))).toBe('NOT_SENDER_KEY_OWNER');
  });
});
