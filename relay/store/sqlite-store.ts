// SQLite backend of the relay store (better-sqlite3). WAL journal so that the CLI
// can invite or revoke while the server runs (readers never block the writer and
// a second writer waits on busy_timeout). synchronous=FULL: in WAL mode that
// fsyncs the log at every commit, so a committed transaction survives a power
// cut, not only a process crash; NORMAL would fsync only at checkpoints and could
// lose acknowledged envelopes on power loss. The cost is one fsync per commit,
// which the CommitBatcher (relay/commit-batcher.ts) spreads over many envelopes.
import {
  type Classification,
  classificationLevel,
  classificationOfLevel,
} from '../../shared/api/classification.js';
import Database from 'better-sqlite3';
import { ready } from '../../shared/crypto/index.js';
import { toHex } from '../../shared/util/bytes.js';
import { migrate } from './migrations.js';
import { IDLE_DEVICE_MS } from './store.js';
import {
  ADMIN_LOG_GENESIS,
  type AdminLogEntry,
  type AdminLogFields,
  adminLogHash,
} from './admin-log.js';
import type {
  BlobRecord,
  CommitBatch,
  CommitResult,
  DeviceAddress,
  DeviceRecord,
  EnrolmentInput,
  EnrolmentResult,
  OneTimePrekeyRecord,
  PrekeyBundleRecord,
  PrekeyClaimOptions,
  QueueUsage,
  QueuedEntry,
  HealthFigures,
  RelayStats,
  RelayStore,
  SignedPrekeyRecord,
  StoredEnvelope,
  UserProfileFields,
  UserRecord,
} from './store.js';

interface UserRow {
  user_id: string;
  display_name: string;
  institution: string;
  title: string;
  created_at: number;
  revoked_at: number | null;
  clearance: number;
  unit: string;
  manager: string | null;
  delegate_user: string | null;
  delegate_until: number | null;
}

interface DeviceRow {
  user_id: string;
  device_id: number;
  identity_key: Buffer;
  issued_at: number;
  certificate_signature: Buffer;
  signed_prekey_id: number;
  signed_prekey_public: Buffer;
  signed_prekey_signature: Buffer;
  created_at: number;
  revoked_at: number | null;
  wipe_requested_at: number | null;
  wipe_delivered_at: number | null;
  last_seen_at: number | null;
}

interface BlobRow {
  blob_id: string;
  owner_user: string;
  owner_device: number;
  length: number;
  hash: Buffer | null;
  created_at: number;
  finalised_at: number | null;
  expires_at: number;
  referenced_at: number | null;
}

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function toUser(row: UserRow): UserRecord {
  return {
    userId: row.user_id,
    displayName: row.display_name,
    institution: row.institution,
    title: row.title,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    // A level this version does not know grants nothing (fail closed).
    clearance: classificationOfLevel(row.clearance) ?? 'none',
    unit: row.unit,
    manager: row.manager,
    delegation:
      row.delegate_user !== null && row.delegate_until !== null
        ? { delegate: row.delegate_user, until: row.delegate_until }
        : null,
  };
}

function toDevice(row: DeviceRow): DeviceRecord {
  return {
    userId: row.user_id,
    deviceId: row.device_id,
    identityKey: bytes(row.identity_key),
    issuedAt: row.issued_at,
    certificateSignature: bytes(row.certificate_signature),
    signedPrekey: {
      id: row.signed_prekey_id,
      publicKey: bytes(row.signed_prekey_public),
      signature: bytes(row.signed_prekey_signature),
    },
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    wipeRequestedAt: row.wipe_requested_at,
    wipeDeliveredAt: row.wipe_delivered_at,
    lastSeenAt: row.last_seen_at,
  };
}

function toBlob(row: BlobRow): BlobRecord {
  return {
    blobId: row.blob_id,
    ownerUser: row.owner_user,
    ownerDevice: row.owner_device,
    length: row.length,
    hash: row.hash ? bytes(row.hash) : null,
    createdAt: row.created_at,
    finalisedAt: row.finalised_at,
    expiresAt: row.expires_at,
    referencedAt: row.referenced_at,
  };
}

export interface SqliteStoreOptions {
  /** Use synchronous=NORMAL instead of FULL (tests of unrelated behaviour only). */
  readonly relaxedDurability?: boolean;
}

