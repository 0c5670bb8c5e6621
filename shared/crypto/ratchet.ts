// The Double Ratchet (Signal's specification, §3) on one device pair.
//
// States are immutable values: encrypt and decrypt return a new state and never
// touch the one they were given, so a failed decryption leaves the caller's state
// exactly as it was, and the engine can commit "new state + plaintext + message
// id" in one transaction or drop both. Byte arrays inside a state are never
// mutated in place; new states share the unchanged ones.
import { bytesEqual, concatBytes } from '../util/bytes.js';
import { aeadDecrypt, aeadEncrypt } from './aead.js';
import { CryptoError } from './errors.js';
import { type ProtocolInfo, chainStep, messageKeyMaterial, rootKdf } from './kdf.js';
import type { Ed25519PublicKey, SymmetricKey, X25519KeyPair, X25519PublicKey } from './keys.js';
import {
  RATCHET_HEADER_LENGTH,
  type RatchetMessage,
  decodeRatchetMessage,
  writeRatchetHeader,
} from './wire-format.js';
import { generateX25519KeyPair, x25519 } from './x25519.js';

/** Largest gap a single message may open in one chain (Signal: MAX_SKIP). */
export const MAX_SKIP = 2000;
/** Most skipped message keys a session keeps; the oldest are evicted first. */
export const MAX_STORED_SKIPPED = 2000;

const ZERO_NONCE = new Uint8Array(24);

export interface SendingChain {
  readonly chainKey: SymmetricKey;
  readonly index: number;
}

export interface ReceivingChain {
  readonly ratchetKey: X25519PublicKey;
  readonly chainKey: SymmetricKey;
  readonly index: number;
}

export interface SkippedMessageKey {
  readonly ratchetKey: X25519PublicKey;
  readonly index: number;
  /** The chain's message-key seed for that index (HMAC(CK, 0x01)). */
  readonly seed: Uint8Array;
}

/** X3DH details the initiator repeats on every message until the responder answers. */
export interface PendingPrekey {
  readonly signedPrekeyId: number;
  readonly oneTimePrekeyId: number | null;
}

export type SessionRole = 'initiator' | 'responder';

export interface SessionState {
  readonly version: 1;
  readonly role: SessionRole;
  readonly localIdentity: Ed25519PublicKey;
  readonly localDeviceId: number;
  readonly remoteIdentity: Ed25519PublicKey;
  readonly remoteDeviceId: number;
  /** The initiator's X3DH base key: names the session (both sides know it). */
  readonly baseKey: X25519PublicKey;
  readonly rootKey: SymmetricKey;
  readonly ourRatchet: X25519KeyPair;
  readonly sending: SendingChain;
  /** Length of our previous sending chain (PN in the header). */
  readonly previousSendingLength: number;
  readonly receiving: ReceivingChain | null;
  /** Oldest first. */
  readonly skipped: readonly SkippedMessageKey[];
  readonly pendingPrekey: PendingPrekey | null;
}

/**
 * AD = "COMGOV-v1" ‖ initiator identity ‖ initiator device ‖ responder identity ‖
 * responder device: both sides compute the same bytes from their roles.
 */
export function sessionAssociatedData(state: SessionState): Uint8Array {
  const [first, firstDevice, second, secondDevice] =
    state.role === 'initiator'
      ? [state.localIdentity, state.localDeviceId, state.remoteIdentity, state.remoteDeviceId]
      : [state.remoteIdentity, state.remoteDeviceId, state.localIdentity, state.localDeviceId];
  const out = new Uint8Array(AD_PREFIX.length + 32 + 4 + 32 + 4);
  const view = new DataView(out.buffer);
  out.set(AD_PREFIX, 0);
  out.set(first, AD_PREFIX.length);
  view.setUint32(AD_PREFIX.length + 32, firstDevice);
  out.set(second, AD_PREFIX.length + 36);
  view.setUint32(AD_PREFIX.length + 68, secondDevice);
  return out;
}
const AD_PREFIX = new TextEncoder().encode('COMGOV-v1');

// Associated data depends only on fields that never change in a session. States
// of one session share the same identity arrays (new states are spread copies),
// so the bytes are cached against the remote identity array and re-checked.
interface CachedAd {
  readonly role: SessionRole;
  readonly localIdentity: Ed25519PublicKey;
  readonly localDeviceId: number;
  readonly remoteDeviceId: number;
  readonly bytes: Uint8Array;
}
const adCache = new WeakMap<Ed25519PublicKey, CachedAd>();
function associatedData(state: SessionState): Uint8Array {
  const cached = adCache.get(state.remoteIdentity);
  if (
    cached &&
    cached.role === state.role &&
    cached.localIdentity === state.localIdentity &&
    cached.localDeviceId === state.localDeviceId &&
    cached.remoteDeviceId === state.remoteDeviceId
  ) {
    return cached.bytes;
  }
  const bytes = sessionAssociatedData(state);
  adCache.set(state.remoteIdentity, {
    role: state.role,
    localIdentity: state.localIdentity,
    localDeviceId: state.localDeviceId,
    remoteDeviceId: state.remoteDeviceId,
    bytes,
  });
  return bytes;
}

