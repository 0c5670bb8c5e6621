// Numbered schema migrations of the SQLite store. `PRAGMA user_version` holds the
// number of migrations applied; each runs in its own transaction. Never edit a
// migration that has shipped: add the next one.
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: initial schema.
  `
  CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,
    display_name   TEXT NOT NULL,
    institution    TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    next_device_id INTEGER NOT NULL DEFAULT 1
  ) STRICT;

  CREATE TABLE enrolment_codes (
    code_hash      BLOB PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(user_id),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    used_by_device INTEGER
  ) STRICT;

  CREATE TABLE devices (
    user_id                 TEXT NOT NULL REFERENCES users(user_id),
    device_id               INTEGER NOT NULL,
    identity_key            BLOB NOT NULL,
    issued_at               INTEGER NOT NULL,
    certificate_signature   BLOB NOT NULL,
    signed_prekey_id        INTEGER NOT NULL,
    signed_prekey_public    BLOB NOT NULL,
    signed_prekey_signature BLOB NOT NULL,
    created_at              INTEGER NOT NULL,
    revoked_at              INTEGER,
    PRIMARY KEY (user_id, device_id)
  ) STRICT;

  CREATE TABLE one_time_prekeys (
    user_id    TEXT NOT NULL,
    device_id  INTEGER NOT NULL,
    prekey_id  INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    PRIMARY KEY (user_id, device_id, prekey_id)
  ) STRICT, WITHOUT ROWID;

  -- One row per stored ciphertext; a fan-out submission stores one row that
  -- several queue entries reference (refs counts them).
  CREATE TABLE messages (
    message_id    INTEGER PRIMARY KEY,
    sender_user   TEXT NOT NULL,
    sender_device INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    ciphertext    BLOB NOT NULL,
    refs          INTEGER NOT NULL
  ) STRICT;

  -- AUTOINCREMENT: a server id is never reused, so a late or repeated ack can
  -- never delete a newer envelope. message_id is not declared as a foreign key:
  -- enforcing it would scan the queue on every message deletion; messages.refs
  -- keeps the link instead, in the same transactions.
  CREATE TABLE queue (
    server_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    device_id  INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX queue_by_device ON queue(user_id, device_id, server_id);
  CREATE INDEX queue_by_age ON queue(created_at);

  CREATE TABLE blobs (
    blob_id      TEXT PRIMARY KEY,
    owner_user   TEXT NOT NULL,
    owner_device INTEGER NOT NULL,
    length       INTEGER NOT NULL,
    hash         BLOB,
    created_at   INTEGER NOT NULL,
    finalised_at INTEGER,
    expires_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX blobs_by_owner ON blobs(owner_user);

  -- Bumped by every administrative change (invite, revoke), so that a running
  -- relay can tell them from its own writes.
  CREATE TABLE admin_changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
  ) STRICT;
  INSERT INTO admin_changes (id, counter) VALUES (1, 0);
  `,
  // 2: when a submission first named a blob (Submit.blob_ids); a finalised blob no
  // submission names is deleted after limits.blobUnreferencedTtlMs. Blobs finalised
  // before this version count as named, so that none in use is lost to the upgrade.
  `
  ALTER TABLE blobs ADD COLUMN referenced_at INTEGER;
  UPDATE blobs SET referenced_at = finalised_at WHERE finalised_at IS NOT NULL;
  `,
  // 3: the tamper-evident log of administrative changes (store/admin-log.ts).
  `
  CREATE TABLE admin_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
  ) STRICT;
  `,
  // 4: remote wipe: when the ICT cell ordered a device's data erased, and when the
  // relay first handed that order to the device (comgov-relay revoke --wipe).
  `
  ALTER TABLE devices ADD COLUMN wipe_requested_at INTEGER;
  ALTER TABLE devices ADD COLUMN wipe_delivered_at INTEGER;
  `,
  // 5: when each device was last connected (written a minute at a time: last-seen.ts).
  `
  ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
  `,
  // 6: each user's clearance for classification labels (shared/api/classification.ts),
  // as a level: 1, « Diffusion restreinte », until the ICT cell sets another.
  `
  ALTER TABLE users ADD COLUMN clearance INTEGER NOT NULL DEFAULT 1;
  `,
  // 7: the org chart (unit, manager: set by the ICT cell) and the absence a user
  // declares with the colleague who answers for them meanwhile (« intérim »).
  `
  ALTER TABLE users ADD COLUMN unit TEXT NOT NULL DEFAULT '';
  ALTER TABLE users ADD COLUMN manager TEXT;
  ALTER TABLE users ADD COLUMN delegate_user TEXT;
  ALTER TABLE users ADD COLUMN delegate_until INTEGER;
  `,
  // 8: server ids are given when a submission arrives, before its commit, from a block
  // reserved here first (relay/server-ids.ts); the queue keeps its AUTOINCREMENT
  // counter only for rows written before this version.
  `
  CREATE TABLE server_id_reservation (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    reserved INTEGER NOT NULL
  ) STRICT;
  `,
];

/** Brings the database to the latest schema; refuses a database newer than this code. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The relay database has schema version ${current}, newer than this relay (${MIGRATIONS.length}). Install the newer relay version.`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
