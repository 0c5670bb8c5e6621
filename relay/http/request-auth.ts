// Authentication of HTTP requests: each request carries the device's signature
// over its method, path, time, a fresh nonce and the hash of its body
// (shared/wire/signed-bytes.ts). Requests outside the clock window are refused
// as stale; a nonce seen within the window is refused as a replay.
import type { FastifyRequest } from 'fastify';
import { asEd25519PublicKey, blake2b, verify } from '../../shared/crypto/index.js';
import { fromHex } from '../../shared/util/bytes.js';
import {
  HTTP_AUTH_HEADERS,
  HTTP_AUTH_MAX_SKEW_MS,
  HTTP_NONCE_BYTES,
  httpRequestSignedBytes,
  isValidDeviceId,
  isValidUserId,
} from '../../shared/wire/index.js';
import type { RelayContext } from '../context.js';
import { RelayError } from '../relay-error.js';
import type { DeviceAddress } from '../store/store.js';

/** Nonces seen within the accepted window, with the time each may be forgotten. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 1_000_000) {}

  /** False when the nonce was already used (a replay). */
  remember(nonce: string, forgetAt: number, now: number): boolean {
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.maxEntries) this.prune(now);
    if (this.seen.size >= this.maxEntries) {
      throw new RelayError(
        'RATE_LIMITED',
        'The relay is receiving too many requests; retry shortly.',
      );
    }
    this.seen.set(nonce, forgetAt);
    return true;
  }

  prune(now: number): void {
    for (const [nonce, forgetAt] of this.seen) if (forgetAt <= now) this.seen.delete(nonce);
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

const EMPTY_HASH_CACHE: { value?: Uint8Array } = {};

export async function authenticateRequest(
  ctx: RelayContext,
  nonces: NonceCache,
  request: FastifyRequest,
  body: Uint8Array | undefined,
): Promise<DeviceAddress> {
  const userId = header(request, HTTP_AUTH_HEADERS.user);
  const deviceText = header(request, HTTP_AUTH_HEADERS.device);
  const timeText = header(request, HTTP_AUTH_HEADERS.time);
  const nonceHex = header(request, HTTP_AUTH_HEADERS.nonce);
  const signatureHex = header(request, HTTP_AUTH_HEADERS.signature);
  if (!userId || !deviceText || !timeText || !nonceHex || !signatureHex) {
    throw new RelayError(
      'HTTP_AUTH_MISSING',
      'This request must be signed by an enrolled device (x-comgov-* headers); see docs/relay.md.',
    );
  }
  const deviceId = /^[0-9]{1,10}$/.test(deviceText) ? Number(deviceText) : NaN;
  const timestamp = /^[0-9]{1,16}$/.test(timeText) ? Number(timeText) : NaN;
  if (
    !isValidUserId(userId) ||
    !isValidDeviceId(deviceId) ||
    !Number.isSafeInteger(timestamp) ||
    !/^[0-9a-f]+$/.test(nonceHex) ||
    nonceHex.length !== HTTP_NONCE_BYTES * 2 ||
    !/^[0-9a-f]{128}$/.test(signatureHex)
  ) {
    throw new RelayError('HTTP_AUTH_FAILED', 'The request signature headers are malformed.');
  }
  const now = ctx.now();
  if (Math.abs(now - timestamp) > HTTP_AUTH_MAX_SKEW_MS) {
    throw new RelayError(
      'HTTP_AUTH_STALE',
      "The request's time is too far from the relay's clock; check the computer's clock and send it again.",
    );
  }
  const device = await ctx.directory.activeDevice(userId, deviceId);
  const record = device ?? (await ctx.store.getDevice(userId, deviceId));
  let bodyHash: Uint8Array;
  if (body && body.length > 0) bodyHash = blake2b(body, 32);
  else bodyHash = EMPTY_HASH_CACHE.value ??= blake2b(new Uint8Array(0), 32);
  const signed = httpRequestSignedBytes({
    relayPublicKey: ctx.relayKey.publicKey,
    method: request.method,
    path: request.raw.url ?? request.url,
    userId,
    deviceId,
    timestamp,
    nonce: fromHex(nonceHex),
    bodyHash,
  });
  if (!record || !verify(asEd25519PublicKey(record.identityKey), signed, fromHex(signatureHex))) {
    throw new RelayError(
      'HTTP_AUTH_FAILED',
      'The relay does not know this device or the request signature is wrong.',
    );
  }
  if (!device) {
    throw new RelayError(
      'DEVICE_REVOKED',
      'This device has been revoked by the ICT cell; ask them for a new enrolment code.',
    );
  }
  if (
    !nonces.remember(
      `${userId}/${deviceId}/${nonceHex}`,
      timestamp + 2 * HTTP_AUTH_MAX_SKEW_MS,
      now,
    )
  ) {
    throw new RelayError(
      'HTTP_AUTH_REPLAY',
      'This signed request was already used; sign every request with a fresh nonce.',
    );
  }
  return { userId, deviceId };
}
