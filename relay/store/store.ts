// The relay's storage contract. The embedded backend is SQLite (sqlite-store.ts);
// a PostgreSQL backend for multi-node deployments implements the same interface.
// Every method is one atomic unit: either all of its effects are durable when
// the promise resolves, or none are. Methods are async so that a networked
// backend fits without changing callers.

import type { Classification } from '../../shared/api/classification.js';
import type { AdminLogEntry } from './admin-log.js';

export interface UserProfileFields {
  readonly userId: string;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
}

export interface UserRecord extends UserProfileFields {
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /** The highest classification label they may receive (set with `comgov-relay clearance`). */
  readonly clearance: Classification;
  /** The org chart (`comgov-relay org`): their unit ('' if none) and whom they report to. */
  readonly unit: string;
  readonly manager: string | null;
  /** The absence they declared, with who answers for them meanwhile; null if none. */
  readonly delegation: { readonly delegate: string; readonly until: number } | null;
}

export interface SignedPrekeyRecord {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OneTimePrekeyRecord {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

export interface DeviceRecord {
  readonly userId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly issuedAt: number;
  readonly certificateSignature: Uint8Array;
  readonly signedPrekey: SignedPrekeyRecord;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /** When the ICT cell ordered this device's data erased (revoke --wipe); null if never. */
  readonly wipeRequestedAt: number | null;
  /** When the relay first handed the order to the device, which then erases its data. */
  readonly wipeDeliveredAt: number | null;
  /** When the device was last connected (to the minute); null if never since version 5. */
  readonly lastSeenAt: number | null;
}

export interface EnrolmentInput {
  readonly codeHash: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly signedPrekey: SignedPrekeyRecord;
  readonly oneTimePrekeys: readonly OneTimePrekeyRecord[];
  readonly now: number;
  /** Signs the certificate once the device id is known (inside the same transaction). */
  readonly certify: (userId: string, deviceId: number, issuedAt: number) => Uint8Array;
}

export type EnrolmentResult =
  | { readonly ok: true; readonly user: UserRecord; readonly device: DeviceRecord }
  | {
      readonly ok: false;
      readonly code:
        | 'ENROLMENT_CODE_UNKNOWN'
        | 'ENROLMENT_CODE_USED'
        | 'ENROLMENT_CODE_EXPIRED'
        | 'USER_REVOKED';
    };

export interface PrekeyBundleRecord {
  readonly device: DeviceRecord;
  readonly oneTimePrekey: OneTimePrekeyRecord | null;
  /** One-time prekeys this device has left after the claim. */
  readonly remaining: number;
}

export interface DeviceAddress {
  readonly userId: string;
  readonly deviceId: number;
}

/** A recipient device's copy of an envelope, with the server id the relay gave it. */
export interface RecipientWrite extends DeviceAddress {
  readonly serverId: number;
}

/** One ciphertext for one or more recipient devices (fan-out stores it once). */
export interface EnvelopeWrite {
  readonly ciphertext: Uint8Array;
  readonly recipients: readonly RecipientWrite[];
}

export interface SubmissionWrite {
  readonly senderUser: string;
  readonly senderDevice: number;
  readonly now: number;
  readonly envelopes: readonly EnvelopeWrite[];
}

export interface AckWrite {
  readonly userId: string;
  readonly deviceId: number;
  readonly serverIds: readonly number[];
}

export interface QueuedEntry {
  readonly userId: string;
  readonly deviceId: number;
  readonly serverId: number;
  readonly size: number;
}

export interface CommitBatch {
  readonly submissions: readonly SubmissionWrite[];
  readonly acks: readonly AckWrite[];
  /** Server ids up to this one may be given from now on (see relay/server-ids.ts). */
  readonly reserveServerIdsUpTo?: number;
}

export interface CommitResult {
  /** Queue entries removed by the acks (only those that existed). */
  readonly removed: readonly QueuedEntry[];
}

export interface StoredEnvelope {
  readonly serverId: number;
  readonly serverTime: number;
  readonly senderUser: string;
  readonly senderDevice: number;
  readonly ciphertext: Uint8Array;
}

export interface QueueUsage {
  readonly userId: string;
  readonly deviceId: number;
  readonly count: number;
  readonly bytes: number;
}

export interface BlobRecord {
  readonly blobId: string;
  readonly ownerUser: string;
  readonly ownerDevice: number;
  readonly length: number;
  readonly hash: Uint8Array | null;
  readonly createdAt: number;
  readonly finalisedAt: number | null;
  readonly expiresAt: number;
  /** When a submission first named the blob (Submit.blob_ids); null until then. */
  readonly referencedAt: number | null;
}

export interface RelayStats {
  readonly users: number;
  readonly revokedUsers: number;
  readonly devices: number;
  readonly revokedDevices: number;
  readonly pendingCodes: number;
  readonly queuedEnvelopes: number;
  readonly queuedBytes: number;
  readonly storedMessages: number;
  readonly oneTimePrekeys: number;
  readonly blobs: number;
  readonly blobBytes: number;
}

/** A device not connected for this long counts as idle on the dashboard (30 days). */
export const IDLE_DEVICE_MS = 30 * 24 * 3_600_000;

/** Cheap, content-free figures for the health dashboard (small tables and indexes only). */
export interface HealthFigures {
  readonly users: number;
  readonly revokedUsers: number;
  readonly devices: number;
  readonly revokedDevices: number;
  /** Devices ordered to wipe that have not connected since. */
  readonly wipesPending: number;
  readonly wipesDelivered: number;
  /** Active devices not connected for 30 days (or never since they enrolled, that long ago). */
  readonly idleDevices: number;
  /** When the oldest envelope still queued arrived (ms), or null when none is. */
  readonly oldestQueuedAt: number | null;
  readonly blobs: number;
  readonly blobBytes: number;
  readonly adminLogEntries: number;
  /** When the last administrative change was made (ms), or null. */
  readonly lastAdminChangeAt: number | null;
}

export interface PrekeyClaimOptions {
  /** Only these devices of the user (the ones the claimer has no session with). */
  readonly devices?: ReadonlySet<number>;
  /** The claiming device itself: its own bundle is of no use to it. */
  readonly except?: DeviceAddress;
}

export interface RelayStore {
  // Administration (the CLI, possibly while the server runs).
  /** `actor` is who invites, for the admin log (default `cli`). */
  inviteUser(
    profile: UserProfileFields,
    codeHash: Uint8Array,
    now: number,
    expiresAt: number,
    actor?: string,
  ): Promise<void>;
  listUsers(): Promise<{ user: UserRecord; devices: DeviceRecord[] }[]>;
  /**
   * Revokes a user (all devices) or one device; purges their queues and prekeys. Returns
   * the devices revoked. With `wipe`, also orders those devices (revoked before or now)
   * to erase their data the next time they connect; in the same transaction.
   */
  revoke(
    userId: string,
    deviceId: number | undefined,
    now: number,
    actor?: string,
    options?: { readonly wipe?: boolean },
  ): Promise<DeviceAddress[]>;
  /**
   * Sets a user's clearance for classification labels (admin log entry 'clearance').
   * Returns the clearance before; throws USER_NOT_FOUND for an unknown user.
   */
  setClearance(
    userId: string,
    clearance: Classification,
    now: number,
    actor?: string,
  ): Promise<Classification>;
  /**
   * Sets a user's place in the org chart (admin log entry 'org'); fields left out stay
   * as they are. Throws USER_NOT_FOUND for an unknown user, and for a manager unknown.
   */
  setOrg(
    userId: string,
    org: { readonly unit?: string; readonly manager?: string | null },
    now: number,
    actor?: string,
  ): Promise<void>;
  /** Declares (or with `null` ends) a user's absence and who answers for them until when. */
  setDelegation(
    userId: string,
    delegation: { readonly delegate: string; readonly until: number } | null,
  ): Promise<void>;
  /** Records that a device was handed its wipe order (the first time only; admin log). */
  markWipeDelivered(device: DeviceAddress, now: number): Promise<void>;
  /** The admin log, oldest first (invitations, enrolments, revocations). */
  adminLog(): Promise<AdminLogEntry[]>;
  stats(): Promise<RelayStats>;
  healthFigures(now: number): Promise<HealthFigures>;
  /** Records when devices were last connected (one transaction; a later time wins). */
  recordLastSeen(entries: readonly (DeviceAddress & { readonly at: number })[]): Promise<void>;

