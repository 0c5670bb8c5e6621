// The session API the engine uses: start a session from a prekey bundle, accept
// one from a prekey message, encrypt and decrypt. It ties X3DH, the Double
// Ratchet and the wire format together; all functions are pure.
import { ed25519PublicToX25519, ed25519SecretToX25519 } from './ed25519.js';
import { CryptoError } from './errors.js';
import { COMGOV_PROTOCOL, type ProtocolInfo } from './kdf.js';
import type { Ed25519KeyPair, Ed25519PublicKey } from './keys.js';
import {
  type OneTimePrekey,
  type PublicOneTimePrekey,
  type PublicSignedPrekey,
  type SignedPrekey,
  verifySignedPrekey,
} from './prekeys.js';
import {
  type SessionState,
  initiatorSession,
  ratchetDecrypt,
  ratchetEncrypt,
  responderSession,
} from './ratchet.js';
import {
  MessageType,
  type PrekeyMessage,
  decodePrekeyMessage,
  encodePrekeyMessage,
  peekMessageType,
} from './wire-format.js';
import { bytesEqual } from '../util/bytes.js';
import { generateX25519KeyPair } from './x25519.js';
import { x3dhInitiator, x3dhResponder } from './x3dh.js';

/** This device: its identity key pair and the relay-assigned device id. */
export interface LocalDevice {
  readonly identity: Ed25519KeyPair;
  readonly deviceId: number;
}

/** What the relay hands out to start a session with a device. */
export interface PrekeyBundle {
  readonly identityKey: Ed25519PublicKey;
  readonly deviceId: number;
  readonly signedPrekey: PublicSignedPrekey;
  readonly oneTimePrekey: PublicOneTimePrekey | null;
}

/**
 * Starts a session with a remote device (X3DH as initiator). Refuses a bundle
 * whose signed prekey is not signed by the bundle's identity key. Messages
 * encrypted with the returned state are prekey messages until the peer answers.
 */
export function initiateSession(
  local: LocalDevice,
  bundle: PrekeyBundle,
  info: ProtocolInfo = COMGOV_PROTOCOL,
): SessionState {
  if (!verifySignedPrekey(bundle.identityKey, bundle.signedPrekey)) {
    throw new CryptoError(
      'BAD_PREKEY_SIGNATURE',
      "The contact's signed prekey does not carry a valid signature of their identity key; no session was started.",
    );
  }
  const base = generateX25519KeyPair();
  const secrets = x3dhInitiator(
    {
      ourIdentity: ed25519SecretToX25519(local.identity.secretKey),
      ourBase: base.secretKey,
      theirIdentity: ed25519PublicToX25519(bundle.identityKey),
      theirSignedPrekey: bundle.signedPrekey.publicKey,
      theirOneTimePrekey: bundle.oneTimePrekey?.publicKey ?? null,
    },
    info,
  );
  return initiatorSession(
    {
      localIdentity: local.identity.publicKey,
      localDeviceId: local.deviceId,
      remoteIdentity: bundle.identityKey,
      remoteDeviceId: bundle.deviceId,
      baseKey: base.publicKey,
      rootKey: secrets.rootKey,
      chainKey: secrets.chainKey,
      theirRatchetKey: bundle.signedPrekey.publicKey,
      pendingPrekey: {
        signedPrekeyId: bundle.signedPrekey.id,
        oneTimePrekeyId: bundle.oneTimePrekey?.id ?? null,
      },
    },
    info,
  );
}

export interface EncryptResult {
  readonly state: SessionState;
  readonly message: Uint8Array;
  /** 'prekey' while the peer has not answered yet (the message carries X3DH data). */
  readonly type: 'prekey' | 'ratchet';
}