interface InitCommon {
  readonly localIdentity: Ed25519PublicKey;
  readonly localDeviceId: number;
  readonly remoteIdentity: Ed25519PublicKey;
  readonly remoteDeviceId: number;
  readonly baseKey: X25519PublicKey;
  readonly rootKey: SymmetricKey;
  readonly chainKey: SymmetricKey;
}

/**
 * The initiator (Alice) receives on the responder's ratchet key with the X3DH
 * chain key, and opens her sending chain at once with a fresh ratchet key:
 * (RK, CKs) = KDF_RK(RK, DH(ours, theirs)). This is libsignal's layout.
 */
export function initiatorSession(
  init: InitCommon & {
    readonly theirRatchetKey: X25519PublicKey;
    readonly ourRatchet?: X25519KeyPair;
    readonly pendingPrekey: PendingPrekey | null;
  },
  info: ProtocolInfo,
): SessionState {
  const ourRatchet = init.ourRatchet ?? generateX25519KeyPair();
  const next = rootKdf(
    init.rootKey,
    x25519(ourRatchet.secretKey, init.theirRatchetKey),
    info.ratchetInfo,
  );
  return {
    version: 1,
    role: 'initiator',
    localIdentity: init.localIdentity,
    localDeviceId: init.localDeviceId,
    remoteIdentity: init.remoteIdentity,
    remoteDeviceId: init.remoteDeviceId,
    baseKey: init.baseKey,
    rootKey: next.rootKey,
    ourRatchet,
    sending: { chainKey: next.chainKey, index: 0 },
    previousSendingLength: 0,
    receiving: { ratchetKey: init.theirRatchetKey, chainKey: init.chainKey, index: 0 },
    skipped: [],
    pendingPrekey: init.pendingPrekey,
  };
}

/**
 * The responder (Bob) sends on his signed prekey (his first ratchet key) with the
 * X3DH chain key; his first DH ratchet step happens on Alice's first message.
 */
export function responderSession(
  init: InitCommon & { readonly ourRatchet: X25519KeyPair },
): SessionState {
  return {
    version: 1,
    role: 'responder',
    localIdentity: init.localIdentity,
    localDeviceId: init.localDeviceId,
    remoteIdentity: init.remoteIdentity,
    remoteDeviceId: init.remoteDeviceId,
    baseKey: init.baseKey,
    rootKey: init.rootKey,
    ourRatchet: init.ourRatchet,
    sending: { chainKey: init.chainKey, index: 0 },
    previousSendingLength: 0,
    receiving: null,
    skipped: [],
    pendingPrekey: null,
  };
}

export interface RatchetEncryptResult {
  readonly state: SessionState;
  /** An encoded ratchet message (type 1). */
  readonly message: Uint8Array;
}

export function ratchetEncrypt(
  state: SessionState,
  plaintext: Uint8Array,
  info: ProtocolInfo,
): RatchetEncryptResult {
  const { sending } = state;
  if (sending.index >= 0xffffffff) {
    throw new CryptoError('BAD_ARGUMENT', 'This session has sent 2^32 messages; start a new one.');
  }
  const step = chainStep(sending.chainKey);
  // AD ‖ header in one buffer; the header is then a view of its tail.
  const base = associatedData(state);
  const adAndHeader = new Uint8Array(base.length + RATCHET_HEADER_LENGTH);
  adAndHeader.set(base, 0);
  writeRatchetHeader(adAndHeader, base.length, {
    ratchetKey: state.ourRatchet.publicKey,
    previousChainLength: state.previousSendingLength,
    index: sending.index,
  });
  const ciphertext = sealWithSeed(step.messageKeySeed, plaintext, adAndHeader, info);
  const message = new Uint8Array(RATCHET_HEADER_LENGTH + ciphertext.length);
  message.set(adAndHeader.subarray(base.length), 0);
  message.set(ciphertext, RATCHET_HEADER_LENGTH);
  return {
    state: { ...state, sending: { chainKey: step.nextChainKey, index: sending.index + 1 } },
    message,
  };
}

export interface RatchetDecryptResult {
  readonly state: SessionState;
  readonly plaintext: Uint8Array;
}

/** Decrypts an encoded ratchet message (type 1). Never mutates `state`; throws CryptoError. */
export function ratchetDecrypt(
  state: SessionState,
  messageBytes: Uint8Array,
  info: ProtocolInfo,
): RatchetDecryptResult {
  return ratchetDecryptParsed(state, decodeRatchetMessage(messageBytes), info);
}

