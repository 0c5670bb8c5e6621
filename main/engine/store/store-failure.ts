// Failures of the store itself (a full disk, a disk error), told apart from failures
// caused by what was being stored. A message must never be marked unreadable because
// the disk was full when it arrived: such a failure aborts the whole batch, nothing is
// acknowledged, and the relay keeps the envelopes until the store can take them.

import { isDiskFull } from '../../../shared/util/disk-full.js';

export type StoreFailure = 'DISK_FULL' | 'STORE_WRITE_FAILED';

/** SQLite result codes (extended codes keep the primary one as a prefix) of a store failure. */
const WRITE_FAILURES = [
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_NOMEM',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
];

export function storeFailure(error: unknown): StoreFailure | undefined {
  if (isDiskFull(error)) return 'DISK_FULL';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (WRITE_FAILURES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) {
    return 'STORE_WRITE_FAILED';
  }
  return undefined;
}
