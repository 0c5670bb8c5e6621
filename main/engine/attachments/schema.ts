// The attachments table of the client store: one row per file sent or received,
// holding what is needed to resume its transfer after a cut or a restart, and, once
// done, to decrypt it on demand. The owner of the store applies these statements as
// one numbered migration (main/engine/store/migrations.ts).
//
// The encrypted bytes live outside the database, in `<data>/attachments/<id>.bin`
// (see attachment-files.ts); the row holds the key, so the store's own encryption
// protects it. States:
//   upload:   pending → encrypting → uploading → done | failed
//     pending     the relay blob is not created yet (offline, or retrying)
//     encrypting  the encrypted copy is being written (and uploaded as it grows)
//     uploading   the encrypted copy is complete; the upload goes on
//     done        finalised on the relay: the descriptor can go into messages
//   download: downloading → done | failed
//     done        every byte is here and the hash of the whole ciphertext matched
// `failed` keeps the code and sentence of the permanent error (transient errors are
// retried, with the last one in `error_code` for the UI).
export const ATTACHMENT_MIGRATION_STATEMENTS: string[] = [
  `CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL CHECK (direction IN ('upload', 'download')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'encrypting', 'uploading', 'downloading', 'done', 'failed')),
    blob_id TEXT,
    file_path TEXT,
    file_mtime_ms INTEGER,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    cipher_size INTEGER NOT NULL,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    key BLOB NOT NULL,
    header BLOB,
    hash BLOB,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER
  )`,
  `CREATE INDEX attachments_by_blob ON attachments (blob_id) WHERE blob_id IS NOT NULL`,
  `CREATE INDEX attachments_unfinished ON attachments (state) WHERE state NOT IN ('done', 'failed')`,
];
