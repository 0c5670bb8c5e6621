// Client-side helpers for authenticating to the relay: answering the WebSocket
// challenge and signing HTTP requests. The relay verifies the same bytes
// (shared/wire/signed-bytes.ts). Needs `await ready()` of shared/crypto first.
import { type Ed25519SecretKey, blake2b, randomBytes, sign } from '../crypto/index.js';
import { toHex } from '../util/bytes.js';
import { HTTP_NONCE_BYTES } from './limits.js';
import { challengeSignedBytes, httpRequestSignedBytes } from './signed-bytes.js';

export interface DeviceCredentials {
  readonly userId: string;
  readonly deviceId: number;
  readonly identitySecretKey: Ed25519SecretKey;
  /** The pinned relay public key. */
  readonly relayPublicKey: Uint8Array;
}

/** The signature for an AuthResponse to the challenge `nonce`. */
export function signChallenge(device: DeviceCredentials, nonce: Uint8Array): Uint8Array {
  return sign(
    device.identitySecretKey,
    challengeSignedBytes(device.relayPublicKey, nonce, device.userId, device.deviceId),
  );
}

/** Header names of a signed HTTP request (lower case, as Node delivers them). */
export const HTTP_AUTH_HEADERS = {
  user: 'x-comgov-user',
  device: 'x-comgov-device',
  time: 'x-comgov-time',
  nonce: 'x-comgov-nonce',
  signature: 'x-comgov-signature',
} as const;

/**
 * Headers that authenticate one HTTP request. `path` is the path and query
 * exactly as sent; `body` the protobuf body (omit for GET, HEAD and blob PATCH).
 */
export function signHttpRequest(
  device: DeviceCredentials,
  method: string,
  path: string,
  body: Uint8Array = new Uint8Array(0),
  now = Date.now(),
): Record<string, string> {
  const nonce = randomBytes(HTTP_NONCE_BYTES);
  const signature = sign(
    device.identitySecretKey,
    httpRequestSignedBytes({
      relayPublicKey: device.relayPublicKey,
      method: method.toUpperCase(),
      path,
      userId: device.userId,
      deviceId: device.deviceId,
      timestamp: now,
      nonce,
      bodyHash: blake2b(body, 32),
    }),
  );
  return {
    [HTTP_AUTH_HEADERS.user]: device.userId,
    [HTTP_AUTH_HEADERS.device]: String(device.deviceId),
    [HTTP_AUTH_HEADERS.time]: String(now),
    [HTTP_AUTH_HEADERS.nonce]: toHex(nonce),
    [HTTP_AUTH_HEADERS.signature]: toHex(signature),
  };
}
