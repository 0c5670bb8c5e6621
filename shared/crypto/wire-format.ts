// Byte layouts of the protocol's wire structures (docs/protocol.md §6). Every
// structure starts with a version byte and a type byte, so the format — and a
// later move to MLS — can evolve without guessing what a blob is.
import { ByteReader, ByteWriter } from '../util/binary.js';
import { CryptoError } from './errors.js';
import {
  type Ed25519PublicKey,
  type Signature,
  type SymmetricKey,
  type X25519PublicKey,
} from './keys.js';

export const PROTOCOL_VERSION = 1;

export const MessageType = {
  ratchet: 1,
  prekey: 2,
  senderKey: 3,
  senderKeyDistribution: 4,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** No one-time prekey was used. */
export const NO_ONE_TIME_PREKEY = 0xffffffff;

/** Upper bound on any single protocol message (a 1:1 text is far smaller; files go by blob). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

export const RATCHET_HEADER_LENGTH = 2 + 32 + 4 + 4;
export const SENDER_KEY_HEADER_LENGTH = 2 + 4 + 4;

function malformed(reason: string): CryptoError {
  return new CryptoError(
    'MALFORMED_MESSAGE',
    `This message is malformed (${reason}); it was refused.`,
  );
}

function openReader(bytes: Uint8Array, expected: MessageType): ByteReader {
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes');
  if (bytes.length > MAX_MESSAGE_BYTES) throw malformed(`larger than ${MAX_MESSAGE_BYTES} bytes`);
  const reader = new ByteReader(bytes, malformed);
  const version = reader.u8();
  if (version !== PROTOCOL_VERSION) {
    throw new CryptoError(
      'UNSUPPORTED_VERSION',
      `This message uses protocol version ${version}; this app speaks version ${PROTOCOL_VERSION}. Update the app.`,
    );
  }
  const type = reader.u8();
  if (type !== expected) throw malformed(`type ${type} where ${expected} was expected`);
  return reader;
}

/** The type byte of a protocol message, after checking its version. */
export function peekMessageType(bytes: Uint8Array): MessageType {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) throw malformed('too short');
  if (bytes[0] !== PROTOCOL_VERSION) {
    throw new CryptoError(
      'UNSUPPORTED_VERSION',
      `This message uses protocol version ${bytes[0]}; this app speaks version ${PROTOCOL_VERSION}. Update the app.`,
    );
  }
  const type = bytes[1] as number;
  if (type < 1 || type > 4) throw malformed(`unknown type ${type}`);
  return type as MessageType;
}

// ---------------------------------------------------------------- ratchet message

export interface RatchetHeader {
  readonly ratchetKey: X25519PublicKey;
  readonly previousChainLength: number;
  readonly index: number;
}

export interface RatchetMessage {
  readonly header: RatchetHeader;
  /** The exact header bytes, authenticated as part of the AEAD associated data (a view). */
  readonly headerBytes: Uint8Array;
  /** A view into the message bytes. */
  readonly ciphertext: Uint8Array;
}

/** Writes the header into `target` at `offset` (the encrypt path builds AD ‖ header in place). */
export function writeRatchetHeader(
  target: Uint8Array,
  offset: number,
  header: RatchetHeader,
): void {
  target[offset] = PROTOCOL_VERSION;
  target[offset + 1] = MessageType.ratchet;
  target.set(header.ratchetKey, offset + 2);
  const view = new DataView(target.buffer, target.byteOffset + offset + 34, 8);
  view.setUint32(0, header.previousChainLength);
  view.setUint32(4, header.index);
}

export function encodeRatchetHeader(header: RatchetHeader): Uint8Array {
  return new ByteWriter(RATCHET_HEADER_LENGTH)
    .u8(PROTOCOL_VERSION)
    .u8(MessageType.ratchet)
    .bytes(header.ratchetKey)
    .u32(header.previousChainLength)
    .u32(header.index)
    .finish();
}

export function decodeRatchetMessage(bytes: Uint8Array): RatchetMessage {
  const reader = openReader(bytes, MessageType.ratchet);
  const ratchetKey = reader.bytes(32) as X25519PublicKey;
  const previousChainLength = reader.u32();
  const index = reader.u32();
  // Views, not copies: the header and ciphertext are consumed by the cipher at once.
  const ciphertext = reader.borrow(reader.remaining);
  if (ciphertext.length < 16) throw malformed('ciphertext shorter than its tag');
  return {
    header: { ratchetKey, previousChainLength, index },
    headerBytes: bytes.subarray(0, RATCHET_HEADER_LENGTH),
    ciphertext,
  };
}