export function encryptMessage(
  state: SessionState,
  plaintext: Uint8Array,
  info: ProtocolInfo = COMGOV_PROTOCOL,
): EncryptResult {
  const result = ratchetEncrypt(state, plaintext, info);
  if (!state.pendingPrekey)
    return { state: result.state, message: result.message, type: 'ratchet' };
  const message = encodePrekeyMessage({
    initiatorIdentity: state.localIdentity,
    initiatorDeviceId: state.localDeviceId,
    responderDeviceId: state.remoteDeviceId,
    signedPrekeyId: state.pendingPrekey.signedPrekeyId,
    oneTimePrekeyId: state.pendingPrekey.oneTimePrekeyId,
    baseKey: state.baseKey,
    message: result.message,
  });
  return { state: result.state, message, type: 'prekey' };
}

/** Parses a prekey message so the engine can look up the prekeys it names. */
export function parsePrekeyMessage(bytes: Uint8Array): PrekeyMessage {
  return decodePrekeyMessage(bytes);
}

export function isPrekeyMessage(bytes: Uint8Array): boolean {
  return peekMessageType(bytes) === MessageType.prekey;
}

export interface AcceptResult {
  readonly state: SessionState;
  readonly plaintext: Uint8Array;
  /** The one-time prekey consumed, which the engine must now delete for good. */
  readonly usedOneTimePrekeyId: number | null;
}

/**
 * Accepts a session from a prekey message (X3DH as responder) and decrypts its
 * content. The caller passes the signed and one-time prekeys the message names,
 * and must check `message.initiatorIdentity` against the relay's certificate for
 * the sending device before trusting the plaintext.
 */
export function acceptSession(
  local: LocalDevice,
  message: PrekeyMessage,
  signedPrekey: SignedPrekey,
  oneTimePrekey: OneTimePrekey | null,
  info: ProtocolInfo = COMGOV_PROTOCOL,
): AcceptResult {
  if (signedPrekey.id !== message.signedPrekeyId) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      'The signed prekey given is not the one the message names.',
    );
  }
  if ((oneTimePrekey?.id ?? null) !== message.oneTimePrekeyId) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      'The one-time prekey given is not the one the message names.',
    );
  }
  if (message.responderDeviceId !== local.deviceId) {
    throw new CryptoError('MALFORMED_MESSAGE', 'This prekey message was meant for another device.');
  }
  const secrets = x3dhResponder(
    {
      ourIdentity: ed25519SecretToX25519(local.identity.secretKey),
      ourSignedPrekey: signedPrekey.keyPair.secretKey,
      ourOneTimePrekey: oneTimePrekey?.keyPair.secretKey ?? null,
      theirIdentity: ed25519PublicToX25519(message.initiatorIdentity),
      theirBase: message.baseKey,
    },
    info,
  );
  const fresh = responderSession({
    localIdentity: local.identity.publicKey,
    localDeviceId: local.deviceId,
    remoteIdentity: message.initiatorIdentity,
    remoteDeviceId: message.initiatorDeviceId,
    baseKey: message.baseKey,
    rootKey: secrets.rootKey,
    chainKey: secrets.chainKey,
    ourRatchet: signedPrekey.keyPair,
  });
  const { state, plaintext } = ratchetDecrypt(fresh, message.message, info);
  return { state, plaintext, usedOneTimePrekeyId: message.oneTimePrekeyId };
}

export interface DecryptResult {
  readonly state: SessionState;
  readonly plaintext: Uint8Array;
}

/**
 * Decrypts a message within an existing session: a ratchet message, or a repeated
 * prekey message of this same session (the initiator sends X3DH data until we
 * answer). A prekey message that starts a *different* session throws
 * BAD_ARGUMENT: the engine must call acceptSession for it.
 */
export function decryptMessage(
  state: SessionState,
  bytes: Uint8Array,
  info: ProtocolInfo = COMGOV_PROTOCOL,
): DecryptResult {
  if (peekMessageType(bytes) === MessageType.prekey) {
    const prekey = decodePrekeyMessage(bytes);
    if (
      !bytesEqual(prekey.baseKey, state.baseKey) ||
      !bytesEqual(prekey.initiatorIdentity, state.remoteIdentity)
    ) {
      throw new CryptoError(
        'BAD_ARGUMENT',
        'This prekey message starts a new session: accept it instead.',
      );
    }
    return ratchetDecrypt(state, prekey.message, info);
  }
  return ratchetDecrypt(state, bytes, info);
}
