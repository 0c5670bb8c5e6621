// Enrolment (the code is the credential) and the authenticated directory:
// profiles with certified devices, prekey bundles (each one-time prekey handed
// out once), and a device's own prekey upkeep.
import type { FastifyInstance } from 'fastify';
import {
  asEd25519PublicKey,
  asSignature,
  asX25519PublicKey,
  blake2b,
  verify,
  verifySignedPrekey,
} from '../../shared/crypto/index.js';
import { utf8 } from '../../shared/util/bytes.js';
import { classificationLevel } from '../../shared/api/classification.js';
import {
  DelegationUpdateSchema,
  DirectorySchema,
  EnrolRequestSchema,
  EnrolResponseSchema,
  PrekeyBundlesSchema,
  PrekeyStatusSchema,
  PrekeyUploadSchema,
  type OneTimePrekey,
  type SignedPrekey,
  UserProfileSchema,
  WIRE_LIMITS,
  enrolProofSignedBytes,
  isValidUserId,
  normaliseEnrolmentCode,
  signCertificate,
} from '../../shared/wire/index.js';
import type { RelayContext } from '../context.js';
import { RelayError } from '../relay-error.js';
import type {
  DeviceRecord,
  OneTimePrekeyRecord,
  SignedPrekeyRecord,
  UserRecord,
} from '../store/store.js';
import { decodeBody, rawBody, sendProto, sendProtoUnlessUnchanged } from './protobuf.js';
import type { Authenticate } from './server-types.js';

export function hashEnrolmentCode(normalisedCode: string): Uint8Array {
  return blake2b(utf8(normalisedCode), 32);
}

export function certificateOf(device: DeviceRecord) {
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    identityKey: device.identityKey,
    issuedAt: BigInt(device.issuedAt),
    signature: device.certificateSignature,
  };
}

function profileOf(user: UserRecord, devices: readonly DeviceRecord[], now: number) {
  const away = user.delegation !== null && user.delegation.until > now ? user.delegation : null;
  return {
    userId: user.userId,
    displayName: user.displayName,
    institution: user.institution,
    title: user.title,
    clearance: classificationLevel(user.clearance),
    unit: user.unit,
    managerId: user.manager ?? '',
    ...(away ? { delegation: { delegateUserId: away.delegate, until: BigInt(away.until) } } : {}),
    devices: devices.map(certificateOf),
  };
}

/** Longest absence a user may declare at once. */
const MAX_DELEGATION_MS = 366 * 86_400_000;

function checkSignedPrekey(
  identityKey: Uint8Array,
  prekey: SignedPrekey | undefined,
): SignedPrekeyRecord {
  if (
    !prekey ||
    prekey.publicKey.length !== 32 ||
    prekey.signature.length !== 64 ||
    prekey.id > 0xfffffffe ||
    !verifySignedPrekey(asEd25519PublicKey(identityKey), {
      id: prekey.id,
      publicKey: asX25519PublicKey(prekey.publicKey),
      signature: asSignature(prekey.signature),
    })
  ) {
    throw new RelayError(
      'BAD_SIGNED_PREKEY',
      "The signed prekey is missing or its signature does not verify with the device's identity key.",
    );
  }
  return { id: prekey.id, publicKey: prekey.publicKey, signature: prekey.signature };
}

/** `?devices=1,2`: the devices whose bundles are wanted (all when absent). */
function parseDeviceList(value: unknown): ReadonlySet<number> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,10}(,[0-9]{1,10}){0,99}$/.test(value)) {
    throw new RelayError(
      'BAD_REQUEST',
      'The devices parameter must be a comma-separated list of at most 100 device ids.',
    );
  }
  return new Set(value.split(',').map(Number));
}

function checkOneTimePrekeys(prekeys: readonly OneTimePrekey[]): OneTimePrekeyRecord[] {
  if (prekeys.length > WIRE_LIMITS.maxOneTimePrekeysPerUpload) {
    throw new RelayError(
      'TOO_MANY_PREKEYS',
      `Send at most ${WIRE_LIMITS.maxOneTimePrekeysPerUpload} one-time prekeys at a time.`,
    );
  }
  const ids = new Set<number>();
  for (const p of prekeys) {
    if (p.publicKey.length !== 32 || ids.has(p.id) || p.id > 0xfffffffe) {
      throw new RelayError(
        'BAD_PREKEY',
        `One-time prekey ${p.id} is malformed or repeated; each needs a unique id and a 32-byte key.`,
      );
    }
    ids.add(p.id);
  }
  return prekeys.map((p) => ({ id: p.id, publicKey: p.publicKey }));
}

