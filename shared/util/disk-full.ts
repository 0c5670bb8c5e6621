// Whether an error says the disk is full: SQLite's SQLITE_FULL (which it also
// reports when a database reaches its page limit) or a file write's ENOSPC. The
// engine and the relay both treat it apart from other failures: it is nobody's
// fault in the data, and it passes once space is freed.
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}