export class SqliteStore implements RelayStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.relaxedDurability ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    // A larger page cache keeps the queue's hot pages in memory between batches.
    this.db.pragma('cache_size = -65536');
    // After a checkpoint, a log file grown by a burst is cut back to this size.
    this.db.pragma('journal_size_limit = 67108864');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    const db = this.db;
    this.statements = {
      getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE user_id = ?'),
      allUsers: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY user_id'),
      allDevices: db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY user_id, device_id'),
      activeDevices: db.prepare<[string], DeviceRow>(
        'SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY device_id',
      ),
      getDevice: db.prepare<[string, number], DeviceRow>(
        'SELECT * FROM devices WHERE user_id = ? AND device_id = ?',
      ),
      insertMessage: db.prepare<[string, number, number, Uint8Array, number]>(
        'INSERT INTO messages (sender_user, sender_device, created_at, ciphertext, refs) VALUES (?, ?, ?, ?, ?)',
      ),
      insertQueue: db.prepare<[number, string, number, number | bigint, number, number]>(
        'INSERT INTO queue (server_id, user_id, device_id, message_id, size, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      reserveServerIds: db.prepare<[{ upTo: number }]>(
        `INSERT INTO server_id_reservation (id, reserved) VALUES (1, @upTo)
         ON CONFLICT (id) DO UPDATE SET reserved = max(reserved, @upTo)`,
      ),
      deleteQueue: db.prepare<[number, string, number], { message_id: number; size: number }>(
        'DELETE FROM queue WHERE server_id = ? AND user_id = ? AND device_id = ? RETURNING message_id, size',
      ),
      releaseMessage: db.prepare<[number]>(
        'UPDATE messages SET refs = refs - 1 WHERE message_id = ?',
      ),
      dropMessage: db.prepare<[number]>('DELETE FROM messages WHERE message_id = ? AND refs <= 0'),
      dropLastReference: db.prepare<[number]>(
        'DELETE FROM messages WHERE message_id = ? AND refs <= 1',
      ),
      loadQueue: db.prepare<
        [string, number, number, number],
        {
          server_id: number;
          created_at: number;
          sender_user: string;
          sender_device: number;
          ciphertext: Buffer;
        }
      >(
        `SELECT q.server_id, q.created_at, m.sender_user, m.sender_device, m.ciphertext
         FROM queue q JOIN messages m ON m.message_id = q.message_id
         WHERE q.user_id = ? AND q.device_id = ? AND q.server_id > ?
         ORDER BY q.server_id LIMIT ?`,
      ),
      countPrekeys: db.prepare<[string, number], { n: number }>(
        'SELECT count(*) AS n FROM one_time_prekeys WHERE user_id = ? AND device_id = ?',
      ),
      claimPrekey: db.prepare<
        [{ user: string; device: number }],
        { prekey_id: number; public_key: Buffer }
      >(
        `DELETE FROM one_time_prekeys WHERE user_id = @user AND device_id = @device AND prekey_id =
           (SELECT prekey_id FROM one_time_prekeys WHERE user_id = @user AND device_id = @device
            ORDER BY prekey_id LIMIT 1)
         RETURNING prekey_id, public_key`,
      ),
      upsertPrekey: db.prepare<[string, number, number, Uint8Array]>(
        `INSERT INTO one_time_prekeys (user_id, device_id, prekey_id, public_key) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, device_id, prekey_id) DO UPDATE SET public_key = excluded.public_key`,
      ),
      getBlob: db.prepare<[string], BlobRow>('SELECT * FROM blobs WHERE blob_id = ?'),
      adminCounter: db.prepare<[], { counter: number }>(
        'SELECT counter FROM admin_changes WHERE id = 1',
      ),
    };
  }

  externalChangeMarker(): number {
    return this.statements.adminCounter.get()!.counter;
  }

  private bumpAdminCounter(): void {
    this.db.prepare('UPDATE admin_changes SET counter = counter + 1 WHERE id = 1').run();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Appends to the admin log; called inside the transaction of the change it records. */
  private appendAdminLog(fields: AdminLogFields): void {
    const last = this.db
      .prepare<[], { seq: number; hash: Buffer }>(
        'SELECT seq, hash FROM admin_log ORDER BY seq DESC LIMIT 1',
      )
      .get();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last ? bytes(last.hash) : ADMIN_LOG_GENESIS;
    const hash = adminLogHash(prevHash, { ...fields, seq });
    this.db
      .prepare(
        'INSERT INTO admin_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        seq,
        fields.at,
        fields.actor,
        fields.action,
        fields.subject,
        fields.details,
        prevHash,
        hash,
      );
  }

  async adminLog(): Promise<AdminLogEntry[]> {
    return this.db
      .prepare<
        [],
        {
          seq: number;
          at: number;
          actor: string;
          action: AdminLogEntry['action'];
          subject: string;
          details: string;
          prev_hash: Buffer;
          hash: Buffer;
        }
      >('SELECT * FROM admin_log ORDER BY seq')
      .all()
      .map((row) => ({
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        details: row.details,
        prevHash: bytes(row.prev_hash),
        hash: bytes(row.hash),
      }));
  }

  async inviteUser(
    profile: UserProfileFields,
    codeHash: Uint8Array,
    now: number,
    expiresAt: number,
    actor = 'cli',
  ): Promise<void> {
    await ready(); // the admin log's hash
    this.db
      .transaction(() => {
        const existing = this.statements.getUser.get(profile.userId);
        if (existing && existing.revoked_at !== null) {
          throw Object.assign(
            new Error(
              `The user "${profile.userId}" is revoked; choose another user id for a new account.`,
            ),
            { code: 'USER_REVOKED' },
          );
        }
        if (existing) {
          this.db
            .prepare(
              'UPDATE users SET display_name = ?, institution = ?, title = ? WHERE user_id = ?',
            )
            .run(profile.displayName, profile.institution, profile.title, profile.userId);
        } else {
          this.db
            .prepare(
              'INSERT INTO users (user_id, display_name, institution, title, created_at) VALUES (?, ?, ?, ?, ?)',
            )
            .run(profile.userId, profile.displayName, profile.institution, profile.title, now);
        }
        this.db
          .prepare(
            'INSERT INTO enrolment_codes (code_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
          )
          .run(codeHash, profile.userId, now, expiresAt);
        this.appendAdminLog({
          at: now,
          actor,
          action: 'invite',
          subject: profile.userId,
          details: JSON.stringify({
            displayName: profile.displayName,
            institution: profile.institution,
            title: profile.title,
            codeExpiresAt: expiresAt,
          }),
        });
        this.bumpAdminCounter();
      })
      .immediate();
  }

  async listUsers(): Promise<{ user: UserRecord; devices: DeviceRecord[] }[]> {
    const devices = new Map<string, DeviceRecord[]>();
    for (const row of this.statements.allDevices.all()) {
      const list = devices.get(row.user_id) ?? [];
      list.push(toDevice(row));
      devices.set(row.user_id, list);
    }
    return this.statements.allUsers
      .all()
      .map((row) => ({ user: toUser(row), devices: devices.get(row.user_id) ?? [] }));
  }

  async directory(): Promise<{ user: UserRecord; devices: DeviceRecord[] }[]> {
    return (await this.listUsers())
      .filter((entry) => entry.user.revokedAt === null)
      .map((entry) => ({
        user: entry.user,
        devices: entry.devices.filter((d) => d.revokedAt === null),
      }));
  }

  async revoke(
    userId: string,
    deviceId: number | undefined,
    now: number,
    actor = 'cli',
    options: { readonly wipe?: boolean } = {},
  ): Promise<DeviceAddress[]> {
    await ready(); // the admin log's hash
    return this.db
      .transaction(() => {
        const targets = this.db
          .prepare<[string, number | null, number | null], { device_id: number }>(
            `SELECT device_id FROM devices WHERE user_id = ? AND revoked_at IS NULL
             AND (? IS NULL OR device_id = ?)`,
          )
          .all(userId, deviceId ?? null, deviceId ?? null);
        if (deviceId === undefined) {
          this.db
            .prepare('UPDATE users SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
            .run(now, userId);
          this.db
            .prepare('DELETE FROM enrolment_codes WHERE user_id = ? AND used_at IS NULL')
            .run(userId);
        }
        for (const { device_id } of targets) {
          this.db
            .prepare('UPDATE devices SET revoked_at = ? WHERE user_id = ? AND device_id = ?')
            .run(now, userId, device_id);
          this.db
            .prepare('DELETE FROM one_time_prekeys WHERE user_id = ? AND device_id = ?')
            .run(userId, device_id);
          const removed = this.db
            .prepare<[string, number], { message_id: number }>(
              'DELETE FROM queue WHERE user_id = ? AND device_id = ? RETURNING message_id',
            )
            .all(userId, device_id);
          for (const { message_id } of removed) {
            this.statements.releaseMessage.run(message_id);
            this.statements.dropMessage.run(message_id);
          }
        }
        // A wipe order goes to revoked devices too: a laptop reported lost after its
        // revocation still erases its data when it next connects.
        const wiped = options.wipe
          ? this.db
              .prepare<[number, string, number | null, number | null], { device_id: number }>(
                `UPDATE devices SET wipe_requested_at = ?
                 WHERE user_id = ? AND wipe_requested_at IS NULL AND (? IS NULL OR device_id = ?)
                 RETURNING device_id`,
              )
              .all(now, userId, deviceId ?? null, deviceId ?? null)
              .map((row) => row.device_id)
              .sort((a, b) => a - b)
          : [];
        this.appendAdminLog({
          at: now,
          actor,
          action: 'revoke',
          subject: deviceId === undefined ? userId : `${userId}/${deviceId}`,
          details: JSON.stringify({
            devices: targets.map((t) => t.device_id),
            ...(options.wipe ? { wipe: wiped } : {}),
          }),
        });
        this.bumpAdminCounter();
        return targets.map((t) => ({ userId, deviceId: t.device_id }));
      })
      .immediate();
  }

  async setClearance(
    userId: string,
    clearance: Classification,
    now: number,
    actor = 'cli',
  ): Promise<Classification> {
    await ready(); // the admin log's hash
    return this.db
      .transaction(() => {
        const existing = this.statements.getUser.get(userId);
        if (!existing) {
          throw Object.assign(
            new Error(`There is no user "${userId}"; list them with "comgov-relay users".`),
            { code: 'USER_NOT_FOUND' },
          );
        }
        const before = toUser(existing).clearance;
        this.db
          .prepare('UPDATE users SET clearance = ? WHERE user_id = ?')
          .run(classificationLevel(clearance), userId);
        this.appendAdminLog({
          at: now,
          actor,
          action: 'clearance',
          subject: userId,
          details: JSON.stringify({ clearance, before }),
        });
        this.bumpAdminCounter();
        return before;
      })
      .immediate();
  }

  async setOrg(
    userId: string,
    org: { readonly unit?: string; readonly manager?: string | null },
    now: number,
    actor = 'cli',
  ): Promise<void> {
    await ready(); // the admin log's hash
    const notFound = (who: string) =>
      Object.assign(new Error(`There is no user "${who}"; list them with "comgov-relay users".`), {
        code: 'USER_NOT_FOUND',
      });
    this.db
      .transaction(() => {
        const existing = this.statements.getUser.get(userId);
        if (!existing) throw notFound(userId);
        if (org.manager !== undefined && org.manager !== null) {
          if (!this.statements.getUser.get(org.manager)) throw notFound(org.manager);
        }
        const unit = org.unit ?? existing.unit;
        const manager = org.manager === undefined ? existing.manager : org.manager;
        this.db
          .prepare('UPDATE users SET unit = ?, manager = ? WHERE user_id = ?')
          .run(unit, manager, userId);
        this.appendAdminLog({
          at: now,
          actor,
          action: 'org',
          subject: userId,
          details: JSON.stringify({ unit, manager }),
        });
        this.bumpAdminCounter();
      })
      .immediate();
  }

  async setDelegation(
    userId: string,
    delegation: { readonly delegate: string; readonly until: number } | null,
  ): Promise<void> {
    this.db
      .prepare('UPDATE users SET delegate_user = ?, delegate_until = ? WHERE user_id = ?')
      .run(delegation?.delegate ?? null, delegation?.until ?? null, userId);
  }

  async markWipeDelivered(device: DeviceAddress, now: number): Promise<void> {
    await ready(); // the admin log's hash
    this.db
      .transaction(() => {
        const first = this.db
          .prepare(
            `UPDATE devices SET wipe_delivered_at = ?
             WHERE user_id = ? AND device_id = ? AND wipe_requested_at IS NOT NULL
               AND wipe_delivered_at IS NULL`,
          )
          .run(now, device.userId, device.deviceId);
        if (first.changes === 0) return;
        this.appendAdminLog({
          at: now,
          actor: 'relay',
          action: 'wipe-delivered',
          subject: `${device.userId}/${device.deviceId}`,
          details: '{}',
        });
      })
      .immediate();
  }

  async recordLastSeen(
    entries: readonly (DeviceAddress & { readonly at: number })[],
  ): Promise<void> {
    const statement = this.db.prepare<[number, string, number]>(
      `UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, 0), ?)
       WHERE user_id = ? AND device_id = ?`,
    );
    this.db.transaction(() => {
      for (const e of entries) statement.run(e.at, e.userId, e.deviceId);
    })();
  }

  async healthFigures(now: number): Promise<HealthFigures> {
    const one = <T>(sql: string): T => this.db.prepare(sql).get() as T;
    const users = one<{ total: number; revoked: number }>(
      'SELECT count(*) AS total, count(revoked_at) AS revoked FROM users',
    );
    const devices = one<{ total: number; revoked: number; pending: number; delivered: number }>(
      `SELECT count(*) AS total, count(revoked_at) AS revoked,
              count(wipe_requested_at) - count(wipe_delivered_at) AS pending,
              count(wipe_delivered_at) AS delivered
       FROM devices`,
    );
    const blobs = one<{ n: number; bytes: number | null }>(
      'SELECT count(*) AS n, sum(length) AS bytes FROM blobs',
    );
    const idle = this.db
      .prepare<[number], { n: number }>(
        `SELECT count(*) AS n FROM devices
         WHERE revoked_at IS NULL AND coalesce(last_seen_at, created_at) < ?`,
      )
      .get(now - IDLE_DEVICE_MS)!.n;
    const log = one<{ n: number; last: number | null }>(
      'SELECT count(*) AS n, max(at) AS last FROM admin_log',
    );
    return {
      users: users.total,
      revokedUsers: users.revoked,
      devices: devices.total,
      revokedDevices: devices.revoked,
      wipesPending: devices.pending,
      wipesDelivered: devices.delivered,
      idleDevices: idle,
      // queue_by_age: the index answers without reading the queue.
      oldestQueuedAt: one<{ at: number | null }>('SELECT min(created_at) AS at FROM queue').at,
      blobs: blobs.n,
      blobBytes: blobs.bytes ?? 0,
      adminLogEntries: log.n,
      lastAdminChangeAt: log.last,
    };
  }

  async stats(): Promise<RelayStats> {
    const one = <T>(sql: string): T => this.db.prepare(sql).get() as T;
    const users = one<{ total: number; revoked: number }>(
      'SELECT count(*) AS total, count(revoked_at) AS revoked FROM users',
    );
    const devices = one<{ total: number; revoked: number }>(
      'SELECT count(*) AS total, count(revoked_at) AS revoked FROM devices',
    );
    const queue = one<{ n: number; bytes: number | null }>(
      'SELECT count(*) AS n, sum(size) AS bytes FROM queue',
    );
    const blobs = one<{ n: number; bytes: number | null }>(
      'SELECT count(*) AS n, sum(length) AS bytes FROM blobs',
    );
    return {
      users: users.total,
      revokedUsers: users.revoked,
      devices: devices.total,
      revokedDevices: devices.revoked,
      pendingCodes: this.db
        .prepare<[number], { n: number }>(
          'SELECT count(*) AS n FROM enrolment_codes WHERE used_at IS NULL AND expires_at > ?',
        )
        .get(Date.now())!.n,
      queuedEnvelopes: queue.n,
      queuedBytes: queue.bytes ?? 0,
      storedMessages: one<{ n: number }>('SELECT count(*) AS n FROM messages').n,
      oneTimePrekeys: one<{ n: number }>('SELECT count(*) AS n FROM one_time_prekeys').n,
      blobs: blobs.n,
      blobBytes: blobs.bytes ?? 0,
    };
  }

  async enrol(input: EnrolmentInput): Promise<EnrolmentResult> {
    await ready(); // the admin log's hash
    return this.db
      .transaction((): EnrolmentResult => {
        const code = this.db
          .prepare<[Uint8Array], { user_id: string; expires_at: number; used_at: number | null }>(
            'SELECT user_id, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?',
          )
          .get(input.codeHash);
        if (!code) return { ok: false, code: 'ENROLMENT_CODE_UNKNOWN' };
        if (code.used_at !== null) return { ok: false, code: 'ENROLMENT_CODE_USED' };
        if (code.expires_at <= input.now) return { ok: false, code: 'ENROLMENT_CODE_EXPIRED' };
        const userRow = this.statements.getUser.get(code.user_id)!;
        if (userRow.revoked_at !== null) return { ok: false, code: 'USER_REVOKED' };
        const { next_device_id: deviceId } = this.db
          .prepare<[string], { next_device_id: number }>(
            'UPDATE users SET next_device_id = next_device_id + 1 WHERE user_id = ? RETURNING next_device_id - 1 AS next_device_id',
          )
          .get(code.user_id)!;
        const signature = input.certify(code.user_id, deviceId, input.now);
        this.db
          .prepare(
            `INSERT INTO devices (user_id, device_id, identity_key, issued_at, certificate_signature,
               signed_prekey_id, signed_prekey_public, signed_prekey_signature, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            code.user_id,
            deviceId,
            input.identityKey,
            input.now,
            signature,
            input.signedPrekey.id,
            input.signedPrekey.publicKey,
            input.signedPrekey.signature,
            input.now,
          );
        for (const prekey of input.oneTimePrekeys) {
          this.statements.upsertPrekey.run(code.user_id, deviceId, prekey.id, prekey.publicKey);
        }
        this.db
          .prepare('UPDATE enrolment_codes SET used_at = ?, used_by_device = ? WHERE code_hash = ?')
          .run(input.now, deviceId, input.codeHash);
        this.appendAdminLog({
          at: input.now,
          actor: 'enrolment',
          action: 'enrol',
          subject: `${code.user_id}/${deviceId}`,
          // The identity key the relay certified (public), for a later check against the device.
          details: JSON.stringify({ identityKey: toHex(input.identityKey) }),
        });
        return {
          ok: true,
          user: toUser(userRow),
          device: toDevice(this.statements.getDevice.get(code.user_id, deviceId)!),
        };
      })
      .immediate();
  }

  async getUser(userId: string): Promise<UserRecord | undefined> {
    const row = this.statements.getUser.get(userId);
    return row ? toUser(row) : undefined;
  }

  async activeDevices(userId: string): Promise<DeviceRecord[]> {
    return this.statements.activeDevices.all(userId).map(toDevice);
  }

  async getDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    const row = this.statements.getDevice.get(userId, deviceId);
    return row ? toDevice(row) : undefined;
  }

  async claimPrekeyBundles(
    userId: string,
    options: PrekeyClaimOptions = {},
  ): Promise<PrekeyBundleRecord[]> {
    const wanted = (deviceId: number) =>
      (!options.devices || options.devices.has(deviceId)) &&
      !(options.except?.userId === userId && options.except.deviceId === deviceId);
    return this.db
      .transaction(() =>
        this.statements.activeDevices.all(userId).flatMap((row) => {
          if (!wanted(row.device_id)) return [];
          const claimed = this.statements.claimPrekey.get({ user: userId, device: row.device_id });
          return {
            device: toDevice(row),
            oneTimePrekey: claimed
              ? { id: claimed.prekey_id, publicKey: bytes(claimed.public_key) }
              : null,
            remaining: this.statements.countPrekeys.get(userId, row.device_id)!.n,
          };
        }),
      )
      .immediate();
  }

  async uploadPrekeys(
    device: DeviceAddress,
    signedPrekey: SignedPrekeyRecord | undefined,
    oneTimePrekeys: readonly OneTimePrekeyRecord[],
  ): Promise<number> {
    return this.db
      .transaction(() => {
        if (signedPrekey) {
          this.db
            .prepare(
              `UPDATE devices SET signed_prekey_id = ?, signed_prekey_public = ?, signed_prekey_signature = ?
               WHERE user_id = ? AND device_id = ?`,
            )
            .run(
              signedPrekey.id,
              signedPrekey.publicKey,
              signedPrekey.signature,
              device.userId,
              device.deviceId,
            );
        }
        for (const prekey of oneTimePrekeys) {
          this.statements.upsertPrekey.run(
            device.userId,
            device.deviceId,
            prekey.id,
            prekey.publicKey,
          );
        }
        return this.statements.countPrekeys.get(device.userId, device.deviceId)!.n;
      })
      .immediate();
  }

  async countOneTimePrekeys(device: DeviceAddress): Promise<number> {
    return this.statements.countPrekeys.get(device.userId, device.deviceId)!.n;
  }

  async commit(batch: CommitBatch): Promise<CommitResult> {
    const s = this.statements;
    return this.db
      .transaction((): CommitResult => {
        if (batch.reserveServerIdsUpTo !== undefined) {
          s.reserveServerIds.run({ upTo: batch.reserveServerIdsUpTo });
        }
        for (const submission of batch.submissions) {
          for (const envelope of submission.envelopes) {
            const { lastInsertRowid: messageId } = s.insertMessage.run(
              submission.senderUser,
              submission.senderDevice,
              submission.now,
              envelope.ciphertext,
              envelope.recipients.length,
            );
            const size = envelope.ciphertext.length;
            for (const r of envelope.recipients) {
              s.insertQueue.run(r.serverId, r.userId, r.deviceId, messageId, size, submission.now);
            }
          }
        }
        const removed: QueuedEntry[] = [];
        for (const ack of batch.acks) {
          for (const serverId of ack.serverIds) {
            const row = s.deleteQueue.get(serverId, ack.userId, ack.deviceId);
            if (!row) continue;
            // The last reference (always, for a 1:1 envelope) deletes the message at once.
            if (s.dropLastReference.run(row.message_id).changes === 0) {
              s.releaseMessage.run(row.message_id);
            }
            removed.push({ userId: ack.userId, deviceId: ack.deviceId, serverId, size: row.size });
          }
        }
        return { removed };
      })
      .immediate();
  }

  async serverIdFloor(): Promise<number> {
    const row = this.db
      .prepare<[], { reserved: number | null; queued: number | null; counter: number | null }>(
        `SELECT (SELECT reserved FROM server_id_reservation WHERE id = 1) AS reserved,
                (SELECT max(server_id) FROM queue) AS queued,
                (SELECT seq FROM sqlite_sequence WHERE name = 'queue') AS counter`,
      )
      .get()!;
    return Math.max(row.reserved ?? 0, row.queued ?? 0, row.counter ?? 0);
  }

  async reserveServerIds(upTo: number): Promise<void> {
    this.statements.reserveServerIds.run({ upTo });
  }

  async loadQueue(
    device: DeviceAddress,
    afterServerId: number,
    limit: number,
  ): Promise<StoredEnvelope[]> {
    return this.statements.loadQueue
      .all(device.userId, device.deviceId, afterServerId, limit)
      .map((row) => ({
        serverId: row.server_id,
        serverTime: row.created_at,
        senderUser: row.sender_user,
        senderDevice: row.sender_device,
        ciphertext: bytes(row.ciphertext),
      }));
  }

  async queueUsage(): Promise<QueueUsage[]> {
    return this.db
      .prepare<[], { user_id: string; device_id: number; n: number; bytes: number }>(
        'SELECT user_id, device_id, count(*) AS n, sum(size) AS bytes FROM queue GROUP BY user_id, device_id',
      )
      .all()
      .map((r) => ({ userId: r.user_id, deviceId: r.device_id, count: r.n, bytes: r.bytes }));
  }

  async expireQueue(before: number, limit: number): Promise<QueuedEntry[]> {
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare<
            [number, number],
            {
              server_id: number;
              user_id: string;
              device_id: number;
              message_id: number;
              size: number;
            }
          >(
            `DELETE FROM queue WHERE server_id IN
               (SELECT server_id FROM queue WHERE created_at < ? ORDER BY created_at LIMIT ?)
             RETURNING server_id, user_id, device_id, message_id, size`,
          )
          .all(before, limit);
        for (const row of rows) {
          this.statements.releaseMessage.run(row.message_id);
          this.statements.dropMessage.run(row.message_id);
        }
        return rows.map((r) => ({
          userId: r.user_id,
          deviceId: r.device_id,
          serverId: r.server_id,
          size: r.size,
        }));
      })
      .immediate();
  }

  async createBlob(blob: BlobRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO blobs (blob_id, owner_user, owner_device, length, hash, created_at, finalised_at, expires_at, referenced_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        blob.blobId,
        blob.ownerUser,
        blob.ownerDevice,
        blob.length,
        blob.hash,
        blob.createdAt,
        blob.finalisedAt,
        blob.expiresAt,
        blob.referencedAt,
      );
  }

  /**
   * Writes a consistent copy of the database to `file` while the relay keeps running
   * (SQLite's online backup, page by page; writes made meanwhile restart the copy of
   * the pages they touch). `onProgress` gets (pages done, pages in all).
   */
  async backupTo(file: string, onProgress?: (done: number, total: number) => void): Promise<void> {
    await this.db.backup(file, {
      progress: ({ totalPages, remainingPages }) => {
        onProgress?.(totalPages - remainingPages, totalPages);
        return 1024; // pages per step: the relay's event loop runs between steps
      },
    });
  }

  /** Deletes the rows of every blob not in `keep` (a backup without their files). */
  keepOnlyBlobs(keep: ReadonlySet<string>): number {
    const all = this.db.prepare<[], { blob_id: string }>('SELECT blob_id FROM blobs').all();
    const remove = this.db.prepare<[string]>('DELETE FROM blobs WHERE blob_id = ?');
    let removed = 0;
    this.db.transaction(() => {
      for (const { blob_id } of all) {
        if (!keep.has(blob_id)) removed += remove.run(blob_id).changes;
      }
    })();
    return removed;
  }

  /** Ids of the finalised blobs (their files are what a backup must hold). */
  finalisedBlobIds(): string[] {
    return this.db
      .prepare<[], { blob_id: string }>(
        'SELECT blob_id FROM blobs WHERE finalised_at IS NOT NULL ORDER BY blob_id',
      )
      .all()
      .map((row) => row.blob_id);
  }

  async getBlob(blobId: string): Promise<BlobRecord | undefined> {
    const row = this.statements.getBlob.get(blobId);
    return row ? toBlob(row) : undefined;
  }

  async finaliseBlob(blobId: string, hash: Uint8Array, now: number): Promise<void> {
    this.db
      .prepare('UPDATE blobs SET hash = ?, finalised_at = ? WHERE blob_id = ?')
      .run(hash, now, blobId);
  }

  async deleteBlob(blobId: string): Promise<void> {
    this.db.prepare('DELETE FROM blobs WHERE blob_id = ?').run(blobId);
  }

  async blobUsage(userId: string): Promise<number> {
    return (
      this.db
        .prepare<[string], { bytes: number | null }>(
          'SELECT sum(length) AS bytes FROM blobs WHERE owner_user = ?',
        )
        .get(userId)!.bytes ?? 0
    );
  }

  async referenceBlobs(blobIds: readonly string[], now: number, keepUntil: number): Promise<void> {
    const mark = this.db.prepare<[number, number, string, number]>(
      `UPDATE blobs SET referenced_at = coalesce(referenced_at, ?), expires_at = max(expires_at, ?)
       WHERE blob_id = ? AND expires_at > ?`,
    );
    this.db.transaction(() => {
      for (const blobId of blobIds) mark.run(now, keepUntil, blobId, now);
    })();
  }

  async staleBlobs(
    now: number,
    unfinishedBefore: number,
    unreferencedBefore: number,
    limit: number,
  ): Promise<BlobRecord[]> {
    return this.db
      .prepare<[number, number, number, number], BlobRow>(
        `SELECT * FROM blobs
         WHERE (finalised_at IS NULL AND created_at < ?)
            OR (finalised_at < ? AND referenced_at IS NULL)
            OR expires_at <= ?
         LIMIT ?`,
      )
      .all(unfinishedBefore, unreferencedBefore, now, limit)
      .map(toBlob);
  }
}