const ENROLMENT_FAILURES = {
  ENROLMENT_CODE_UNKNOWN:
    'This enrolment code is not known to the relay; check it, or ask the ICT cell for a new one.',
  ENROLMENT_CODE_USED:
    'This enrolment code has already been used; ask the ICT cell for a new code for this device.',
  ENROLMENT_CODE_EXPIRED: 'This enrolment code has expired; ask the ICT cell for a new one.',
  USER_REVOKED: 'This account has been revoked; contact the ICT cell.',
} as const;

export function registerDirectoryRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  app.post('/v1/enrol', async (request, reply) => {
    const body = decodeBody(EnrolRequestSchema, rawBody(request));
    const code = normaliseEnrolmentCode(body.code.slice(0, WIRE_LIMITS.maxEnrolmentCodeChars));
    if (!code)
      throw new RelayError('ENROLMENT_CODE_UNKNOWN', ENROLMENT_FAILURES.ENROLMENT_CODE_UNKNOWN);
    if (body.identityKey.length !== 32) {
      throw new RelayError(
        'BAD_IDENTITY_KEY',
        'The identity key must be an Ed25519 public key (32 bytes).',
      );
    }
    if (
      !verify(
        asEd25519PublicKey(body.identityKey),
        enrolProofSignedBytes(ctx.relayKey.publicKey, body.identityKey, code),
        body.proof,
      )
    ) {
      throw new RelayError(
        'BAD_PROOF',
        'The enrolment proof does not verify: the device must sign it with its identity key for this relay.',
      );
    }
    const signedPrekey = checkSignedPrekey(body.identityKey, body.signedPrekey);
    const oneTimePrekeys = checkOneTimePrekeys(body.oneTimePrekeys);
    const result = await ctx.store.enrol({
      codeHash: hashEnrolmentCode(code),
      identityKey: body.identityKey,
      signedPrekey,
      oneTimePrekeys,
      now: ctx.now(),
      certify: (userId, deviceId, issuedAt) =>
        signCertificate(ctx.relayKey.secretKey, {
          userId,
          deviceId,
          identityKey: body.identityKey,
          issuedAt,
        }),
    });
    if (!result.ok) throw new RelayError(result.code, ENROLMENT_FAILURES[result.code]);
    ctx.directory.invalidate(result.user.userId);
    ctx.log.info(
      { userId: result.user.userId, deviceId: result.device.deviceId },
      'device enrolled',
    );
    const devices = await ctx.store.activeDevices(result.user.userId);
    return sendProto(reply, EnrolResponseSchema, {
      user: profileOf(result.user, devices, ctx.now()),
      deviceId: result.device.deviceId,
      certificate: certificateOf(result.device),
      relayPublicKey: ctx.relayKey.publicKey,
    });
  });

  // Opened each time a person looks at the directory: unchanged, it is not sent again.
  app.get('/v1/directory', async (request, reply) => {
    await authenticate(request);
    const entries = await ctx.store.directory();
    return sendProtoUnlessUnchanged(request, reply, DirectorySchema, {
      users: entries.map((e) => profileOf(e.user, e.devices, ctx.now())),
    });
  });

  app.get<{ Params: { userId: string } }>('/v1/users/:userId', async (request, reply) => {
    await authenticate(request);
    const { userId } = request.params;
    const entry = isValidUserId(userId) ? await ctx.directory.get(userId) : undefined;
    if (!entry?.user || entry.user.revokedAt !== null) {
      throw new RelayError('USER_NOT_FOUND', `There is no active user "${userId}" on this relay.`);
    }
    return sendProto(
      reply,
      UserProfileSchema,
      profileOf(entry.user, [...entry.devices.values()], ctx.now()),
    );
  });

  app.post<{ Params: { userId: string }; Querystring: { devices?: unknown } }>(
    '/v1/users/:userId/prekey-bundles',
    async (request, reply) => {
      const claimer = await authenticate(request);
      const { userId } = request.params;
      const devices = parseDeviceList(request.query.devices);
      const user = isValidUserId(userId) ? await ctx.store.getUser(userId) : undefined;
      if (!user || user.revokedAt !== null) {
        throw new RelayError(
          'USER_NOT_FOUND',
          `There is no active user "${userId}" on this relay.`,
        );
      }
      // Never the claimer's own bundle (of no use to it), and only the devices asked
      // for: a one-time prekey handed out for nothing is one fewer for a real session.
      const bundles = await ctx.store.claimPrekeyBundles(userId, {
        devices,
        except: claimer,
      });
      for (const b of bundles) {
        if (b.remaining < ctx.config.limits.prekeyLowThreshold) {
          ctx.router.connectionOf(b.device)?.notifyPrekeysLow(b.remaining);
        }
      }
      return sendProto(reply, PrekeyBundlesSchema, {
        userId,
        bundles: bundles.map((b) => ({
          certificate: certificateOf(b.device),
          signedPrekey: b.device.signedPrekey,
          ...(b.oneTimePrekey ? { oneTimePrekey: b.oneTimePrekey } : {}),
        })),
      });
    },
  );

  // « Absence et intérim »: a user declares who answers for them until when, or ends it.
  app.put('/v1/users/self/delegation', async (request, reply) => {
    const body = rawBody(request);
    const device = await authenticate(request, body);
    const update = decodeBody(DelegationUpdateSchema, body);
    if (update.delegateUserId === '') {
      await ctx.store.setDelegation(device.userId, null);
    } else {
      const until = Number(update.until);
      const now = ctx.now();
      if (!Number.isSafeInteger(until) || until <= now || until > now + MAX_DELEGATION_MS) {
        throw new RelayError(
          'BAD_REQUEST',
          'An absence ends in the future, at most 366 days from now; choose another date.',
        );
      }
      if (update.delegateUserId === device.userId) {
        throw new RelayError('BAD_REQUEST', 'Choose a colleague other than yourself.');
      }
      const delegate = isValidUserId(update.delegateUserId)
        ? await ctx.store.getUser(update.delegateUserId)
        : undefined;
      if (!delegate || delegate.revokedAt !== null) {
        throw new RelayError(
          'USER_NOT_FOUND',
          `There is no active user "${update.delegateUserId}" to answer for you.`,
        );
      }
      await ctx.store.setDelegation(device.userId, { delegate: delegate.userId, until });
    }
    ctx.directory.invalidate(device.userId);
    const user = (await ctx.store.getUser(device.userId))!;
    return sendProto(
      reply,
      UserProfileSchema,
      profileOf(user, await ctx.store.activeDevices(device.userId), ctx.now()),
    );
  });

  app.get('/v1/devices/self/prekeys', async (request, reply) => {
    const device = await authenticate(request);
    const record = (await ctx.store.getDevice(device.userId, device.deviceId))!;
    return sendProto(reply, PrekeyStatusSchema, {
      oneTimeRemaining: await ctx.store.countOneTimePrekeys(device),
      signedPrekeyId: record.signedPrekey.id,
    });
  });

  app.put('/v1/devices/self/prekeys', async (request, reply) => {
    const body = rawBody(request);
    const device = await authenticate(request, body);
    const upload = decodeBody(PrekeyUploadSchema, body);
    const record = (await ctx.store.getDevice(device.userId, device.deviceId))!;
    const signedPrekey = upload.signedPrekey
      ? checkSignedPrekey(record.identityKey, upload.signedPrekey)
      : undefined;
    const oneTimePrekeys = checkOneTimePrekeys(upload.oneTimePrekeys);
    const current = await ctx.store.countOneTimePrekeys(device);
    if (current + oneTimePrekeys.length > WIRE_LIMITS.maxOneTimePrekeysStored) {
      throw new RelayError(
        'TOO_MANY_PREKEYS',
        `The relay keeps at most ${WIRE_LIMITS.maxOneTimePrekeysStored} one-time prekeys per device; ${current} are stored.`,
      );
    }
    const remaining = await ctx.store.uploadPrekeys(device, signedPrekey, oneTimePrekeys);
    if (signedPrekey) ctx.directory.invalidate(device.userId);
    return sendProto(reply, PrekeyStatusSchema, {
      oneTimeRemaining: remaining,
      signedPrekeyId: (signedPrekey ?? record.signedPrekey).id,
    });
  });
}
