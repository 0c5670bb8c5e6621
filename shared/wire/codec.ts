// Strict encoding and decoding of relay frames and HTTP bodies. Decoding refuses
// (with a WireError carrying a stable code) anything that is not exactly a
// well-formed message of this version within the limits: unknown fields, a wrong
// version, a missing body, ids out of range, oversized fields. After decoding,
// the rest of the code can trust the types.
import {
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  create,
  fromBinary,
  toBinary,
} from '@bufbuild/protobuf';
import {
  type ClientFrame,
  ClientFrameSchema,
  type Recipient,
  type ServerFrame,
  ServerFrameSchema,
} from './gen/relay_pb.js';
import { WireError } from './errors.js';
import { isValidBlobId, isValidDeviceId, isValidUserId, USER_ID_RULE } from './ids.js';
import { PROTOCOL_VERSION, WIRE_LIMITS } from './limits.js';

// Walks the decoded message for fields the schema does not know. Written without
// Object.entries or closures: it runs on every frame the relay reads, and the
// arrays those allocate were a measurable share of the relay's garbage.
function hasUnknownFields(value: unknown, depth = 0): boolean {
  if (depth > 16 || value === null || typeof value !== 'object') return false;
  if (value instanceof Uint8Array) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasUnknownFields(item, depth + 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown> & { $unknown?: unknown[] };
  if (record.$unknown !== undefined && record.$unknown.length > 0) return true;
  for (const key in record) {
    if (key !== '$unknown' && hasUnknownFields(record[key], depth + 1)) return true;
  }
  return false;
}

/** Decodes any schema strictly (malformed → BAD_FRAME / BAD_REQUEST, unknown fields → UNKNOWN_FIELD). */
export function decodeStrict<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  maxBytes: number,
  malformedCode: 'BAD_FRAME' | 'BAD_REQUEST' = 'BAD_REQUEST',
): MessageShape<Desc> {
  if (bytes.length > maxBytes) {
    throw new WireError(
      'FRAME_TOO_LARGE',
      `The message is ${bytes.length} bytes; the limit is ${maxBytes}. Split it or send the data as a blob.`,
    );
  }
  let message: MessageShape<Desc>;
  try {
    message = fromBinary(schema, bytes, { readUnknownFields: true });
  } catch {
    throw new WireError(
      malformedCode,
      `The message is not a valid ${schema.name}; the client and relay may run incompatible versions.`,
    );
  }
  if (hasUnknownFields(message)) {
    throw new WireError(
      'UNKNOWN_FIELD',
      `The ${schema.name} carries fields this relay does not know; update the relay or the client.`,
    );
  }
  return message;
}

export function encode<Desc extends DescMessage>(
  schema: Desc,
  init: MessageInitShape<Desc>,
): Uint8Array {
  return toBinary(schema, create(schema, init));
}

function bad(message: string): WireError {
  return new WireError('BAD_FRAME', message);
}

export function checkRecipient(recipient: Recipient | undefined): Recipient {
  if (!recipient) throw bad('A recipient is missing its user and device.');
  if (!isValidUserId(recipient.userId)) {
    throw bad(`A recipient user id is invalid: it must be ${USER_ID_RULE}.`);
  }
  if (!isValidDeviceId(recipient.deviceId)) {
    throw bad('A recipient device id is invalid: it must be between 1 and 4294967295.');
  }
  return recipient;
}

function checkCiphertext(ciphertext: Uint8Array): void {
  if (ciphertext.length === 0) throw bad('An envelope has an empty ciphertext.');
  if (ciphertext.length > WIRE_LIMITS.maxCiphertextBytes) {
    throw new WireError(
      'CIPHERTEXT_TOO_LARGE',
      `An envelope ciphertext is ${ciphertext.length} bytes; the limit is ${WIRE_LIMITS.maxCiphertextBytes}. Send large content as a blob.`,
    );
  }
}

function checkRecipientCount(count: number): void {
  if (count === 0) throw bad('A submission names no recipient.');
  if (count > WIRE_LIMITS.maxRecipients) {
    throw new WireError(
      'TOO_MANY_RECIPIENTS',
      `A submission names ${count} recipient devices; the limit is ${WIRE_LIMITS.maxRecipients}. Split it.`,
    );
  }
}

/** Checks the parts of a client frame the schema cannot express. */
export function validateClientFrame(frame: ClientFrame): ClientFrame {
  if (frame.version !== PROTOCOL_VERSION) {
    throw new WireError(
      'UNSUPPORTED_VERSION',
      `This relay speaks protocol version ${PROTOCOL_VERSION}, the client sent ${frame.version}. Update the client.`,
    );
  }
  const body = frame.body;
  switch (body.case) {
    case 'auth':
      if (!isValidUserId(body.value.userId)) {
        throw bad(`The user id is invalid: it must be ${USER_ID_RULE}.`);
      }
      if (!isValidDeviceId(body.value.deviceId)) throw bad('The device id is invalid.');
      if (body.value.signature.length !== 64) throw bad('The signature must be 64 bytes.');
      return frame;
    case 'submit': {
      const kind = body.value.kind;
      if (kind.case === 'perDevice') {
        checkRecipientCount(kind.value.messages.length);
        for (const m of kind.value.messages) {
          checkRecipient(m.to);
          checkCiphertext(m.ciphertext);
        }
      } else if (kind.case === 'fanOut') {
        checkRecipientCount(kind.value.recipients.length);
        for (const r of kind.value.recipients) checkRecipient(r);
        checkCiphertext(kind.value.ciphertext);
      } else {
        throw bad('A submission must be either per-device or fan-out.');
      }
      const blobIds = body.value.blobIds;
      if (blobIds.length > WIRE_LIMITS.maxBlobIdsPerSubmission) {
        throw bad(
          `A submission names ${blobIds.length} blobs; the limit is ${WIRE_LIMITS.maxBlobIdsPerSubmission}.`,
        );
      }
      if (!blobIds.every(isValidBlobId)) throw bad('A blob id must be 32 lowercase hex digits.');
      return frame;
    }
    case 'ack': {
      const count = body.value.serverIds.length;
      if (count < 1 || count > WIRE_LIMITS.maxAckIds) {
        throw bad(`An ack must carry 1 to ${WIRE_LIMITS.maxAckIds} server ids; split larger acks.`);
      }
      return frame;
    }
    case 'ping':
      return frame;
    default:
      throw bad('The frame has no body; the client may be newer than the relay.');
  }
}

/** Bytes from a socket → a validated client frame, or a WireError. */
export function decodeClientFrame(bytes: Uint8Array): ClientFrame {
  return validateClientFrame(
    decodeStrict(ClientFrameSchema, bytes, WIRE_LIMITS.maxFrameBytes, 'BAD_FRAME'),
  );
}

export function encodeClientFrame(init: MessageInitShape<typeof ClientFrameSchema>): Uint8Array {
  return encode(ClientFrameSchema, { version: PROTOCOL_VERSION, ...init });
}

export function encodeServerFrame(init: MessageInitShape<typeof ServerFrameSchema>): Uint8Array {
  return encode(ServerFrameSchema, { version: PROTOCOL_VERSION, ...init });
}

/** For clients: bytes from the relay → a server frame (strict as well). */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  const frame = decodeStrict(ServerFrameSchema, bytes, 64 * 1024 * 1024, 'BAD_FRAME');
  if (frame.version !== PROTOCOL_VERSION) {
    throw new WireError(
      'UNSUPPORTED_VERSION',
      `The relay speaks protocol version ${frame.version}, this client ${PROTOCOL_VERSION}. Update the client.`,
    );
  }
  return frame;
}
