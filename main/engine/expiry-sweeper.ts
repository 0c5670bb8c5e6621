// When disappearing messages are erased: at start (what fell due while the app was
// closed), then at the earliest expiry in the store, planned again whenever a
// countdown starts. What is erased, and how, is in disappearing.ts; this file only
// decides when, and removes the files of erased messages from the disk afterwards.
import type { Attachments, Previews } from './attachments/index.js';
import { type Disappearing, EXPIRE_BATCH, type Expired } from './disappearing.js';
import type { Documents } from './documents/documents.js';
import type { Store } from './store/open-store.js';

/** Longest single wait: a clock set forward (or a PC resumed from sleep) is caught up within it. */
const MAX_SLEEP_MS = 60 * 60_000;
/** After a failed sweep (full disk, busy store), the next try. */
const RETRY_AFTER_FAILURE_MS = 60_000;

export interface ExpirySweeperOptions {
  readonly db: Store;
  readonly disappearing: Disappearing;
  readonly attachments: Attachments;
  readonly previews: Previews;
  readonly documents: Documents;
  /** Told after each commit, per conversation, which messages are gone. */
  readonly expired: (conversationId: string, messageIds: readonly string[]) => void;
}

export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private erasing = false;
  private eraseAgain = false;

  constructor(private readonly options: ExpirySweeperOptions) {}

  /** Plans the next sweep at the earliest expiry; call whenever a countdown may have started. */
  schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const next = this.options.disappearing.nextExpiry();
    if (next === null) return;
    this.wakeIn(Math.min(Math.max(0, next - Date.now()), MAX_SLEEP_MS));
  }

  /** Erases what is due now, then plans the next sweep. */
  sweep(): void {
    if (this.stopped) return;
    const { db, disappearing } = this.options;
    let expired: Expired;
    try {
      expired = db.transaction(() => disappearing.expireDue(Date.now()))();
    } catch {
      // A full disk (storeFailure) or a busy store: the messages are erased at the next
      // try. Never thrown from a timer, where it would stop the engine's process.
      this.wakeIn(RETRY_AFTER_FAILURE_MS);
      return;
    }
    for (const [conversationId, ids] of expired.messages) this.options.expired(conversationId, ids);
    void this.eraseFiles();
    // A long backlog goes in steps, letting the app answer in between.
    if (expired.count === EXPIRE_BATCH) this.wakeIn(0);
    else this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private wakeIn(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sweep(), ms);
    // The timer never keeps a process alive by itself (the CLI exits when its work is done).
    this.timer.unref();
  }

  /** Deletes the encrypted files of erased messages (their ids survive a stop in the store). */
  private async eraseFiles(): Promise<void> {
    if (this.erasing) {
      this.eraseAgain = true;
      return;
    }
    this.erasing = true;
    const { attachments, previews, documents, disappearing } = this.options;
    try {
      do {
        this.eraseAgain = false;
        for (const id of disappearing.filesToErase()) {
          if (this.stopped) return;
          await attachments.erase(id);
          previews.forget(id);
          documents.forget(id);
          disappearing.erased(id);
        }
      } while (this.eraseAgain);
    } catch {
      // Left in files_to_erase: tried again at the next sweep or start.
    } finally {
      this.erasing = false;
    }
  }
}
