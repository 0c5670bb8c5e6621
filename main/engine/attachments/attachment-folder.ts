// Where encrypted attachments live: `<data>/attachments/<id>.bin` once complete (sent
// or received: the same bytes as the blob on the relay), `<id>.part` while a download
// is under way. Only ciphertext is ever stored here; plaintext goes only where a person
// saves a file.
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AttachmentError } from './errors.js';

const ATTACHMENT_ID = /^[0-9a-f]{32}$/;

export function isAttachmentId(id: string): boolean {
  return ATTACHMENT_ID.test(id);
}

export class AttachmentFolder {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'attachments');
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The complete encrypted file (an upload's copy is written here as it is encrypted). */
  encrypted(id: string): string {
    return path.join(this.dir, `${checkId(id)}.bin`);
  }

  /** A download in progress. */
  partial(id: string): string {
    return path.join(this.dir, `${checkId(id)}.part`);
  }

  async remove(id: string): Promise<void> {
    await rm(this.encrypted(id), { force: true });
    await rm(this.partial(id), { force: true });
  }
}

/** Size of a file, 0 when it does not exist. */
export async function sizeOrZero(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function checkId(id: string): string {
  if (!ATTACHMENT_ID.test(id)) throw new AttachmentError('UNKNOWN_ATTACHMENT');
  return id;
}
