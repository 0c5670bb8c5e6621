// The key derivations of X3DH and the Double Ratchet. Info strings are
// parameters (ProtocolInfo) so that the same code reproduces libsignal's
// published vectors with libsignal's own strings; production uses COMGOV's.
import { concatBytes, utf8 } from '../util/bytes.js';
import { hkdf, hkdfExpand } from './hkdf.js';
import { hmacSha256 } from './hmac.js';
import { type SymmetricKey, asSymmetricKey } from './keys.js';

export interface MessageKeyDerivation {
  /** HKDF info string for turning a message-key seed into key material. */
  readonly info: Uint8Array;
  /** Run HKDF-Extract (with a zero salt) first; libsignal does, COMGOV expands the seed directly. */
  readonly extract: boolean;
  /** Bytes of key material to derive. */
  readonly length: number;
}

export interface ProtocolInfo {
  readonly x3dhInfo: Uint8Array;
  readonly ratchetInfo: Uint8Array;
  /** null: the chain's message key is used as the AEAD key as it is. */
  readonly messageKeys: MessageKeyDerivation | null;
  readonly senderKeyMessageKeys: MessageKeyDerivation | null;
}

/**
 * COMGOV's derivations (docs/protocol.md §3). The message key mk = HMAC(CK, 0x01)
 * is the XChaCha20-Poly1305 key itself: it is a uniform 32-byte HMAC output that
 * encrypts exactly one message, so the nonce can be a constant (the Double Ratchet
 * specification, §5.2, allows this). libsignal runs HKDF here only because its
 * cipher (AES-CBC + HMAC-SHA256) needs 80 bytes of key material.
 */
export const COMGOV_PROTOCOL: ProtocolInfo = {
  x3dhInfo: utf8('COMGOV-X3DH-v1'),
  ratchetInfo: utf8('COMGOV-Ratchet-v1'),
  messageKeys: null,
  senderKeyMessageKeys: null,
};

/** libsignal's strings, used only by the tests that reproduce its vectors. */
export const LIBSIGNAL_PROTOCOL: ProtocolInfo = {
  x3dhInfo: utf8('WhisperText'),
  ratchetInfo: utf8('WhisperRatchet'),
  messageKeys: { info: utf8('WhisperMessageKeys'), extract: true, length: 80 },
  senderKeyMessageKeys: { info: utf8('WhisperGroup'), extract: true, length: 48 },
};

const ZERO_SALT = new Uint8Array(32);
const X3DH_PAD = new Uint8Array(32).fill(0xff);
const MESSAGE_KEY_CONSTANT = Uint8Array.of(0x01);
const CHAIN_KEY_CONSTANT = Uint8Array.of(0x02);

export interface RootAndChain {
  readonly rootKey: SymmetricKey;
  readonly chainKey: SymmetricKey;
}

/** X3DH's KDF: HKDF(0xFF×32 ‖ DH1 ‖ … ‖ DHn, salt = 32 zero bytes, info) → RK ‖ CK. */
export function x3dhKdf(dhOutputs: readonly Uint8Array[], info: Uint8Array): RootAndChain {
  const okm = hkdf(concatBytes(X3DH_PAD, ...dhOutputs), ZERO_SALT, info, 64);
  return { rootKey: asSymmetricKey(okm.slice(0, 32)), chainKey: asSymmetricKey(okm.slice(32, 64)) };
}

/** KDF_RK: HKDF(DH output, salt = root key, info) → new RK ‖ new CK. */
export function rootKdf(
  rootKey: SymmetricKey,
  dhOutput: Uint8Array,
  info: Uint8Array,
): RootAndChain {
  const okm = hkdf(dhOutput, rootKey, info, 64);
  return { rootKey: asSymmetricKey(okm.slice(0, 32)), chainKey: asSymmetricKey(okm.slice(32, 64)) };
}

export interface ChainStep {
  /** HMAC(CK, 0x01): the seed of this step's message key. */
  readonly messageKeySeed: Uint8Array;
  /** HMAC(CK, 0x02): the chain key of the next step. */
  readonly nextChainKey: SymmetricKey;
}

/** KDF_CK of the Signal specification. */
export function chainStep(chainKey: SymmetricKey): ChainStep {
  return {
    messageKeySeed: hmacSha256(chainKey, MESSAGE_KEY_CONSTANT),
    nextChainKey: hmacSha256(chainKey, CHAIN_KEY_CONSTANT) as SymmetricKey,
  };
}

/** Key material for one message from its seed (the seed itself when `derivation` is null). */
export function messageKeyMaterial(
  seed: Uint8Array,
  derivation: MessageKeyDerivation | null,
): Uint8Array {
  if (derivation === null) return seed;
  return derivation.extract
    ? hkdf(seed, ZERO_SALT, derivation.info, derivation.length)
    : hkdfExpand(seed, derivation.info, derivation.length);
}