  // Enrolment and directory.
  enrol(input: EnrolmentInput): Promise<EnrolmentResult>;
  getUser(userId: string): Promise<UserRecord | undefined>;
  /** Active (not revoked) devices, ordered by device id. */
  activeDevices(userId: string): Promise<DeviceRecord[]>;
  /** Every device of the user, revoked ones included. */
  getDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined>;
  directory(): Promise<{ user: UserRecord; devices: DeviceRecord[] }[]>;
  /**
   * Hands out one one-time prekey per active device of the user (only those in
   * `options.devices` when given, never `options.except`); each is handed out exactly once.
   */
  claimPrekeyBundles(userId: string, options?: PrekeyClaimOptions): Promise<PrekeyBundleRecord[]>;
  /** Stores new one-time prekeys (ids already stored are replaced) and optionally a new signed prekey. */
  uploadPrekeys(
    device: DeviceAddress,
    signedPrekey: SignedPrekeyRecord | undefined,
    oneTimePrekeys: readonly OneTimePrekeyRecord[],
  ): Promise<number>;
  countOneTimePrekeys(device: DeviceAddress): Promise<number>;

  // Messages.
  commit(batch: CommitBatch): Promise<CommitResult>;
  /**
   * The highest server id ever given or reserved: the queue's, and the reservation
   * that `reserveServerIds` and commits recorded. A new run gives ids above it.
   */
  serverIdFloor(): Promise<number>;
  /** Records durably that server ids up to `upTo` may be given. */
  reserveServerIds(upTo: number): Promise<void>;
  /** Up to `limit` envelopes queued for `device` with server id > `afterServerId`, in order. */
  loadQueue(device: DeviceAddress, afterServerId: number, limit: number): Promise<StoredEnvelope[]>;
  queueUsage(): Promise<QueueUsage[]>;
  /** Deletes queue entries created before `before`; returns what was removed. */
  expireQueue(before: number, limit: number): Promise<QueuedEntry[]>;

