import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes a small file so that a crash leaves either the old or the new content,
 * never a half-written file: write a temporary sibling, fsync it, rename it over
 * the target, fsync the folder.
 */
export function writeFileAtomic(target: string, content: string | Uint8Array, mode = 0o600): void {
  const temporary = `${target}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, target);
  try {
    const dir = openSync(path.dirname(target), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Folders cannot be opened for fsync on Windows; the rename is still atomic there.
  }
}
