// `comgov-relay backup`: a copy of a data folder that a restore can start from,
// taken while the relay runs.
//
//   <out>/comgov-relay-backup-<UTC time>/
//     relay.db     consistent online copy (SQLite backup API, safe under WAL)
//     relay.pub    the relay's public key
//     relay.json   the settings, if the data folder has them
//     blobs/       the files of the blobs finalised in that copy of the database
//     relay.key    only with --with-key: the private key is better kept offline, once
//
// The database is copied first and the blob list read from the copy, so every blob
// the restored database knows has its file; uploads in progress and blobs that
// expired in between are removed from the copy. Blobs finalised after the copy are
// not in it; clients upload again.
// The folder is written under a temporary name and renamed when complete, so a
// backup that stopped half-way never looks complete.
import { constants, existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE } from './config.js';
import { BLOB_DIR, DATABASE_FILE, KEY_FILE, PUBLIC_KEY_FILE, openStore } from './data-dir.js';
import { blobPath } from './http/blob-routes.js';
import { SqliteStore } from './store/sqlite-store.js';

export interface BackupOptions {
  readonly withKey?: boolean;
  /** Progress lines for the operator (database pages, then blob files). */
  readonly log?: (line: string) => void;
  readonly now?: Date;
}

export interface BackupResult {
  readonly folder: string;
  readonly blobs: number;
  readonly blobBytes: number;
  /** Blobs deleted (expired) between the database copy and their file copy. */
  readonly blobsGone: number;
}

export async function backupDataDir(
  dataDir: string,
  outDir: string,
  options: BackupOptions = {},
): Promise<BackupResult> {
  const log = options.log ?? (() => undefined);
  const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
  const folder = path.join(path.resolve(outDir), `comgov-relay-backup-${stamp}`);
  if (existsSync(folder)) {
    throw new Error(`${folder} already exists; wait a second or choose another --out folder.`);
  }
  const partial = `${folder}.partial`;
  const store = openStore(dataDir);
  try {
    await rm(partial, { recursive: true, force: true });
    await mkdir(path.join(partial, BLOB_DIR), { recursive: true, mode: 0o700 });
    let lastPercent = -1;
    await store.backupTo(path.join(partial, DATABASE_FILE), (done, total) => {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent >= lastPercent + 10) {
        lastPercent = percent;
        log(`database: ${percent} % of ${total} pages`);
      }
    });
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    store.close();
  }

  const copy = new SqliteStore(path.join(partial, DATABASE_FILE));
  let blobs = 0;
  let blobBytes = 0;
  let blobsGone = 0;
  try {
    const ids = copy.finalisedBlobIds();
    const copied = new Set<string>();
    for (const id of ids) {
      const source = blobPath(path.join(dataDir, BLOB_DIR), id);
      const target = blobPath(path.join(partial, BLOB_DIR), id);
      try {
        // A copy-on-write clone where the file system offers one, else a plain copy.
        await copyFile(source, target, constants.COPYFILE_FICLONE);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          blobsGone++;
          continue;
        }
        throw error;
      }
      blobs++;
      copied.add(id);
      blobBytes += (await stat(target)).size;
      if (blobs % 500 === 0) log(`blobs: ${blobs} of ${ids.length}`);
    }
    // Uploads in progress (their files are not copied) and blobs gone meanwhile are
    // dropped from the copy: after a restore, their owners get BLOB_NOT_FOUND and
    // upload again, instead of appending to a file that is not there.
    copy.keepOnlyBlobs(copied);
    copy.close();
    for (const file of [PUBLIC_KEY_FILE, CONFIG_FILE, ...(options.withKey ? [KEY_FILE] : [])]) {
      if (existsSync(path.join(dataDir, file))) {
        await copyFile(path.join(dataDir, file), path.join(partial, file));
      }
    }
    await rename(partial, folder);
  } catch (error) {
    copy.close();
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  log(
    `blobs: ${blobs} files, ${blobBytes} bytes${blobsGone ? `, ${blobsGone} expired meanwhile` : ''}`,
  );
  return { folder, blobs, blobBytes, blobsGone };
}
