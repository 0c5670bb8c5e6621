// Group commit, and hand-off before the commit.
//
// Submissions and acks are committed together: one transaction, one fsync, then
// every submitter whose envelopes it wrote is answered. While submissions arrive
// slowly, each is committed at once. Under load (`handOffFrom` a second or more), a
// submission waits `delayMs` before its commit. Its envelopes have already gone to the recipients
// that are online (the router pushes them when they arrive, with server ids given
// in advance: server-ids.ts), and a recipient acknowledges only after its own
// commit. So a copy acknowledged within that wait is already durable on the
// recipient's disk, and is never written here: that is a queue row inserted and
// deleted again saved, which was the largest cost of the relay under load. (Message
// brokers do the same: RabbitMQ confirms a persistent message that every consumer
// acknowledged before it reached the disk without writing it.)
//
// Contract: `submit` settles once every copy of the submission is durable, either
// committed here or acknowledged by its device; it fails if the transaction that
// was to store the rest fails (then nothing of it is stored here; a copy a device
// already has may come again when the sender retries, and the device drops it as a
// repeated message). Acks of committed copies are best effort until committed: if
// the relay dies first, the envelope is pushed again and the client drops the
// duplicate by server id.
import { performance } from 'node:perf_hooks';
import type { ServerIds } from './server-ids.js';

/** How long the arrival rate that decides between commit-at-once and hand-off is measured. */
const RATE_WINDOW_MS = 100;
import type {
  AckWrite,
  CommitBatch,
  QueuedEntry,
  RelayStore,
  SubmissionWrite,
} from './store/store.js';

/** A recipient device's copy of a submitted envelope, until it is committed or handed off. */
export interface PendingCopy extends QueuedEntry {
  /** Acknowledged by its device before the commit: durable there, never written here. */
  handedOff: boolean;
}

/** What `submit` takes: a submission whose recipients are its copies. */
export interface PendingSubmissionWrite extends SubmissionWrite {
  readonly envelopes: readonly {
    readonly ciphertext: Uint8Array;
    readonly recipients: readonly PendingCopy[];
  }[];
}

interface PendingSubmission {
  readonly seq: number;
  readonly queuedAt: number;
  readonly write: PendingSubmissionWrite;
  /** Copies neither committed nor handed off yet. */
  waiting: number;
  settled: boolean;
  readonly done: (error?: unknown) => void;
}

export interface CommitBatcherHooks {
  /** Called after each commit with the queue entries the acks removed. */
  onAcksCommitted(removed: readonly QueuedEntry[]): void;
  /** Called with the copies acknowledged before their commit (never written). */
  onHandedOff(copies: readonly QueuedEntry[]): void;
  onBatch?(operations: number, seconds: number): void;
  onError?(error: unknown): void;
}

export interface CommitBatcherOptions {
  /** How long a submission waits for its recipients' acks before it is written. */
  readonly delayMs: number;
  /** Most operations per transaction, so one huge burst does not stall the loop. */
  readonly maxOperations?: number;
  /** Submissions per second from which they wait for hand-off; below, each is committed at once. */
  readonly handOffFrom?: number;
  /** Whose reservations the commits record (server-ids.ts). */
  readonly serverIds?: ServerIds;
}

