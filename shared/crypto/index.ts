// Public surface of the protocol library. Pure and synchronous after `await ready()`.
export { ready } from './sodium.js';
export { CryptoError, isCryptoError, type CryptoErrorCode } from './errors.js';
export * from './keys.js';
export { randomBytes } from './random.js';
export { hmacSha256 } from './hmac.js';
export { hkdf, hkdfExtract, hkdfExpand } from './hkdf.js';
export { aeadEncrypt, aeadDecrypt, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH } from './aead.js';
export {
  generateEd25519KeyPair,
  ed25519KeyPairFromSeed,
  sign,
  verify,
  verifyOrThrow,
  ed25519PublicToX25519,
  ed25519SecretToX25519,
} from './ed25519.js';
export {
  generateX25519KeyPair,
  x25519KeyPairFromSecret,
  x25519PublicFromSecret,
  x25519,
} from './x25519.js';
export { blake2b, Blake2bHasher, Sha256Hasher, sha256, sha512 } from './hash.js';
export * from './prekeys.js';
export {
  COMGOV_PROTOCOL,
  LIBSIGNAL_PROTOCOL,
  type ProtocolInfo,
  type MessageKeyDerivation,
  x3dhKdf,
  rootKdf,
  chainStep,
  messageKeyMaterial,
} from './kdf.js';
export { x3dhInitiator, x3dhResponder } from './x3dh.js';
export * from './ratchet.js';
export * from './session.js';
export * from './session-codec.js';
export * from './sender-keys.js';
export * from './safety-number.js';
export {
  PROTOCOL_VERSION,
  MessageType,
  MAX_MESSAGE_BYTES,
  peekMessageType,
  type PrekeyMessage,
} from './wire-format.js';
export * from './passphrase.js';
