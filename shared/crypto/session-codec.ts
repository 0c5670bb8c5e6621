// Serialised form of a SessionState for the engine's encrypted store
// (docs/protocol.md §10.1). A version byte first; every field fixed-size or counted;
// decoding is strict and refuses trailing bytes. Only current chain keys and the
// stored skipped-message seeds are written: nothing that was deleted survives.
import { ByteReader, ByteWriter } from '../util/binary.js';
import { CryptoError } from './errors.js';
import type { Ed25519PublicKey, SymmetricKey, X25519PublicKey, X25519SecretKey } from './keys.js';
import { MAX_STORED_SKIPPED, type SessionState, type SkippedMessageKey } from './ratchet.js';
import { NO_ONE_TIME_PREKEY } from './wire-format.js';

const STATE_VERSION = 1;

function malformedState(reason: string): CryptoError {
  return new CryptoError('MALFORMED_STATE', `A stored session is damaged (${reason}).`);
}

export function encodeSessionState(state: SessionState): Uint8Array {
  const w = new ByteWriter(300 + state.skipped.length * 68)
    .u8(STATE_VERSION)
    .u8(state.role === 'initiator' ? 0 : 1)
    .bytes(state.localIdentity)
    .u32(state.localDeviceId)
    .bytes(state.remoteIdentity)
    .u32(state.remoteDeviceId)
    .bytes(state.baseKey)
    .bytes(state.rootKey)
    .bytes(state.ourRatchet.publicKey)
    .bytes(state.ourRatchet.secretKey)
    .bytes(state.sending.chainKey)
    .u32(state.sending.index)
    .u32(state.previousSendingLength);
  if (state.receiving) {
    w.u8(1)
      .bytes(state.receiving.ratchetKey)
      .bytes(state.receiving.chainKey)
      .u32(state.receiving.index);
  } else {
    w.u8(0);
  }
  w.u16(state.skipped.length);
  for (const k of state.skipped) w.bytes(k.ratchetKey).u32(k.index).bytes(k.seed);
  if (state.pendingPrekey) {
    w.u8(1)
      .u32(state.pendingPrekey.signedPrekeyId)
      .u32(state.pendingPrekey.oneTimePrekeyId ?? NO_ONE_TIME_PREKEY);
  } else {
    w.u8(0);
  }
  return w.finish();
}

export function decodeSessionState(bytes: Uint8Array): SessionState {
  const r = new ByteReader(bytes, malformedState);
  const version = r.u8();
  if (version !== STATE_VERSION) throw malformedState(`unknown version ${version}`);
  const roleByte = r.u8();
  if (roleByte > 1) throw malformedState('bad role');
  const localIdentity = r.bytes(32) as Ed25519PublicKey;
  const localDeviceId = r.u32();
  const remoteIdentity = r.bytes(32) as Ed25519PublicKey;
  const remoteDeviceId = r.u32();
  const baseKey = r.bytes(32) as X25519PublicKey;
  const rootKey = r.bytes(32) as SymmetricKey;
  const ourRatchet = {
    publicKey: r.bytes(32) as X25519PublicKey,
    secretKey: r.bytes(32) as X25519SecretKey,
  };
  const sending = { chainKey: r.bytes(32) as SymmetricKey, index: r.u32() };
  const previousSendingLength = r.u32();
  const hasReceiving = r.u8();
  const receiving =
    hasReceiving === 1
      ? {
          ratchetKey: r.bytes(32) as X25519PublicKey,
          chainKey: r.bytes(32) as SymmetricKey,
          index: r.u32(),
        }
      : null;
  if (hasReceiving > 1) throw malformedState('bad flag');
  const skippedCount = r.u16();
  if (skippedCount > MAX_STORED_SKIPPED) throw malformedState('too many skipped keys');
  const skipped: SkippedMessageKey[] = [];
  for (let i = 0; i < skippedCount; i++) {
    skipped.push({ ratchetKey: r.bytes(32) as X25519PublicKey, index: r.u32(), seed: r.bytes(32) });
  }
  const hasPending = r.u8();
  if (hasPending > 1) throw malformedState('bad flag');
  let pendingPrekey = null;
  if (hasPending === 1) {
    const signedPrekeyId = r.u32();
    const oneTime = r.u32();
    pendingPrekey = {
      signedPrekeyId,
      oneTimePrekeyId: oneTime === NO_ONE_TIME_PREKEY ? null : oneTime,
    };
  }
  r.end();
  return {
    version: 1,
    role: roleByte === 0 ? 'initiator' : 'responder',
    localIdentity,
    localDeviceId,
    remoteIdentity,
    remoteDeviceId,
    baseKey,
    rootKey,
    ourRatchet,
    sending,
    previousSendingLength,
    receiving,
    skipped,
    pendingPrekey,
  };
}
