// This device's account: enrolment with a one-time code from the ICT cell, and
// the keys that go with it (identity, signed prekey, one-time prekeys).
import { statement } from './store/statements.js';
import { EngineError } from '../../shared/api/errors.js';
import {
  type Ed25519KeyPair,
  type OneTimePrekey,
  type SignedPrekey,
  asEd25519PublicKey,
  asEd25519SecretKey,
  asSignature,
  asX25519PublicKey,
  asX25519SecretKey,
  generateEd25519KeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  sign,
} from '../../shared/crypto/index.js';
import {
  type DeviceCredentials,
  type EnrolResponse,
  type UserProfile,
  DeviceCertificateSchema,
  enrolProofSignedBytes,
  normaliseEnrolmentCode,
  verifyCertificate,
} from '../../shared/wire/index.js';
import { toBinary } from '@bufbuild/protobuf';
import type { RelayCa } from './relay/relay-trust.js';
import { RelayHttp, RelayRequestError } from './relay/relay-http.js';
import type { Store } from './store/open-store.js';

/** One-time prekeys uploaded at enrolment, and kept on the relay by topping up. */
export const ONE_TIME_PREKEY_BATCH = 100;
/** Signed prekeys are replaced after a week. */
export const SIGNED_PREKEY_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface Account {
  readonly userId: string;
  readonly deviceId: number;
  readonly relayUrl: string;
  readonly relayPublicKey: Uint8Array;
  readonly identity: Ed25519KeyPair;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
}

export function credentialsOf(account: Account): DeviceCredentials {
  return {
    userId: account.userId,
    deviceId: account.deviceId,
    identitySecretKey: account.identity.secretKey,
    relayPublicKey: account.relayPublicKey,
  };
}

export function loadAccount(db: Store): Account | null {
  const row = statement(db, 'SELECT * FROM account WHERE id = 1').get() as
    | {
        user_id: string;
        device_id: number;
        relay_url: string;
        relay_public_key: Uint8Array;
        identity_public: Uint8Array;
        identity_secret: Uint8Array;
        display_name: string;
        institution: string;
        title: string;
      }
    | undefined;
  if (!row) return null;
  return {
    userId: row.user_id,
    deviceId: row.device_id,
    relayUrl: row.relay_url,
    relayPublicKey: new Uint8Array(row.relay_public_key),
    identity: {
      publicKey: asEd25519PublicKey(new Uint8Array(row.identity_public)),
      secretKey: asEd25519SecretKey(new Uint8Array(row.identity_secret)),
    },
    displayName: row.display_name,
    institution: row.institution,
    title: row.title,
  };
}

export interface EnrolParams {
  readonly relayUrl: string;
  readonly relayPublicKey: Uint8Array;
  readonly code: string;
}

/**
 * Enrols this device; answers the account and the user's directory entry as the relay
 * gave it (for the directory: my clearance and my other devices from the first screen).
 */