// ---------------------------------------------------------------- prekey message

/** The first messages of a session carry what the responder needs to run X3DH. */
export interface PrekeyMessage {
  readonly initiatorIdentity: Ed25519PublicKey;
  readonly initiatorDeviceId: number;
  readonly responderDeviceId: number;
  readonly signedPrekeyId: number;
  /** null when the bundle had no one-time prekey left. */
  readonly oneTimePrekeyId: number | null;
  readonly baseKey: X25519PublicKey;
  /** An encoded ratchet message (type 1). */
  readonly message: Uint8Array;
}

export function encodePrekeyMessage(m: PrekeyMessage): Uint8Array {
  return new ByteWriter(m.message.length + 96)
    .u8(PROTOCOL_VERSION)
    .u8(MessageType.prekey)
    .bytes(m.initiatorIdentity)
    .u32(m.initiatorDeviceId)
    .u32(m.responderDeviceId)
    .u32(m.signedPrekeyId)
    .u32(m.oneTimePrekeyId ?? NO_ONE_TIME_PREKEY)
    .bytes(m.baseKey)
    .bytes(m.message)
    .finish();
}

export function decodePrekeyMessage(bytes: Uint8Array): PrekeyMessage {
  const reader = openReader(bytes, MessageType.prekey);
  const initiatorIdentity = reader.bytes(32) as Ed25519PublicKey;
  const initiatorDeviceId = reader.u32();
  const responderDeviceId = reader.u32();
  const signedPrekeyId = reader.u32();
  const oneTime = reader.u32();
  const baseKey = reader.bytes(32) as X25519PublicKey;
  const message = reader.rest();
  decodeRatchetMessage(message); // validates the inner layout now rather than later
  return {
    initiatorIdentity,
    initiatorDeviceId,
    responderDeviceId,
    signedPrekeyId,
    oneTimePrekeyId: oneTime === NO_ONE_TIME_PREKEY ? null : oneTime,
    baseKey,
    message,
  };
}

// ---------------------------------------------------------------- sender keys

export interface SenderKeyMessage {
  readonly keyId: number;
  readonly iteration: number;
  readonly headerBytes: Uint8Array;
  readonly ciphertext: Uint8Array;
  /** Everything before the signature: what the signature covers. */
  readonly signedBytes: Uint8Array;
  readonly signature: Signature;
}

export function encodeSenderKeyHeader(keyId: number, iteration: number): Uint8Array {
  return new ByteWriter(SENDER_KEY_HEADER_LENGTH)
    .u8(PROTOCOL_VERSION)
    .u8(MessageType.senderKey)
    .u32(keyId)
    .u32(iteration)
    .finish();
}

export function decodeSenderKeyMessage(bytes: Uint8Array): SenderKeyMessage {
  const reader = openReader(bytes, MessageType.senderKey);
  const keyId = reader.u32();
  const iteration = reader.u32();
  if (reader.remaining < 16 + 64) throw malformed('too short for a ciphertext and a signature');
  const ciphertext = reader.bytes(reader.remaining - 64);
  const signature = reader.bytes(64) as Signature;
  return {
    keyId,
    iteration,
    headerBytes: bytes.slice(0, SENDER_KEY_HEADER_LENGTH),
    ciphertext,
    signedBytes: bytes.slice(0, bytes.length - 64),
    signature,
  };
}

export interface SenderKeyDistribution {
  readonly keyId: number;
  readonly iteration: number;
  readonly chainKey: SymmetricKey;
  readonly signingKey: Ed25519PublicKey;
}

export function encodeSenderKeyDistribution(d: SenderKeyDistribution): Uint8Array {
  return new ByteWriter(2 + 8 + 64)
    .u8(PROTOCOL_VERSION)
    .u8(MessageType.senderKeyDistribution)
    .u32(d.keyId)
    .u32(d.iteration)
    .bytes(d.chainKey)
    .bytes(d.signingKey)
    .finish();
}

export function decodeSenderKeyDistribution(bytes: Uint8Array): SenderKeyDistribution {
  const reader = openReader(bytes, MessageType.senderKeyDistribution);
  const d = {
    keyId: reader.u32(),
    iteration: reader.u32(),
    chainKey: reader.bytes(32) as SymmetricKey,
    signingKey: reader.bytes(32) as Ed25519PublicKey,
  };
  reader.end();
  return d;
}