export class CommitBatcher {
  private submissions: PendingSubmission[] = [];
  private acks: (AckWrite & { seq: number })[] = [];
  /** Copies not yet in a transaction, by server id: an ack for one of these hands it off. */
  private readonly unwritten = new Map<number, { copy: PendingCopy; of: PendingSubmission }>();
  /** Sequence number of the last operation queued, and of the last one done. */
  private lastQueued = 0;
  private lastDone = 0;
  private barriers: { seq: number; resolve: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate = false;
  /** When the last poll phase before the next run began (see run). */
  private pollFrom = 0;
  /** The one before: a submission must have seen two poll phases (see run). */
  private previousPollFrom = 0;
  private running = false;
  private flushing = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly delayMs: number;
  private readonly maxOperations: number;
  private readonly handOffFrom: number;
  /** Submissions counted since `windowStart`; `busy` from the last full window. */
  private arrivals = 0;
  private windowStart = performance.now() - RATE_WINDOW_MS;
  private busy = false;

  constructor(
    private readonly store: RelayStore,
    private readonly hooks: CommitBatcherHooks,
    private readonly options: CommitBatcherOptions,
  ) {
    this.delayMs = options.delayMs;
    this.maxOperations = options.maxOperations ?? 2000;
    this.handOffFrom = options.handOffFrom ?? 1000;
  }

  /**
   * Takes a submission whose copies have their server ids. Its copies can be handed off
   * from this call on; `settled` is called once every copy is durable (without an
   * error), or when the transaction that was to store them failed. A callback rather
   * than a promise: this runs for every submission, and its promises were a visible
   * share of the relay's time.
   */
  submit(write: PendingSubmissionWrite, settled: (error?: unknown) => void): void {
    const pending: PendingSubmission = {
      seq: ++this.lastQueued,
      queuedAt: performance.now(),
      write,
      waiting: 0,
      settled: false,
      done: settled,
    };
    for (const envelope of write.envelopes) {
      for (const copy of envelope.recipients) {
        this.unwritten.set(copy.serverId, { copy, of: pending });
        pending.waiting++;
      }
    }
    this.submissions.push(pending);
    this.noteArrival();
    this.schedule();
  }

  ack(ack: AckWrite): void {
    let toStore: number[] | undefined;
    let handedOff: PendingCopy[] | undefined;
    for (const serverId of ack.serverIds) {
      const pending = this.unwritten.get(serverId);
      if (
        pending === undefined ||
        pending.copy.userId !== ack.userId ||
        pending.copy.deviceId !== ack.deviceId
      ) {
        (toStore ??= []).push(serverId);
        continue;
      }
      this.unwritten.delete(serverId);
      pending.copy.handedOff = true;
      (handedOff ??= []).push(pending.copy);
      const submission = pending.of;
      if (--submission.waiting === 0 && !submission.settled) {
        // Every copy is on its devices' disks: the sender may be answered now.
        this.settle(submission);
      }
    }
    if (handedOff) this.hooks.onHandedOff(handedOff);
    if (toStore) {
      this.acks.push({
        userId: ack.userId,
        deviceId: ack.deviceId,
        serverIds: toStore,
        seq: ++this.lastQueued,
      });
      this.schedule();
    }
  }

  /** The copies given server ids and not yet written nor handed off (not in the store yet). */
  *unwrittenCopies(): IterableIterator<QueuedEntry> {
    for (const { copy } of this.unwritten.values()) yield copy;
  }

  /**
   * Resolves once every operation queued before this call has been committed, handed
   * off or has failed. A device's connection waits for it before reading its queue, so
   * that envelopes it acknowledged are not pushed again, and envelopes given server ids
   * but not pushed to it are in the store when it reads.
   */
  barrier(): Promise<void> {
    if (this.lastDone >= this.lastQueued) return Promise.resolve();
    const wait = new Promise<void>((resolve) =>
      this.barriers.push({ seq: this.lastQueued, resolve }),
    );
    this.expedite();
    return wait;
  }

  /** Resolves when everything queued so far is committed (used at shutdown). */
  flush(): Promise<void> {
    if (!this.running && this.pendingCount() === 0 && this.timer === undefined) {
      return Promise.resolve();
    }
    this.flushing++;
    const wait = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.expedite();
    return wait.finally(() => this.flushing--);
  }

  private pendingCount(): number {
    return this.submissions.length + this.acks.length;
  }

  private done(seq: number): void {
    this.lastDone = Math.max(this.lastDone, seq);
    const ready = this.barriers.filter((b) => b.seq <= this.lastDone);
    if (ready.length === 0) return;
    this.barriers = this.barriers.filter((b) => b.seq > this.lastDone);
    for (const b of ready) b.resolve();
  }

  /** A reader (barrier, flush) waits: commit what is pending without the hand-off wait. */
  private expedite(): void {
    if (this.running || this.immediate) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = true;
    // setImmediate runs after the poll phase: every frame read in this turn joins the batch.
    setImmediate(() => {
      this.immediate = false;
      void this.run();
    });
  }

  private schedule(): void {
    if (this.running || this.immediate || this.timer !== undefined) return;
    if (this.pendingCount() === 0) return;
    if (this.delayMs <= 0 || this.flushing > 0 || this.barriers.length > 0 || this.quiet()) {
      this.expedite();
      return;
    }
    const oldest = Math.min(
      this.submissions[0]?.queuedAt ?? Infinity,
      this.acks.length > 0 ? performance.now() : Infinity,
    );
    const wait = Math.max(0, oldest + this.delayMs - performance.now());
    this.timer = setTimeout(() => {
      // Timers run before the poll phase, which reads the acks that arrived meanwhile;
      // setImmediate runs after it, so those acks hand their copies off first.
      this.notePoll();
      setImmediate(() => {
        this.timer = undefined;
        void this.run();
      });
    }, wait);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const all = this.flushing > 0 || this.barriers.length > 0 || this.quiet();
        // Due: waited delayMs, and queued before the last two poll phases began, so that
        // the acks those polls read (for envelopes pushed before them) have been applied.
        // Under load one turn of the loop takes longer than delayMs, so age alone would
        // commit what a turn read before its acks could be read; and a busy recipient
        // (the benchmark's load generator, at one core) may answer a turn late.
        const due = Math.min(performance.now() - this.delayMs, this.previousPollFrom);
        let count = 0;
        while (
          count < this.submissions.length &&
          count < this.maxOperations &&
          (all || this.submissions[count]!.queuedAt <= due)
        ) {
          count++;
        }
        const submissions = this.submissions.splice(0, count).filter((s) => !s.settled);
        const acks = this.acks.splice(0, Math.max(0, this.maxOperations - count));
        if (submissions.length === 0 && acks.length === 0) break;
        await this.commit(submissions, acks);
        this.markDone();
        // Let the frames that arrived during the commit (acks among them) be read first.
        this.notePoll();
        await new Promise((r) => setImmediate(r));
      }
      this.markDone();
    } finally {
      this.running = false;
      if (this.pendingCount() > 0) this.schedule();
      else for (const waiter of this.idleWaiters.splice(0)) waiter();
    }
  }

  private async commit(
    submissions: readonly PendingSubmission[],
    acks: readonly (AckWrite & { seq: number })[],
  ): Promise<void> {
    // From here on an ack of these copies deletes a written row (next transaction).
    const writes = submissions.map((s) => this.writeOf(s));
    const reserveServerIdsUpTo = this.options.serverIds?.reservationToCommit();
    const batch: CommitBatch = {
      submissions: writes,
      acks: acks.map(({ userId, deviceId, serverIds }) => ({ userId, deviceId, serverIds })),
      ...(reserveServerIdsUpTo === undefined ? {} : { reserveServerIdsUpTo }),
    };
    try {
      const started = performance.now();
      const result = await this.store.commit(batch);
      if (reserveServerIdsUpTo !== undefined) {
        this.options.serverIds!.committed(reserveServerIdsUpTo);
      }
      this.hooks.onBatch?.(submissions.length + acks.length, (performance.now() - started) / 1000);
      for (const s of submissions) {
        this.settle(s);
      }
      if (result.removed.length > 0) this.hooks.onAcksCommitted(result.removed);
    } catch (error) {
      this.hooks.onError?.(error);
      for (const s of submissions) {
        this.settle(s, error);
      }
    }
  }

  /**
   * Submissions arrive slowly: the relay is not busy, so a commit costs little and the
   * sender is answered at once rather than after the wait. The hand-off is for load,
   * when commits are what limits the relay. Measured over the last tenth of a second.
   */
  private quiet(): boolean {
    return !this.busy;
  }

  private noteArrival(): void {
    this.arrivals++;
    const now = performance.now();
    if (now - this.windowStart < RATE_WINDOW_MS) return;
    this.busy = (this.arrivals * 1000) / (now - this.windowStart) >= this.handOffFrom;
    this.arrivals = 0;
    this.windowStart = now;
  }

  /** A poll phase is about to begin. */
  private notePoll(): void {
    this.previousPollFrom = this.pollFrom;
    this.pollFrom = performance.now();
  }

  private settle(submission: PendingSubmission, error?: unknown): void {
    if (submission.settled) return;
    submission.settled = true;
    try {
      submission.done(error);
    } catch (failure) {
      // One sender's answer failing must not keep the others from theirs.
      this.hooks.onError?.(failure);
    }
  }

  /** Everything queued before the oldest operation still waiting is done. */
  private markDone(): void {
    const firstSubmission = this.submissions.find((s) => !s.settled)?.seq ?? Infinity;
    const first = Math.min(firstSubmission, this.acks[0]?.seq ?? Infinity);
    this.done(first === Infinity ? this.lastQueued : first - 1);
  }

  /** The copies of a submission still to write (those handed off are left out). */
  private writeOf(submission: PendingSubmission): SubmissionWrite {
    const envelopes = [];
    for (const envelope of submission.write.envelopes) {
      const recipients = envelope.recipients.filter((copy) => {
        this.unwritten.delete(copy.serverId);
        return !copy.handedOff;
      });
      if (recipients.length > 0) envelopes.push({ ciphertext: envelope.ciphertext, recipients });
    }
    return { ...submission.write, envelopes };
  }
}
