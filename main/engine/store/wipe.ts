// Erasing a device's data on its ICT cell's order (remote wipe: a computer lost or
// stolen; `comgov-relay revoke --wipe`). Everything in the data folder is encrypted
// with the store key, and the store key exists only in the key files (wrapped by the
// passphrase, and by the operating system in the desktop app). Those are overwritten
// and flushed to the disk first: blocks the file system keeps after a deletion then
// hold nothing that opens the rest. Then everything in the folder is deleted.
import { open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** Key files of a data folder: `store-key.json` (passphrase) and `store-key.os` (desktop app). */
const KEY_FILE = /^store-key\./;

async function overwrite(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    await handle.write(Buffer.alloc(Math.max(size, 1)), 0, Math.max(size, 1), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Overwrites the key files, then deletes everything in `dataDir` (the folder stays). */
export async function wipeDataDir(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of entries.filter((n) => KEY_FILE.test(n))) {
    await overwrite(path.join(dataDir, name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }
  for (const name of entries) {
    await rm(path.join(dataDir, name), { recursive: true, force: true, maxRetries: 5 });
  }
}
