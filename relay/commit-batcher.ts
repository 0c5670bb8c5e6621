// Group commit. Submissions and acks that arrive while the previous transaction
// is being written (or within the same event-loop turn) are committed together:
// one transaction, one fsync, then every submitter is answered. Nothing is
// acknowledged to a client before its transaction has committed.
//
// Contract: `submit` resolves with the stored ids only after the commit; it
// rejects (and nothing of that submission is stored) if the transaction fails.
// Acks are best effort until committed: if the relay dies first, the envelope is
// pushed again and the client drops the duplicate by server id.
import type {
  AckWrite,
  CommitBatch,
  QueuedEntry,
  RelayStore,
  SubmissionResult,
  SubmissionWrite,
} from './store/store.js';

interface PendingSubmission {
  readonly seq: number;
  readonly write: SubmissionWrite;
  readonly resolve: (result: SubmissionResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface CommitBatcherHooks {
  /** Called after each commit with the queue entries the acks removed. */
  onAcksCommitted(removed: readonly QueuedEntry[]): void;
  onBatch?(operations: number, seconds: number): void;
  onError?(error: unknown): void;
}

export class CommitBatcher {
  private submissions: PendingSubmission[] = [];
  private acks: (AckWrite & { seq: number })[] = [];
  /** Sequence number of the last operation queued, and of the last one committed (or failed). */
  private lastQueued = 0;
  private lastDone = 0;
  private barriers: { seq: number; resolve: () => void }[] = [];
  private scheduled = false;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: RelayStore,
    private readonly hooks: CommitBatcherHooks,
    /** Most operations per transaction, so one huge burst does not stall the loop. */
    private readonly maxOperations = 2000,
  ) {}

  submit(write: SubmissionWrite): Promise<SubmissionResult> {
    return new Promise((resolve, reject) => {
      this.submissions.push({ seq: ++this.lastQueued, write, resolve, reject });
      this.schedule();
    });
  }

  ack(ack: AckWrite): void {
    this.acks.push({ ...ack, seq: ++this.lastQueued });
    this.schedule();
  }

  /**
   * Resolves once every operation queued before this call has been committed (or
   * has failed). A reconnecting device waits for it before reading its queue, so
   * that envelopes it acknowledged just before are not pushed again.
   */
  barrier(): Promise<void> {
    if (this.lastDone >= this.lastQueued) return Promise.resolve();
    return new Promise((resolve) => this.barriers.push({ seq: this.lastQueued, resolve }));
  }

  private done(seq: number): void {
    this.lastDone = Math.max(this.lastDone, seq);
    const ready = this.barriers.filter((b) => b.seq <= this.lastDone);
    if (ready.length === 0) return;
    this.barriers = this.barriers.filter((b) => b.seq > this.lastDone);
    for (const b of ready) b.resolve();
  }

  /** Resolves when everything queued so far is committed (used at shutdown). */
  flush(): Promise<void> {
    if (!this.running && !this.scheduled && this.pendingCount() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pendingCount(): number {
    return this.submissions.length + this.acks.length;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase: every frame read in this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.pendingCount() > 0) {
        const submissions = this.submissions.splice(0, this.maxOperations);
        const acks = this.acks.splice(0, Math.max(0, this.maxOperations - submissions.length));
        const batch: CommitBatch = {
          submissions: submissions.map((s) => s.write),
          acks: acks.map(({ userId, deviceId, serverIds }) => ({ userId, deviceId, serverIds })),
        };
        const lastSeq = Math.max(submissions.at(-1)?.seq ?? 0, acks.at(-1)?.seq ?? 0);
        try {
          const started = performance.now();
          const result = await this.store.commit(batch);
          this.hooks.onBatch?.(
            submissions.length + acks.length,
            (performance.now() - started) / 1000,
          );
          submissions.forEach((s, i) => s.resolve(result.submissions[i]!));
          if (result.removed.length > 0) this.hooks.onAcksCommitted(result.removed);
        } catch (error) {
          this.hooks.onError?.(error);
          for (const s of submissions) s.reject(error);
        }
        this.done(lastSeq);
        // Let the frames that arrived during the commit join the next batch.
        if (this.pendingCount() > 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    }
  }
}
