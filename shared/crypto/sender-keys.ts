// Sender Keys for groups (Signal's design): each member device has a chain key
// and an Ed25519 signing key for the group. The sender encrypts a message once;
// every member who received the distribution message over a pairwise session
// can decrypt it and verify it came from the holder of the signing key. Rotate
// (a new key id, chain and signing key) whenever anyone leaves the group, so a
// removed member cannot read what follows.
import { ByteReader, ByteWriter } from '../util/binary.js';
import { concatBytes } from '../util/bytes.js';
import { aeadDecrypt, aeadEncrypt } from './aead.js';
import { generateEd25519KeyPair, sign, verify } from './ed25519.js';
import { CryptoError } from './errors.js';
import { COMGOV_PROTOCOL, type ProtocolInfo, chainStep, messageKeyMaterial } from './kdf.js';
import {
  type Ed25519PublicKey,
  type Ed25519SecretKey,
  type SymmetricKey,
  asSymmetricKey,
} from './keys.js';
import { randomBytes } from './random.js';
import { MAX_SKIP, MAX_STORED_SKIPPED } from './ratchet.js';
import {
  decodeSenderKeyDistribution,
  decodeSenderKeyMessage,
  encodeSenderKeyDistribution,
  encodeSenderKeyHeader,
} from './wire-format.js';

const ZERO_NONCE = new Uint8Array(24);

export interface SkippedSenderKey {
  readonly iteration: number;
  readonly seed: Uint8Array;
}

export interface SenderKeyState {
  readonly version: 1;
  readonly keyId: number;
  /** Index of the next message of the chain. */
  readonly iteration: number;
  readonly chainKey: SymmetricKey;
  readonly signingPublicKey: Ed25519PublicKey;
  /** Present only in our own sender key. */
  readonly signingSecretKey: Ed25519SecretKey | null;
  readonly skipped: readonly SkippedSenderKey[];
}

/** A new sender key of our own for a group. */
export function createSenderKey(keyId: number = randomKeyId()): SenderKeyState {
  const signing = generateEd25519KeyPair();
  return {
    version: 1,
    keyId: keyId >>> 0,
    iteration: 0,
    chainKey: asSymmetricKey(randomBytes(32)),
    signingPublicKey: signing.publicKey,
    signingSecretKey: signing.secretKey,
    skipped: [],
  };
}

/** A fresh sender key replacing `previous` (after a removal): new chain, new signing key. */
export function rotateSenderKey(previous: SenderKeyState): SenderKeyState {
  return createSenderKey((previous.keyId + 1) >>> 0);
}

