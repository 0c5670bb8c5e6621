import { beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, ready } from '../crypto/index.js';
import { verifyCertificate, signCertificate } from './certificate.js';
import { decodeClientFrame, encodeClientFrame } from './codec.js';
import { generateEnrolmentCode, normaliseEnrolmentCode } from './enrolment-code.js';
import { WireError } from './errors.js';
import { isValidUserId } from './ids.js';
import { WIRE_LIMITS } from './limits.js';
import { certificateSignedBytes } from './signed-bytes.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof WireError ? error.code : 'NOT_A_WIRE_ERROR';
  }
}

const bob = { userId: 'bob', deviceId: 1 };

describe('client frame decoding', () => {
  it('round-trips a valid submission', () => {
    const bytes = encodeClientFrame({
      requestId: 3,
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'perDevice',
            value: { messages: [{ to: bob, ciphertext: new Uint8Array([1]) }] },
          },
        },
      },
    });
    const frame = decodeClientFrame(bytes);
    expect(frame.requestId).toBe(3);
    expect(frame.body.case).toBe('submit');
  });

  it('refuses unknown fields, other versions, empty bodies and bad ids', () => {
    const ping = encodeClientFrame({ requestId: 1, body: { case: 'ping', value: {} } });
    expect(codeOf(() => decodeClientFrame(new Uint8Array([...ping, 0xf8, 0x01, 0x00])))).toBe(
      'UNKNOWN_FIELD',
    );
    expect(
      codeOf(() =>
        decodeClientFrame(encodeClientFrame({ version: 2, body: { case: 'ping', value: {} } })),
      ),
    ).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => decodeClientFrame(encodeClientFrame({ requestId: 1 })))).toBe('BAD_FRAME');
    expect(codeOf(() => decodeClientFrame(new Uint8Array([0x0a, 0xff])))).toBe('BAD_FRAME');
    const badUser = encodeClientFrame({
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'fanOut',
            value: {
              ciphertext: new Uint8Array([1]),
              recipients: [{ userId: 'Bob!', deviceId: 1 }],
            },
          },
        },
      },
    });
    expect(codeOf(() => decodeClientFrame(badUser))).toBe('BAD_FRAME');
    const deviceZero = encodeClientFrame({
      body: { case: 'auth', value: { userId: 'bob', deviceId: 0, signature: new Uint8Array(64) } },
    });
    expect(codeOf(() => decodeClientFrame(deviceZero))).toBe('BAD_FRAME');
  });

  it('enforces the size limits', () => {
    const big = encodeClientFrame({
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'perDevice',
            value: {
              messages: [
                { to: bob, ciphertext: new Uint8Array(WIRE_LIMITS.maxCiphertextBytes + 1) },
              ],
            },
          },
        },
      },
    });
    expect(codeOf(() => decodeClientFrame(big))).toBe('CIPHERTEXT_TOO_LARGE');
    expect(codeOf(() => decodeClientFrame(new Uint8Array(WIRE_LIMITS.maxFrameBytes + 1)))).toBe(
      'FRAME_TOO_LARGE',
    );
    const many = encodeClientFrame({
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'fanOut',
            value: {
              ciphertext: new Uint8Array([1]),
              recipients: Array.from({ length: WIRE_LIMITS.maxRecipients + 1 }, (_, i) => ({
                userId: `u${i}`,
                deviceId: 1,
              })),
            },
          },
        },
      },
    });
    expect(codeOf(() => decodeClientFrame(many))).toBe('TOO_MANY_RECIPIENTS');
  });

  it('accepts up to the limit of well-formed blob ids in a submission, and nothing else', () => {
    const submit = (blobIds: string[]) =>
      encodeClientFrame({
        requestId: 1,
        body: {
          case: 'submit',
          value: {
            kind: {
              case: 'fanOut',
              value: {
                ciphertext: new Uint8Array([1]),
                recipients: [{ userId: 'b', deviceId: 1 }],
              },
            },
            blobIds,
          },
        },
      });
    const ids = (n: number) =>
      Array.from({ length: n }, (_, i) => i.toString(16).padStart(32, '0'));
    const decoded = decodeClientFrame(submit(ids(WIRE_LIMITS.maxBlobIdsPerSubmission)));
    expect(decoded.body.case === 'submit' && decoded.body.value.blobIds).toHaveLength(
      WIRE_LIMITS.maxBlobIdsPerSubmission,
    );
    expect(
      codeOf(() => decodeClientFrame(submit(ids(WIRE_LIMITS.maxBlobIdsPerSubmission + 1)))),
    ).toBe('BAD_FRAME');
    expect(codeOf(() => decodeClientFrame(submit(['A'.repeat(32)])))).toBe('BAD_FRAME');
    expect(codeOf(() => decodeClientFrame(submit(['0'.repeat(31)])))).toBe('BAD_FRAME');
  });
});

describe('identifiers and codes', () => {
  beforeAll(() => ready());

  it('validates user ids', () => {
    expect(isValidUserId('amina.k-2_x')).toBe(true);
    for (const bad of ['', 'A', 'a b', 'é', 'x'.repeat(65), '../x']) {
      expect(isValidUserId(bad), bad).toBe(false);
    }
  });

  it('generates enrolment codes that normalise back to themselves', () => {
    const code = generateEnrolmentCode();
    expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    expect(normaliseEnrolmentCode(code.toLowerCase())).toBe(code.replace(/-/g, ''));
    expect(normaliseEnrolmentCode('AAAA-BBBB')).toBeUndefined();
    expect(normaliseEnrolmentCode('1'.repeat(24))).toBeUndefined();
  });
});

describe('device certificates', () => {
  beforeAll(() => ready());

  it('binds user, device, key and time in a documented layout', () => {
    const bytes = certificateSignedBytes('ab', 7, new Uint8Array(32).fill(9), 2 ** 40 + 5);
    const context = new TextEncoder().encode('COMGOV-DeviceCertificate-v1');
    expect(bytes.subarray(0, context.length)).toEqual(context);
    expect([...bytes.subarray(context.length, context.length + 4)]).toEqual([0, 2, 97, 98]);
    expect([...bytes.subarray(context.length + 4, context.length + 8)]).toEqual([0, 0, 0, 7]);
    expect([...bytes.subarray(-8)]).toEqual([0, 0, 1, 0, 0, 0, 0, 5]);
    expect(bytes.length).toBe(context.length + 4 + 4 + 32 + 8);
  });

  it('verifies only the exact fields the relay signed', () => {
    const relay = generateEd25519KeyPair();
    const fields = {
      userId: 'bob',
      deviceId: 2,
      identityKey: new Uint8Array(32).fill(1),
      issuedAt: 1000,
    };
    const signature = signCertificate(relay.secretKey, fields);
    const cert = { ...fields, issuedAt: 1000n, signature };
    expect(verifyCertificate(relay.publicKey, cert)).toBe(true);
    expect(verifyCertificate(relay.publicKey, { ...cert, userId: 'bod' })).toBe(false);
    expect(verifyCertificate(relay.publicKey, { ...cert, issuedAt: 1001n })).toBe(false);
    expect(verifyCertificate(generateEd25519KeyPair().publicKey, cert)).toBe(false);
  });
});
