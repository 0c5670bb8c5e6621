// The exact bytes each signature of the relay protocol covers. Every layout starts
// with its own context string, so a signature made for one purpose can never be
// replayed for another, and none of them can be confused with the protocol
// library's signatures (shared/crypto/prekeys.ts) made by the same identity key.
// Integers are big-endian; strings are UTF-8 preceded by a u16 length.
import { ByteWriter } from '../util/binary.js';
import { utf8 } from '../util/bytes.js';

const CERTIFICATE_CONTEXT = utf8('COMGOV-DeviceCertificate-v1');
const CHALLENGE_CONTEXT = utf8('COMGOV-RelayChallenge-v1');
const HTTP_REQUEST_CONTEXT = utf8('COMGOV-RelayHttpRequest-v1');
const ENROL_PROOF_CONTEXT = utf8('COMGOV-RelayEnrolment-v1');
const WIPE_ORDER_CONTEXT = utf8('COMGOV-WipeOrder-v1');

function text(writer: ByteWriter, value: string): ByteWriter {
  const bytes = utf8(value);
  return writer.u16(bytes.length).bytes(bytes);
}

/** u64 as two u32 halves (JavaScript numbers up to 2^53). */
function u64(writer: ByteWriter, value: number): ByteWriter {
  return writer.u32(Math.floor(value / 0x1_0000_0000)).u32(value >>> 0);
}

/**
 * What the relay key signs in a device certificate:
 * "COMGOV-DeviceCertificate-v1" ‖ str(userId) ‖ u32 deviceId ‖ identityKey[32] ‖ u64 issuedAt (ms).
 */
export function certificateSignedBytes(
  userId: string,
  deviceId: number,
  identityKey: Uint8Array,
  issuedAt: number,
): Uint8Array {
  const w = new ByteWriter(128).bytes(CERTIFICATE_CONTEXT);
  text(w, userId).u32(deviceId).bytes(identityKey);
  return u64(w, issuedAt).finish();
}

/**
 * What a device signs to answer a WebSocket challenge:
 * "COMGOV-RelayChallenge-v1" ‖ relayPublicKey[32] ‖ nonce[32] ‖ str(userId) ‖ u32 deviceId.
 * Binding the relay key stops a challenge being relayed from another relay.
 */
export function challengeSignedBytes(
  relayPublicKey: Uint8Array,
  nonce: Uint8Array,
  userId: string,
  deviceId: number,
): Uint8Array {
  const w = new ByteWriter(128).bytes(CHALLENGE_CONTEXT).bytes(relayPublicKey).bytes(nonce);
  return text(w, userId).u32(deviceId).finish();
}

export interface HttpRequestToSign {
  readonly relayPublicKey: Uint8Array;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path and query string exactly as sent, e.g. "/v1/users/alice/prekey-bundles". */
  readonly path: string;
  readonly userId: string;
  readonly deviceId: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** HTTP_NONCE_BYTES random bytes, never reused. */
  readonly nonce: Uint8Array;
  /** BLAKE2b-256 of the body (of the empty string for bodiless requests and blob PATCH). */
  readonly bodyHash: Uint8Array;
}

/**
 * What a device signs to authenticate an HTTP request:
 * "COMGOV-RelayHttpRequest-v1" ‖ relayPublicKey[32] ‖ str(method) ‖ str(path) ‖ str(userId)
 * ‖ u32 deviceId ‖ u64 timestamp ‖ nonce[16] ‖ bodyHash[32].
 */
export function httpRequestSignedBytes(request: HttpRequestToSign): Uint8Array {
  const w = new ByteWriter(256).bytes(HTTP_REQUEST_CONTEXT).bytes(request.relayPublicKey);
  text(w, request.method);
  text(w, request.path);
  text(w, request.userId).u32(request.deviceId);
  return u64(w, request.timestamp).bytes(request.nonce).bytes(request.bodyHash).finish();
}

/**
 * What a new device signs at enrolment to prove it holds its identity key:
 * "COMGOV-RelayEnrolment-v1" ‖ relayPublicKey[32] ‖ identityKey[32] ‖ str(normalised code).
 */
export function enrolProofSignedBytes(
  relayPublicKey: Uint8Array,
  identityKey: Uint8Array,
  normalisedCode: string,
): Uint8Array {
  const w = new ByteWriter(160).bytes(ENROL_PROOF_CONTEXT).bytes(relayPublicKey).bytes(identityKey);
  return text(w, normalisedCode).finish();
}

/**
 * What the relay key signs in an order to erase a device's data:
 * "COMGOV-WipeOrder-v1" ‖ relayPublicKey[32] ‖ nonce[32] ‖ str(userId) ‖ u32 deviceId
 * ‖ u64 requestedAt. The nonce is the challenge the device has just answered on the
 * same connection, so an order seen once cannot be replayed.
 */
export function wipeOrderSignedBytes(
  relayPublicKey: Uint8Array,
  nonce: Uint8Array,
  userId: string,
  deviceId: number,
  requestedAt: number,
): Uint8Array {
  const w = new ByteWriter(160).bytes(WIPE_ORDER_CONTEXT).bytes(relayPublicKey).bytes(nonce);
  text(w, userId).u32(deviceId);
  return u64(w, requestedAt).finish();
}