function randomKeyId(): number {
  const b = randomBytes(4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
}

/** What members receive (over pairwise sessions) to read our group messages. */
export function senderKeyDistribution(own: SenderKeyState): Uint8Array {
  return encodeSenderKeyDistribution({
    keyId: own.keyId,
    iteration: own.iteration,
    chainKey: own.chainKey,
    signingKey: own.signingPublicKey,
  });
}

/** A member's copy of someone else's sender key, from their distribution message. */
export function receiveSenderKeyDistribution(bytes: Uint8Array): SenderKeyState {
  const d = decodeSenderKeyDistribution(bytes);
  return {
    version: 1,
    keyId: d.keyId,
    iteration: d.iteration,
    chainKey: d.chainKey,
    signingPublicKey: d.signingKey,
    signingSecretKey: null,
    skipped: [],
  };
}

export interface SenderKeyEncryptResult {
  readonly state: SenderKeyState;
  readonly message: Uint8Array;
}

/**
 * Encrypts one group message. `associatedData` binds context the engine knows
 * on both ends (group id, sender identity and device), so a message cannot be
 * replayed into another group.
 */
export function senderKeyEncrypt(
  own: SenderKeyState,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  info: ProtocolInfo = COMGOV_PROTOCOL,
): SenderKeyEncryptResult {
  if (!own.signingSecretKey) {
    throw new CryptoError(
      'NOT_SENDER_KEY_OWNER',
      'Only the owner of a sender key can encrypt with it.',
    );
  }
  const step = chainStep(own.chainKey);
  const header = encodeSenderKeyHeader(own.keyId, own.iteration);
  const key = messageKeyMaterial(step.messageKeySeed, info.senderKeyMessageKeys).subarray(0, 32);
  const ciphertext = aeadEncrypt(key, ZERO_NONCE, plaintext, concatBytes(associatedData, header));
  const signed = concatBytes(header, ciphertext);
  const message = concatBytes(signed, sign(own.signingSecretKey, signed));
  return { state: { ...own, iteration: own.iteration + 1, chainKey: step.nextChainKey }, message };
}

export interface SenderKeyDecryptResult {
  readonly state: SenderKeyState;
  readonly plaintext: Uint8Array;
}

/** The key id a group message was sent with, so the engine can pick the state. */
export function senderKeyIdOf(message: Uint8Array): number {
  return decodeSenderKeyMessage(message).keyId;
}

/** Verifies the signature, then decrypts. Never mutates `state`; throws CryptoError. */
export function senderKeyDecrypt(
  state: SenderKeyState,
  messageBytes: Uint8Array,
  associatedData: Uint8Array,
  info: ProtocolInfo = COMGOV_PROTOCOL,
): SenderKeyDecryptResult {
  const m = decodeSenderKeyMessage(messageBytes);
  if (m.keyId !== state.keyId) {
    throw new CryptoError(
      'UNKNOWN_SENDER_KEY',
      'This group message uses a sender key we do not have (yet); it is kept until the key arrives.',
    );
  }
  if (!verify(state.signingPublicKey, m.signedBytes, m.signature)) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      'The group message is not signed by its sender; it was refused.',
    );
  }
  const ad = concatBytes(associatedData, m.headerBytes);
  const open = (seed: Uint8Array) =>
    aeadDecrypt(
      messageKeyMaterial(seed, info.senderKeyMessageKeys).subarray(0, 32),
      ZERO_NONCE,
      m.ciphertext,
      ad,
    );

  if (m.iteration < state.iteration) {
    const at = state.skipped.findIndex((k) => k.iteration === m.iteration);
    if (at < 0) {
      throw new CryptoError(
        'DUPLICATE_MESSAGE',
        'This group message was already received; it was ignored.',
      );
    }
    const plaintext = open(state.skipped[at]!.seed);
    const skipped = state.skipped.slice();
    skipped.splice(at, 1);
    return { state: { ...state, skipped }, plaintext };
  }
  if (m.iteration - state.iteration > MAX_SKIP) {
    throw new CryptoError(
      'TOO_MANY_SKIPPED',
      `This group message would skip ${m.iteration - state.iteration} messages (at most ${MAX_SKIP}); it was refused.`,
    );
  }
  let chainKey = state.chainKey;
  let skipped: SkippedSenderKey[] | null = null;
  for (let i = state.iteration; i < m.iteration; i++) {
    const step = chainStep(chainKey);
    (skipped ??= state.skipped.slice()).push({ iteration: i, seed: step.messageKeySeed });
    chainKey = step.nextChainKey;
  }
  const step = chainStep(chainKey);
  const plaintext = open(step.messageKeySeed);
  let finalSkipped: readonly SkippedSenderKey[] = skipped ?? state.skipped;
  if (finalSkipped.length > MAX_STORED_SKIPPED) {
    finalSkipped = finalSkipped.slice(finalSkipped.length - MAX_STORED_SKIPPED);
  }
  return {
    state: {
      ...state,
      iteration: m.iteration + 1,
      chainKey: step.nextChainKey,
      skipped: finalSkipped,
    },
    plaintext,
  };
}

// ---------------------------------------------------------------- storage form

const SENDER_KEY_STATE_VERSION = 1;

function malformedState(reason: string): CryptoError {
  return new CryptoError('MALFORMED_STATE', `A stored sender key is damaged (${reason}).`);
}

export function encodeSenderKeyState(s: SenderKeyState): Uint8Array {
  const w = new ByteWriter(160 + s.skipped.length * 36)
    .u8(SENDER_KEY_STATE_VERSION)
    .u32(s.keyId)
    .u32(s.iteration)
    .bytes(s.chainKey)
    .bytes(s.signingPublicKey);
  if (s.signingSecretKey) w.u8(1).bytes(s.signingSecretKey);
  else w.u8(0);
  w.u16(s.skipped.length);
  for (const k of s.skipped) w.u32(k.iteration).bytes(k.seed);
  return w.finish();
}

export function decodeSenderKeyState(bytes: Uint8Array): SenderKeyState {
  const r = new ByteReader(bytes, malformedState);
  if (r.u8() !== SENDER_KEY_STATE_VERSION) throw malformedState('unknown version');
  const keyId = r.u32();
  const iteration = r.u32();
  const chainKey = r.bytes(32) as SymmetricKey;
  const signingPublicKey = r.bytes(32) as Ed25519PublicKey;
  const hasSecret = r.u8();
  if (hasSecret > 1) throw malformedState('bad flag');
  const signingSecretKey = hasSecret ? (r.bytes(64) as Ed25519SecretKey) : null;
  const count = r.u16();
  if (count > MAX_STORED_SKIPPED) throw malformedState('too many skipped keys');
  const skipped: SkippedSenderKey[] = [];
  for (let i = 0; i < count; i++) skipped.push({ iteration: r.u32(), seed: r.bytes(32) });
  r.end();
  return { version: 1, keyId, iteration, chainKey, signingPublicKey, signingSecretKey, skipped };
}
