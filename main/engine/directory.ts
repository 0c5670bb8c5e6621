// Contacts and their devices, as certified by the relay. Every device
// certificate is checked against the pinned relay key before its identity key is
// used; a contact whose set of keys changes raises a warning that is stored until
// acknowledged (the safety number changes with it).
import { statement } from './store/statements.js';
import { EngineError } from '../../shared/api/errors.js';
import { asEd25519PublicKey } from '../../shared/crypto/index.js';
import { bytesEqual } from '../../shared/util/bytes.js';
import { toBinary } from '@bufbuild/protobuf';
import {
  type DeviceCertificate,
  DeviceCertificateSchema,
  type UserProfile,
  verifyCertificate,
} from '../../shared/wire/index.js';
import type { Account } from './account.js';
import { type RelayHttp, RelayRequestError } from './relay/relay-http.js';
import type { Store } from './store/open-store.js';

export interface DeviceRecord {
  readonly userId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly active: boolean;
}

export interface IdentityChange {
  readonly userId: string;
  readonly deviceId: number;
}

export class Directory {
  /** My own devices were fetched from the relay since this engine started. */
  private ownDevicesFetched = false;
  /** The relay's tag of the directory last recorded whole, and how many people it held. */
  private directoryTag: { readonly etag: string; readonly users: number } | null = null;

  constructor(
    private readonly db: Store,
    private readonly http: RelayHttp,
    private readonly account: Account,
    private readonly onIdentityChange: (change: IdentityChange) => void,
    /**
     * Someone's clearance for classification labels (the ICT cell set it) or their
     * declared absence changed: what the app shows of their conversations changes too.
     */
    private readonly onProfileChange: (userId: string) => void = () => undefined,
  ) {}

  /** Active devices we know for a user (for ourselves: our other devices). */
  activeDevices(userId: string): DeviceRecord[] {
    const rows = statement(
      this.db,
      'SELECT device_id, identity_key FROM contact_devices WHERE user_id = ? AND active = 1 ORDER BY device_id',
    ).all(userId) as { device_id: number; identity_key: Uint8Array }[];
    return rows
      .filter((r) => !(userId === this.account.userId && r.device_id === this.account.deviceId))
      .map((r) => ({
        userId,
        deviceId: r.device_id,
        identityKey: new Uint8Array(r.identity_key),
        active: true,
      }));
  }

  isKnown(userId: string): boolean {
    return statement(this.db, 'SELECT 1 FROM contacts WHERE user_id = ?').get(userId) !== undefined;
  }

  identityKeyOf(userId: string, deviceId: number): Uint8Array | null {
    const key = statement(
      this.db,
      'SELECT identity_key FROM contact_devices WHERE user_id = ? AND device_id = ?',
    )
      .pluck()
      .get(userId, deviceId) as Uint8Array | undefined;
    return key ? new Uint8Array(key) : null;
  }

  /** Fetches one user's profile and devices from the relay and records them. */
  async refreshUser(userId: string): Promise<DeviceRecord[]> {
    let profile: UserProfile;
    try {
      profile = await this.http.user(userId);
    } catch (error) {
      if (
        error instanceof RelayRequestError &&
        (error.code === 'USER_NOT_FOUND' || error.status === 404)
      ) {
        statement(this.db, 'UPDATE contact_devices SET active = 0 WHERE user_id = ?').run(userId);
        throw new EngineError('UNKNOWN_USER', `There is no active user "${userId}" on the relay.`);
      }
      throw error;
    }
    this.record(profile);
    if (userId === this.account.userId) this.ownDevicesFetched = true;
    return this.activeDevices(userId);
  }

  /**
   * Whether my own other devices are known as the relay has them now: fetched once
   * since the start (a device enrolled meanwhile must get the copies of what I send;
   * what enrolment recorded may be older).
   */
  ownDevicesKnown(): boolean {
    return this.ownDevicesFetched;
  }

  /**
   * Fetches the whole directory (contacts by institution) and records it in one commit:
   * a ministry-wide directory has thousands of people, and a commit each cost about
   * 0.3 ms of the engine's thread per person each time the directory was opened.
   */
  async refreshAll(): Promise<number> {
    // Unchanged since the last fetch (the relay says so without sending it again): what
    // was recorded then still holds.
    const fetched = await this.http.directory(this.directoryTag?.etag ?? null);
    if (fetched === null) return this.directoryTag!.users;
    const { directory } = fetched;
    const now = Date.now();
    const told = this.db.transaction(() =>
      directory.users.map((profile) => this.store(profile, now)),
    )();
    for (const tell of told) tell();
    if (directory.users.some((u) => u.userId === this.account.userId)) {
      this.ownDevicesFetched = true;
    }
    this.directoryTag = fetched.etag ? { etag: fetched.etag, users: directory.users.length } : null;
    return directory.users.length;
  }

  /** Records a profile after checking every certificate against the pinned relay key. */
  record(profile: UserProfile, now = Date.now()): void {
    this.db.transaction(() => this.store(profile, now))()();
  }