export async function enrol(
  db: Store,
  params: EnrolParams,
  relayCa?: RelayCa,
  now = Date.now(),
): Promise<{ readonly account: Account; readonly profile: UserProfile }> {
  if (loadAccount(db)) throw new EngineError('ALREADY_ENROLLED');
  if (params.relayPublicKey.length !== 32) {
    throw new EngineError(
      'BAD_REQUEST',
      'The relay key must be 32 bytes (64 hexadecimal characters).',
    );
  }
  const code = normaliseEnrolmentCode(params.code);
  if (!code)
    throw new EngineError('ENROLMENT_REFUSED', 'This enrolment code is not well formed; check it.');
  const identity = generateEd25519KeyPair();
  const signedPrekey = generateSignedPrekey(identity, 1, now);
  const oneTime = generateOneTimePrekeys(1, ONE_TIME_PREKEY_BATCH);
  const http = new RelayHttp(params.relayUrl, null, relayCa);
  let response: EnrolResponse;
  try {
    response = await http.enrol({
      code,
      identityKey: identity.publicKey,
      signedPrekey: {
        id: signedPrekey.id,
        publicKey: signedPrekey.keyPair.publicKey,
        signature: signedPrekey.signature,
      },
      oneTimePrekeys: oneTime.map((k) => ({ id: k.id, publicKey: k.keyPair.publicKey })),
      proof: sign(
        identity.secretKey,
        enrolProofSignedBytes(params.relayPublicKey, identity.publicKey, code),
      ),
    });
  } catch (error) {
    if (error instanceof RelayRequestError && !error.retryable) {
      throw new EngineError('ENROLMENT_REFUSED', `${error.message} (${error.code})`);
    }
    if (error instanceof RelayRequestError) {
      throw new EngineError(
        error.code === 'RELAY_CERTIFICATE_UNTRUSTED' ? error.code : 'RELAY_UNREACHABLE',
        error.message,
      );
    }
    throw error;
  }
  const certificate = response.certificate;
  const relayKey = asEd25519PublicKey(params.relayPublicKey);
  if (
    !certificate ||
    !response.user ||
    !verifyCertificate(relayKey, certificate) ||
    certificate.deviceId !== response.deviceId ||
    Buffer.compare(Buffer.from(certificate.identityKey), Buffer.from(identity.publicKey)) !== 0
  ) {
    throw new EngineError('RELAY_KEY_MISMATCH');
  }
  const user = response.user;
  db.transaction(() => {
    statement(
      db,
      `INSERT INTO account (id, user_id, device_id, relay_url, relay_public_key, identity_public,
         identity_secret, certificate, display_name, institution, title, enrolled_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      user.userId,
      response.deviceId,
      params.relayUrl,
      params.relayPublicKey,
      identity.publicKey,
      identity.secretKey,
      toBinary(DeviceCertificateSchema, certificate),
      user.displayName,
      user.institution,
      user.title,
      now,
    );
    saveSignedPrekey(db, signedPrekey);
    saveOneTimePrekeys(db, oneTime);
    statement(
      db,
      `INSERT OR REPLACE INTO settings (key, value) VALUES ('next_one_time_prekey_id', ?)`,
    ).run(String(ONE_TIME_PREKEY_BATCH + 1));
  })();
  return { account: loadAccount(db)!, profile: user };
}

export function saveSignedPrekey(db: Store, prekey: SignedPrekey): void {
  statement(
    db,
    `INSERT INTO signed_prekeys (id, public_key, secret_key, signature, created_at) VALUES (?, ?, ?, ?, ?)`,
  ).run(
    prekey.id,
    prekey.keyPair.publicKey,
    prekey.keyPair.secretKey,
    prekey.signature,
    prekey.createdAt,
  );
}

export function saveOneTimePrekeys(db: Store, prekeys: readonly OneTimePrekey[]): void {
  const insert = statement(
    db,
    `INSERT INTO one_time_prekeys (id, public_key, secret_key) VALUES (?, ?, ?)`,
  );
  for (const k of prekeys) insert.run(k.id, k.keyPair.publicKey, k.keyPair.secretKey);
}

export function loadSignedPrekey(db: Store, id: number): SignedPrekey | null {
  const row = statement(db, 'SELECT * FROM signed_prekeys WHERE id = ?').get(id) as
    | {
        id: number;
        public_key: Uint8Array;
        secret_key: Uint8Array;
        signature: Uint8Array;
        created_at: number;
      }
    | undefined;
  if (!row) return null;
  return {
    id: row.id,
    keyPair: {
      publicKey: asX25519PublicKey(new Uint8Array(row.public_key)),
      secretKey: asX25519SecretKey(new Uint8Array(row.secret_key)),
    },
    signature: asSignature(new Uint8Array(row.signature)),
    createdAt: row.created_at,
  };
}

export function loadOneTimePrekey(db: Store, id: number): OneTimePrekey | null {
  const row = statement(db, 'SELECT * FROM one_time_prekeys WHERE id = ?').get(id) as
    { id: number; public_key: Uint8Array; secret_key: Uint8Array } | undefined;
  if (!row) return null;
  return {
    id: row.id,
    keyPair: {
      publicKey: asX25519PublicKey(new Uint8Array(row.public_key)),
      secretKey: asX25519SecretKey(new Uint8Array(row.secret_key)),
    },
  };
}

/** Generates and uploads a new batch of one-time prekeys (when the relay says they run low). */
export async function topUpOneTimePrekeys(
  db: Store,
  http: RelayHttp,
  count = ONE_TIME_PREKEY_BATCH,
): Promise<void> {
  const next = Number(
    statement(db, `SELECT value FROM settings WHERE key = 'next_one_time_prekey_id'`)
      .pluck()
      .get() ?? '1',
  );
  const prekeys = generateOneTimePrekeys(next, count);
  // Stored before the upload: a key the relay hands out must exist here.
  db.transaction(() => {
    saveOneTimePrekeys(db, prekeys);
    statement(
      db,
      `INSERT OR REPLACE INTO settings (key, value) VALUES ('next_one_time_prekey_id', ?)`,
    ).run(String(next + count));
  })();
  await http.uploadPrekeys({
    oneTimePrekeys: prekeys.map((k) => ({ id: k.id, publicKey: k.keyPair.publicKey })),
  });
}

/** Replaces the signed prekey when it is older than a week; the old one stays for late prekey messages. */
export async function rotateSignedPrekeyIfDue(
  db: Store,
  http: RelayHttp,
  account: Account,
  now = Date.now(),
): Promise<boolean> {
  const current = db
    .prepare(
      'SELECT id, created_at FROM signed_prekeys WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1',
    )
    .get() as { id: number; created_at: number } | undefined;
  if (current && now - current.created_at < SIGNED_PREKEY_MAX_AGE_MS) return false;
  const prekey = generateSignedPrekey(account.identity, (current?.id ?? 0) + 1, now);
  db.transaction(() => {
    saveSignedPrekey(db, prekey);
    if (current)
      statement(db, 'UPDATE signed_prekeys SET retired_at = ? WHERE id = ?').run(now, current.id);
    // Signed prekeys retired for more than 30 days cannot be named by any pending message.
    statement(db, 'DELETE FROM signed_prekeys WHERE retired_at IS NOT NULL AND retired_at < ?').run(
      now - 30 * 24 * 3600 * 1000,
    );
  })();
  await http.uploadPrekeys({
    signedPrekey: {
      id: prekey.id,
      publicKey: prekey.keyPair.publicKey,
      signature: prekey.signature,
    },
    oneTimePrekeys: [],
  });
  return true;
}

export { RelayHttp };
