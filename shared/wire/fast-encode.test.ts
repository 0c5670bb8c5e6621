import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeServerFrame } from './codec.js';
import { encodeEnvelopeFrame, encodeSubmitOkFrame } from './fast-encode.js';

describe('hand-written frame encoders', () => {
  it('produce the same bytes as protobuf-es for envelopes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.string({ maxLength: 70 }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 300 }),
        (serverId, serverTime, senderUser, senderDevice, ciphertext) => {
          const expected = encodeServerFrame({
            body: {
              case: 'envelope',
              value: {
                serverId: BigInt(serverId),
                serverTime: BigInt(serverTime),
                senderUser,
                senderDevice,
                ciphertext,
              },
            },
          });
          const frame = encodeEnvelopeFrame({
            serverId,
            serverTime,
            senderUser,
            senderDevice,
            ciphertext,
          });
          expect(new Uint8Array(frame)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('produce the same bytes as protobuf-es for submission acknowledgements', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (requestId, messageId, serverTime) => {
          const expected = encodeServerFrame({
            requestId,
            body: {
              case: 'submitOk',
              value: { messageId: BigInt(messageId), serverTime: BigInt(serverTime) },
            },
          });
          const frame = encodeSubmitOkFrame(requestId, messageId, serverTime);
          expect(new Uint8Array(frame)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
