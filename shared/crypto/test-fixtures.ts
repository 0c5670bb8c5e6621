// Helpers for the protocol library's own tests: a device with its prekeys and a
// two-party conversation that routes prekey messages the way the engine will.
import {
  type LocalDevice,
  type OneTimePrekey,
  type PrekeyBundle,
  type SessionState,
  type SignedPrekey,
  acceptSession,
  decryptMessage,
  encryptMessage,
  generateEd25519KeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  isPrekeyMessage,
  parsePrekeyMessage,
  publicSignedPrekey,
} from './index.js';

export interface TestDevice {
  readonly local: LocalDevice;
  readonly signedPrekey: SignedPrekey;
  readonly oneTimePrekeys: Map<number, OneTimePrekey>;
}

export function makeDevice(deviceId = 1, oneTimeCount = 3): TestDevice {
  const identity = generateEd25519KeyPair();
  const signedPrekey = generateSignedPrekey(identity, 7);
  const oneTimePrekeys = new Map(generateOneTimePrekeys(100, oneTimeCount).map((k) => [k.id, k]));
  return { local: { identity, deviceId }, signedPrekey, oneTimePrekeys };
}

/** Hands out a bundle, consuming a one-time prekey as the relay would. */
export function takeBundle(device: TestDevice, withOneTime = true): PrekeyBundle {
  const first = withOneTime ? [...device.oneTimePrekeys.values()][0] : undefined;
  return {
    identityKey: device.local.identity.publicKey,
    deviceId: device.local.deviceId,
    signedPrekey: publicSignedPrekey(device.signedPrekey),
    oneTimePrekey: first ? { id: first.id, publicKey: first.keyPair.publicKey } : null,
  };
}

/**
 * Receives a message on `device` with its current session (or none): a prekey
 * message without a session is accepted (and its one-time prekey deleted);
 * anything else goes to the existing session. Returns the new state.
 */
export function receive(
  device: TestDevice,
  state: SessionState | null,
  message: Uint8Array,
): { state: SessionState; plaintext: Uint8Array } {
  if (state === null) {
    if (!isPrekeyMessage(message)) throw new Error('no session and not a prekey message');
    const prekey = parsePrekeyMessage(message);
    const oneTime =
      prekey.oneTimePrekeyId === null
        ? null
        : (device.oneTimePrekeys.get(prekey.oneTimePrekeyId) ?? null);
    const result = acceptSession(device.local, prekey, device.signedPrekey, oneTime);
    if (result.usedOneTimePrekeyId !== null)
      device.oneTimePrekeys.delete(result.usedOneTimePrekeyId);
    return result;
  }
  return decryptMessage(state, message);
}

export { encryptMessage };
