// Saves under way. A save writes the plaintext to a temporary file beside the
// destination (`.<name>.<random>.partial`) and renames it into place at the end. If
// the app stops in between (crash, power cut), that temporary file would stay in the
// person's folder for good: on Windows, where a leading dot does not hide a file, a
// puzzling half-file next to the one they wanted. So each temporary file is recorded
// (committed before it is created) and forgotten once renamed or removed; at the next
// start the ones left are deleted. A record made by another process still running
// (the CLI on the same data folder) is left alone.
import { rm } from 'node:fs/promises';
import type Database from 'better-sqlite3-multiple-ciphers';

export const PENDING_SAVES_MIGRATION_STATEMENTS: readonly string[] = [
  `CREATE TABLE pending_saves (
    path TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  )`,
];

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another account.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class PendingSaves {
  constructor(private readonly db: Database.Database) {}

  /** Records a temporary file about to be created. */
  begin(file: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO pending_saves (path, pid, created_at) VALUES (?, ?, ?)')
      .run(file, process.pid, Date.now());
  }

  /** The temporary file was renamed into place or removed. */
  end(file: string): void {
    if (this.db.open) this.db.prepare('DELETE FROM pending_saves WHERE path = ?').run(file);
  }

  /** Deletes the temporary files of saves that a stopped process left; returns how many. */
  async sweep(running: (pid: number) => boolean = isRunning): Promise<number> {
    const left = (
      this.db.prepare('SELECT path, pid FROM pending_saves').all() as {
        path: string;
        pid: number;
      }[]
    ).filter((row) => !running(row.pid));
    for (const row of left) {
      await rm(row.path, { force: true }).catch(() => undefined);
      this.end(row.path);
    }
    return left.length;
  }
}