  // Blobs (metadata; the bytes live in files, see relay/blob-files.ts).
  createBlob(blob: BlobRecord): Promise<void>;
  getBlob(blobId: string): Promise<BlobRecord | undefined>;
  finaliseBlob(blobId: string, hash: Uint8Array, now: number): Promise<void>;
  deleteBlob(blobId: string): Promise<void>;
  /** Declared bytes of every blob of the user (uploading and finalised). */
  blobUsage(userId: string): Promise<number>;
  /**
   * Records that a submission named these blobs (ids unknown or expired here are
   * ignored), and keeps each at least until `keepUntil`: the message may wait that long
   * for a device to come online, and the file must still be there then (a forward of
   * a file uploaded weeks ago).
   */
  referenceBlobs(blobIds: readonly string[], now: number, keepUntil: number): Promise<void>;
  /**
   * Blobs whose upload was abandoned before `unfinishedBefore`, finalised before
   * `unreferencedBefore` and never named by a submission, or whose expiry passed.
   */
  staleBlobs(
    now: number,
    unfinishedBefore: number,
    unreferencedBefore: number,
    limit: number,
  ): Promise<BlobRecord[]>;

  /** Changes after every administrative change (invite, revoke), whoever made it. */
  externalChangeMarker(): number;
  close(): void;
}