export function ratchetDecryptParsed(
  state: SessionState,
  message: RatchetMessage,
  info: ProtocolInfo,
): RatchetDecryptResult {
  const { header } = message;
  const ad = concatBytes(associatedData(state), message.headerBytes);

  // 1. A key skipped earlier for exactly this (ratchet key, index)?
  const skippedAt = findSkipped(state.skipped, header.ratchetKey, header.index);
  if (skippedAt >= 0) {
    const plaintext = openWithSeed(state.skipped[skippedAt]!.seed, message.ciphertext, ad, info);
    const skipped = state.skipped.slice();
    skipped.splice(skippedAt, 1);
    return { state: { ...state, skipped, pendingPrekey: null }, plaintext };
  }

  let next: SessionState = state;
  let skipped: SkippedMessageKey[] | null = null; // copied on first write
  const skip = (chain: ReceivingChain, until: number): ReceivingChain => {
    if (until - chain.index > MAX_SKIP) {
      throw new CryptoError(
        'TOO_MANY_SKIPPED',
        `This message would skip ${until - chain.index} messages (at most ${MAX_SKIP}); it was refused.`,
      );
    }
    let chainKey = chain.chainKey;
    for (let index = chain.index; index < until; index++) {
      const step = chainStep(chainKey);
      skipped ??= state.skipped.slice();
      skipped.push({ ratchetKey: chain.ratchetKey, index, seed: step.messageKeySeed });
      chainKey = step.nextChainKey;
    }
    return { ratchetKey: chain.ratchetKey, chainKey, index: Math.max(until, chain.index) };
  };

  let receiving = state.receiving;
  if (!receiving || !bytesEqual(receiving.ratchetKey, header.ratchetKey)) {
    // 2. A new ratchet key: keep the rest of the current receiving chain as skipped
    //    keys, then take a DH ratchet step (Signal spec, DHRatchet).
    //    (A PN below what we already read can only come from a replay or a forgery:
    //    nothing is skipped, and the AEAD check below refuses the message.)
    if (receiving && header.previousChainLength >= receiving.index) {
      skip(receiving, header.previousChainLength);
    }
    const received = rootKdf(
      state.rootKey,
      x25519(state.ourRatchet.secretKey, header.ratchetKey),
      info.ratchetInfo,
    );
    const ourRatchet = generateX25519KeyPair();
    const sendingRoot = rootKdf(
      received.rootKey,
      x25519(ourRatchet.secretKey, header.ratchetKey),
      info.ratchetInfo,
    );
    next = {
      ...state,
      rootKey: sendingRoot.rootKey,
      ourRatchet,
      previousSendingLength: state.sending.index,
      sending: { chainKey: sendingRoot.chainKey, index: 0 },
    };
    receiving = { ratchetKey: header.ratchetKey, chainKey: received.chainKey, index: 0 };
  } else if (header.index < receiving.index) {
    throw new CryptoError(
      'DUPLICATE_MESSAGE',
      'This message was already received (or its key is gone); it was ignored.',
    );
  }

  // 3. Advance the receiving chain to the message's index.
  receiving = skip(receiving, header.index);
  const step = chainStep(receiving.chainKey);
  const plaintext = openWithSeed(step.messageKeySeed, message.ciphertext, ad, info);

  let finalSkipped: readonly SkippedMessageKey[] = skipped ?? state.skipped;
  if (finalSkipped.length > MAX_STORED_SKIPPED) {
    finalSkipped = finalSkipped.slice(finalSkipped.length - MAX_STORED_SKIPPED);
  }
  return {
    state: {
      ...next,
      receiving: {
        ratchetKey: receiving.ratchetKey,
        chainKey: step.nextChainKey,
        index: header.index + 1,
      },
      skipped: finalSkipped,
      // Anything decrypted from the peer proves it holds the session: stop sending X3DH data.
      pendingPrekey: null,
    },
    plaintext,
  };
}

function findSkipped(
  skipped: readonly SkippedMessageKey[],
  ratchetKey: X25519PublicKey,
  index: number,
): number {
  for (let i = 0; i < skipped.length; i++) {
    const k = skipped[i]!;
    if (k.index === index && bytesEqual(k.ratchetKey, ratchetKey)) return i;
  }
  return -1;
}

function sealWithSeed(
  seed: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
  info: ProtocolInfo,
): Uint8Array {
  const key = messageKeyMaterial(seed, info.messageKeys).subarray(0, 32);
  return aeadEncrypt(key, ZERO_NONCE, plaintext, ad);
}

function openWithSeed(
  seed: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
  info: ProtocolInfo,
): Uint8Array {
  const key = messageKeyMaterial(seed, info.messageKeys).subarray(0, 32);
  return aeadDecrypt(key, ZERO_NONCE, ciphertext, ad);
}