  /**
   * Checks and writes a profile, inside the caller's transaction; returns what tells
   * the rest of the engine about the changes, to run once they are committed.
   */
  private store(profile: UserProfile, now: number): () => void {
    const relayKey = asEd25519PublicKey(this.account.relayPublicKey);
    const valid: DeviceCertificate[] = [];
    for (const certificate of profile.devices) {
      if (certificate.userId !== profile.userId || !verifyCertificate(relayKey, certificate)) {
        throw new EngineError(
          'RELAY_KEY_MISMATCH',
          `A device certificate of "${profile.userId}" is not signed by the pinned relay key.`,
        );
      }
      valid.push(certificate);
    }
    const changes: IdentityChange[] = [];
    let profileChanged = false;
    const delegate = profile.delegation?.delegateUserId ?? null;
    const delegateUntil = profile.delegation ? Number(profile.delegation.until) : null;
    const known = this.isKnown(profile.userId);
    const before = statement(
      this.db,
      'SELECT clearance, delegate, delegate_until FROM contacts WHERE user_id = ?',
    ).get(profile.userId) as
      { clearance: number; delegate: string | null; delegate_until: number | null } | undefined;
    profileChanged =
      before !== undefined &&
      (before.clearance !== profile.clearance ||
        before.delegate !== delegate ||
        before.delegate_until !== delegateUntil);
    statement(
      this.db,
      `INSERT INTO contacts (user_id, display_name, institution, title, clearance, unit,
           manager, delegate, delegate_until, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name,
           institution = excluded.institution, title = excluded.title,
           clearance = excluded.clearance, unit = excluded.unit, manager = excluded.manager,
           delegate = excluded.delegate, delegate_until = excluded.delegate_until,
           updated_at = excluded.updated_at`,
    ).run(
      profile.userId,
      profile.displayName,
      profile.institution,
      profile.title,
      profile.clearance,
      profile.unit,
      profile.managerId === '' ? null : profile.managerId,
      delegate,
      delegateUntil,
      now,
    );
    const existing = new Map(
      (
        statement(
          this.db,
          'SELECT device_id, identity_key, active FROM contact_devices WHERE user_id = ?',
        ).all(profile.userId) as {
          device_id: number;
          identity_key: Uint8Array;
          active: number;
        }[]
      ).map((r) => [r.device_id, r]),
    );
    const seen = new Set<number>();
    for (const certificate of valid) {
      seen.add(certificate.deviceId);
      const before = existing.get(certificate.deviceId);
      const blob = toBinary(DeviceCertificateSchema, certificate);
      if (!before) {
        statement(
          this.db,
          `INSERT INTO contact_devices (user_id, device_id, identity_key, certificate, active, first_seen)
             VALUES (?, ?, ?, ?, 1, ?)`,
        ).run(profile.userId, certificate.deviceId, certificate.identityKey, blob, now);
        // A new key for someone we already knew: their safety number changes.
        if (known && profile.userId !== this.account.userId) {
          this.recordChange(
            profile.userId,
            certificate.deviceId,
            new Uint8Array(0),
            certificate.identityKey,
            now,
          );
          changes.push({ userId: profile.userId, deviceId: certificate.deviceId });
        }
      } else if (!bytesEqual(new Uint8Array(before.identity_key), certificate.identityKey)) {
        statement(
          this.db,
          `UPDATE contact_devices SET identity_key = ?, certificate = ?, active = 1
             WHERE user_id = ? AND device_id = ?`,
        ).run(certificate.identityKey, blob, profile.userId, certificate.deviceId);
        // The old session belongs to the old key: it must not be used any more.
        statement(this.db, 'DELETE FROM sessions WHERE user_id = ? AND device_id = ?').run(
          profile.userId,
          certificate.deviceId,
        );
        this.recordChange(
          profile.userId,
          certificate.deviceId,
          new Uint8Array(before.identity_key),
          certificate.identityKey,
          now,
        );
        changes.push({ userId: profile.userId, deviceId: certificate.deviceId });
      } else if (before.active === 0) {
        statement(
          this.db,
          'UPDATE contact_devices SET active = 1 WHERE user_id = ? AND device_id = ?',
        ).run(profile.userId, certificate.deviceId);
      }
    }
    for (const deviceId of existing.keys()) {
      if (!seen.has(deviceId)) {
        statement(
          this.db,
          'UPDATE contact_devices SET active = 0 WHERE user_id = ? AND device_id = ?',
        ).run(profile.userId, deviceId);
      }
    }
    return () => {
      for (const change of changes) this.onIdentityChange(change);
      if (profileChanged) this.onProfileChange(profile.userId);
    };
  }

  private recordChange(
    userId: string,
    deviceId: number,
    oldKey: Uint8Array,
    newKey: Uint8Array,
    now: number,
  ): void {
    statement(
      this.db,
      `INSERT INTO identity_changes (user_id, device_id, old_key, new_key, detected_at) VALUES (?, ?, ?, ?, ?)`,
    ).run(userId, deviceId, oldKey, newKey, now);
    statement(this.db, 'UPDATE contacts SET verified = 0 WHERE user_id = ?').run(userId);
  }
}
