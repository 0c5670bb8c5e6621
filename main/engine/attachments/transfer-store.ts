// Rows of the `attachments` table (schema.ts), typed. Every write is one statement,
// hence one transaction of its own.
import type Database from 'better-sqlite3-multiple-ciphers';

export type TransferDirection = 'upload' | 'download';
export type TransferState =
  'pending' | 'encrypting' | 'uploading' | 'downloading' | 'done' | 'failed';

export interface TransferRecord {
  readonly id: string;
  readonly direction: TransferDirection;
  readonly state: TransferState;
  readonly blobId: string | null;
  /** Upload: the file the person chose. */
  readonly filePath: string | null;
  readonly fileMtimeMs: number | null;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly cipherSize: number;
  /** Ciphertext bytes transferred when last recorded. */
  readonly offset: number;
  readonly key: Uint8Array;
  readonly header: Uint8Array | null;
  readonly hash: Uint8Array | null;
  readonly attempts: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly completedAt: number | null;
}

interface Row {
  id: string;
  direction: TransferDirection;
  state: TransferState;
  blob_id: string | null;
  file_path: string | null;
  file_mtime_ms: number | null;
  name: string;
  mime_type: string;
  size: number;
  chunk_size: number;
  cipher_size: number;
  bytes_done: number;
  key: Uint8Array;
  header: Uint8Array | null;
  hash: Uint8Array | null;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

const COLUMNS: Record<string, string> = {
  state: 'state',
  blobId: 'blob_id',
  offset: 'bytes_done',
  header: 'header',
  hash: 'hash',
  key: 'key',
  attempts: 'attempts',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  completedAt: 'completed_at',
  fileMtimeMs: 'file_mtime_ms',
};

export type TransferChanges = Partial<
  Pick<
    TransferRecord,
    | 'state'
    | 'blobId'
    | 'offset'
    | 'header'
    | 'hash'
    | 'key'
    | 'attempts'
    | 'errorCode'
    | 'errorMessage'
    | 'completedAt'
    | 'fileMtimeMs'
  >
>;

/** better-sqlite3 binds Buffers as BLOBs (not every Uint8Array). */
function sqlValue(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

function toRecord(row: Row): TransferRecord {
  return {
    id: row.id,
    direction: row.direction,
    state: row.state,
    blobId: row.blob_id,
    filePath: row.file_path,
    fileMtimeMs: row.file_mtime_ms,
    name: row.name,
    type: row.mime_type,
    size: row.size,
    chunkSize: row.chunk_size,
    cipherSize: row.cipher_size,
    offset: row.bytes_done,
    key: new Uint8Array(row.key),
    header: row.header ? new Uint8Array(row.header) : null,
    hash: row.hash ? new Uint8Array(row.hash) : null,
    attempts: row.attempts,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}

export class TransferStore {
  private readonly getStatement;
  private readonly byBlobStatement;
  private readonly unfinishedStatement;
  private readonly listStatement;
  private readonly insertStatement;
  private readonly deleteStatement;
  private readonly updateStatements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.getStatement = db.prepare<[string], Row>('SELECT * FROM attachments WHERE id = ?');
    this.byBlobStatement = db.prepare<[string], Row>(
      'SELECT * FROM attachments WHERE blob_id = ? ORDER BY created_at, id',
    );
    this.unfinishedStatement = db.prepare<[], Row>(
      `SELECT * FROM attachments WHERE state NOT IN ('done', 'failed') ORDER BY created_at, id`,
    );
    this.listStatement = db.prepare<[], Row>('SELECT * FROM attachments ORDER BY created_at, id');
    this.insertStatement = db.prepare(
      `INSERT INTO attachments (id, direction, state, blob_id, file_path, file_mtime_ms, name,
         mime_type, size, chunk_size, cipher_size, bytes_done, key, header, hash, created_at, updated_at)
       VALUES (@id, @direction, @state, @blobId, @filePath, @fileMtimeMs, @name, @type, @size,
         @chunkSize, @cipherSize, 0, @key, @header, @hash, @now, @now)`,
    );
    this.deleteStatement = db.prepare('DELETE FROM attachments WHERE id = ?');
  }

  insert(record: {
    id: string;
    direction: TransferDirection;
    state: TransferState;
    blobId: string | null;
    filePath: string | null;
    fileMtimeMs: number | null;
    name: string;
    type: string;
    size: number;
    chunkSize: number;
    cipherSize: number;
    key: Uint8Array;
    header: Uint8Array | null;
    hash: Uint8Array | null;
  }): TransferRecord {
    this.insertStatement.run({
      ...record,
      key: sqlValue(record.key),
      header: sqlValue(record.header),
      hash: sqlValue(record.hash),
      now: this.now(),
    });
    return this.get(record.id)!;
  }

  get(id: string): TransferRecord | undefined {
    const row = this.getStatement.get(id);
    return row ? toRecord(row) : undefined;
  }

  /** Every transfer, either way, of this relay blob. */
  byBlob(blobId: string): TransferRecord[] {
    return this.byBlobStatement.all(blobId).map(toRecord);
  }

  unfinished(): TransferRecord[] {
    return this.unfinishedStatement.all().map(toRecord);
  }

  list(): TransferRecord[] {
    return this.listStatement.all().map(toRecord);
  }

  update(id: string, changes: TransferChanges): TransferRecord {
    const sets: string[] = ['updated_at = @updatedAt'];
    const values: Record<string, unknown> = { id, updatedAt: this.now() };
    for (const [field, value] of Object.entries(changes)) {
      const column = COLUMNS[field];
      if (!column || value === undefined) continue;
      sets.push(`${column} = @${field}`);
      values[field] = sqlValue(value);
    }
    const sql = `UPDATE attachments SET ${sets.join(', ')} WHERE id = @id`;
    let statement = this.updateStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.updateStatements.set(sql, statement);
    }
    statement.run(values);
    return this.get(id)!;
  }

  delete(id: string): void {
    this.deleteStatement.run(id);
  }
}
