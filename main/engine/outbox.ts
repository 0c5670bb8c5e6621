// The guaranteed outbox. A message and its send job are written in one
// transaction; the job is retried until the relay acknowledges it, across
// restarts and days offline. Nothing "fails": a job waits. Only a permanent
// refusal (the recipient's account no longer exists) ends it, with a reason.
//
// Contract of a job, in order:
//  1. seal: for every target device, encrypt the payload with its session and
//     commit the new session states together with the ciphertexts (so a key is
//     never used twice for different bytes, whatever crashes);
//  2. submit the sealed ciphertexts; the relay answers once every copy is durable
//     (committed on the relay, or already acknowledged by its device);
//  3. on SubmitOk: delete the job and mark the message sent, in one transaction.
// A stale device list (STALE_DEVICES) refreshes the directory and goes back to 1.
// Jobs leave strictly in job order, so each conversation keeps its order.
import { statement } from './store/statements.js';
import { EngineError } from '../../shared/api/errors.js';
import {
  type PrekeyBundle,
  type SessionState,
  asEd25519PublicKey,
  asSignature,
  asX25519PublicKey,
  encryptMessage,
  initiateSession,
  isCryptoError,
  rotateSenderKey,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../../shared/crypto/index.js';
import { type GroupStore, senderKeyContext } from './groups/group-store.js';
import { bytesEqual } from '../../shared/util/bytes.js';
import type { Account } from './account.js';
import { decodeContent, encodeContent } from './content.js';
import type { Directory } from './directory.js';
import { type RelayHttp, RelayRequestError } from './relay/relay-http.js';
import { RelayFrameError, type RelaySocket } from './relay/relay-socket.js';
import type { SessionStore } from './session-store.js';
import type { Store } from './store/open-store.js';

export interface JobRecipients {
  /** Users whose every active device gets the payload. */
  readonly users: readonly string[];
  /**
   * For a 1:1 data message: the peer, so our own other devices get a SyncSent
   * copy; '' to send the same content to our own other devices.
   */
  readonly syncDestination: string | null;
  /** A group message: sent once with the group's sender key, fanned out by the relay. */
  readonly group?: string;
}

interface JobRow {
  job_id: number;
  message_id: string | null;
  conversation_id: string | null;
  payload: Uint8Array;
  recipients: string;
  attempts: number;
}

export interface OutboxHooks {
  /** A message's status changed (sent, refused). */
  messageChanged(messageId: string): void;
  waitingChanged(waiting: number): void;
}

const PERMANENT_REFUSALS = new Set(['UNKNOWN_RECIPIENT', 'USER_NOT_FOUND', 'USER_REVOKED']);
const MAX_BACKOFF_MS = 5 * 60_000;

export class Outbox {
  private running = false;
  private generation = 0;
  private wake: (() => void) | null = null;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** Timestamp before which the next attempt must not run (back-off after failures). */
  private notBefore = 0;

  constructor(
    private readonly db: Store,
    private readonly account: Account,
    private readonly sessions: SessionStore,
    private readonly directory: Directory,
    private readonly http: RelayHttp,
    private readonly socket: RelaySocket,
    private readonly groups: GroupStore,
    private readonly hooks: OutboxHooks,
  ) {}

  /** Adds a job; call inside the transaction that writes the message it sends. */
  enqueue(
    payload: Uint8Array,
    recipients: JobRecipients,
    messageId: string | null,
    conversationId: string | null,
    now = Date.now(),
  ): number {
    const result = statement(
      this.db,
      `INSERT INTO outbox (message_id, conversation_id, payload, recipients, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(messageId, conversationId, payload, JSON.stringify(recipients), now, now);
    return Number(result.lastInsertRowid);
  }

  /**
   * The person's messages waiting for the relay, as the app shows them ("3 messages
   * waiting to be sent"). Receipts, read marks for our other devices and group
   * changes wait in the outbox too, but they are not messages anyone wrote: someone
   * who reads their mail on a train must not be told that messages wait.
   */
  waiting(): number {
    return statement(this.db, 'SELECT count(*) FROM outbox WHERE message_id IS NOT NULL')
      .pluck()
      .get() as number;
  }

  /** Every job still to leave, whatever it carries. */
  private jobs(): number {
    return statement(this.db, 'SELECT count(*) FROM outbox').pluck().get() as number;
  }

  hasJob(jobId: number): boolean {
    return statement(this.db, 'SELECT 1 FROM outbox WHERE job_id = ?').get(jobId) !== undefined;
  }

  /** Starts the worker if it is not running. */
  kick(): void {
    if (this.stopped) return;
    // The UI shows how many messages wait, even while the relay is unreachable.
    this.hooks.waitingChanged(this.waiting());
    this.wake?.();
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    void this.loop().finally(() => {
      // Only the loop that is still current may clear the flag (see loop()).
      if (this.generation === generation) this.running = false;
    });
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Resolves when no job is left (or could leave now). */
  whenIdle(): Promise<void> {
    if (this.jobs() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const job = statement(this.db, 'SELECT * FROM outbox ORDER BY job_id LIMIT 1').get() as
        JobRow | undefined;
      if (!job) {
        // Cleared here, synchronously: a job enqueued by a waiter woken just below
        // must be able to start a new loop at once.
        this.running = false;
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        this.hooks.waitingChanged(0);
        return;
      }
      if (this.socket.connectionState !== 'online' || Date.now() < this.notBefore) {
        await this.sleep(
          this.socket.connectionState !== 'online' ? 60_000 : this.notBefore - Date.now(),
        );
        continue;
      }
      try {
        await this.deliver(job);
        this.notBefore = 0;
        this.hooks.waitingChanged(this.waiting());
      } catch (error) {
        if (this.stopped) return;
        const permanent = this.permanentReason(error);
        if (permanent) {
          this.refuse(job, permanent);
          continue;
        }
        const attempts = job.attempts + 1;
        statement(
          this.db,
          'UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE job_id = ?',
        ).run(attempts, String((error as Error).message).slice(0, 500), Date.now(), job.job_id);
        // Exponential back-off with jitter, reset as soon as one job leaves.
        const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempts, 12));
        this.notBefore = Date.now() + backoff / 2 + Math.random() * (backoff / 2);
      }
    }
  }

  /** Waits for `ms`, or less if kicked or the socket comes online. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.socket.off('state', onState);
        this.wake = null;
        resolve();
      };
      const onState = (state: string) => {
        if (state === 'online') {
          this.notBefore = 0;
          done();
        }
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.socket.on('state', onState);
      this.wake = done;
    });
  }

  private permanentReason(error: unknown): string | null {
    if (error instanceof RelayFrameError && PERMANENT_REFUSALS.has(error.code))
      return error.message;
    if (error instanceof RelayRequestError && PERMANENT_REFUSALS.has(error.code))
      return error.message;
    if (error instanceof EngineError && error.code === 'UNKNOWN_USER') return error.message;
    return null;
  }

  private refuse(job: JobRow, reason: string): void {
    this.db.transaction(() => {
      statement(this.db, 'DELETE FROM outbox WHERE job_id = ?').run(job.job_id);
      if (job.message_id) {
        statement(
          this.db,
          `UPDATE messages SET status = 'refused', refusal_reason = ? WHERE id = ? AND status = 'waiting'`,
        ).run(reason, job.message_id);
      }
    })();
    if (job.message_id) this.hooks.messageChanged(job.message_id);
  }

  /**
   * The relay blobs of the files a job's message carries: named in the submission, so
   * the relay keeps them (a blob no message names is deleted after a day).
   */
  private blobIdsOf(job: JobRow): string[] {
    if (!job.message_id) return [];
    return statement(
      this.db,
      `SELECT DISTINCT a.blob_id FROM message_attachments m
         JOIN attachments a ON a.id = m.attachment_id
         WHERE m.message_id = ? AND a.blob_id IS NOT NULL`,
    )
      .pluck()
      .all(job.message_id) as string[];
  }

  private async deliver(job: JobRow): Promise<void> {
    const recipients = JSON.parse(job.recipients) as JobRecipients;
    if (recipients.group) return this.deliverGroup(job, recipients.group);
    await this.untilDevicesSettle(job, async () => {
      const targets = await this.targets(recipients);
      await this.seal(job, recipients, targets);
      const sealed = statement(
        this.db,
        'SELECT user_id, device_id, ciphertext FROM outbox_sealed WHERE job_id = ?',
      ).all(job.job_id) as { user_id: string; device_id: number; ciphertext: Uint8Array }[];
      const wanted = new Set(targets.map((t) => `${t.userId}:${t.deviceId}`));
      const messages = sealed
        .filter((s) => wanted.has(`${s.user_id}:${s.device_id}`))
        .map((s) => ({
          to: { userId: s.user_id, deviceId: s.device_id },
          ciphertext: new Uint8Array(s.ciphertext),
        }));
      if (messages.length > 0) {
        await this.socket.submit({
          kind: { case: 'perDevice', value: { messages } },
          blobIds: this.blobIdsOf(job),
        });
      }
    });
  }

  /**
   * Runs one attempt at a job, and again (at most four times) while the relay
   * answers STALE_DEVICES, after refreshing the device lists it named; then
   * finishes the job.
   */
  private async untilDevicesSettle(job: JobRow, attempt: () => Promise<void>): Promise<void> {
    for (let round = 0; round < 4; round++) {
      try {
        await attempt();
      } catch (error) {
        if (await this.refreshIfStale(error)) continue;
        throw error;
      }
      this.finish(job);
      return;
    }
    throw new EngineError(
      'RELAY_UNREACHABLE',
      'The device list kept changing; the message will be retried.',
    );
  }

  private async targets(
    recipients: JobRecipients,
  ): Promise<{ userId: string; deviceId: number }[]> {
    const out: { userId: string; deviceId: number }[] = [];
    for (const userId of recipients.users) {
      let devices = this.directory.activeDevices(userId);
      if (devices.length === 0) devices = await this.directory.refreshUser(userId);
      out.push(...devices);
    }
    if (recipients.syncDestination !== null) {
      let own = this.directory.activeDevices(this.account.userId);
      if (!this.directory.ownDevicesKnown())
        own = await this.directory.refreshUser(this.account.userId);
      out.push(...own);
    }
    return out;
  }

  /** Encrypts for every target without a sealed ciphertext yet; commits states and ciphertexts together. */
  private async seal(
    job: JobRow,
    recipients: JobRecipients,
    targets: readonly { userId: string; deviceId: number }[],
  ): Promise<void> {
    const have = new Set(
      (
        statement(this.db, 'SELECT user_id, device_id FROM outbox_sealed WHERE job_id = ?').all(
          job.job_id,
        ) as {
          user_id: string;
          device_id: number;
        }[]
      ).map((r) => `${r.user_id}:${r.device_id}`),
    );
    const missing = targets.filter((t) => !have.has(`${t.userId}:${t.deviceId}`));
    if (missing.length === 0) return;

    const fresh = await this.newSessionsFor(missing);

    const peerContent = new Uint8Array(job.payload);
    // Our own other devices get a SyncSent copy of a 1:1 message, and the content
    // itself otherwise (group changes, sender keys, receipts addressed to us).
    const syncContent =
      recipients.syncDestination !== null && recipients.syncDestination !== ''
        ? this.syncCopy(peerContent, recipients.syncDestination)
        : peerContent;
    const sealed: {
      userId: string;
      deviceId: number;
      ciphertext: Uint8Array;
      state: SessionState;
    }[] = [];
    for (const target of missing) {
      const state =
        fresh.get(`${target.userId}:${target.deviceId}`) ??
        this.sessions.load(target.userId, target.deviceId);
      if (!state) continue; // no bundle for it: the relay will tell us if it matters
      const own = target.userId === this.account.userId;
      const content = own ? syncContent : peerContent;
      if (!content) continue;
      const result = encryptMessage(state, content);
      sealed.push({ ...target, ciphertext: result.message, state: result.state });
    }
    this.db.transaction(() => {
      const insert = statement(
        this.db,
        'INSERT OR REPLACE INTO outbox_sealed (job_id, user_id, device_id, ciphertext) VALUES (?, ?, ?, ?)',
      );
      for (const s of sealed) {
        this.sessions.save(s.userId, s.deviceId, s.state);
        insert.run(job.job_id, s.userId, s.deviceId, s.ciphertext);
      }
    })();
  }

  /**
   * Sessions for target devices we have never talked to, started from freshly
   * claimed prekey bundles (not yet committed: the caller commits each state
   * together with what it encrypted).
   */
  private async newSessionsFor(
    targets: readonly { userId: string; deviceId: number }[],
  ): Promise<Map<string, SessionState>> {
    const fresh = new Map<string, SessionState>();
    // Per user, the devices we have no session with: only their bundles are claimed.
    const needBundles = new Map<string, number[]>();
    for (const t of targets) {
      if (this.sessions.load(t.userId, t.deviceId)) continue;
      const devices = needBundles.get(t.userId) ?? [];
      devices.push(t.deviceId);
      needBundles.set(t.userId, devices);
    }
    for (const [userId, devices] of needBundles) {
      const bundles = await this.http.prekeyBundles(userId, devices);
      for (const bundle of bundles.bundles) {
        const certificate = bundle.certificate;
        if (!certificate || !bundle.signedPrekey) continue;
        const known = this.directory.identityKeyOf(userId, certificate.deviceId);
        if (!known || !bytesEqual(known, certificate.identityKey)) {
          await this.directory.refreshUser(userId);
        }
        const key = this.directory.identityKeyOf(userId, certificate.deviceId);
        if (!key || !bytesEqual(key, certificate.identityKey)) continue;
        const prekeyBundle: PrekeyBundle = {
          identityKey: asEd25519PublicKey(certificate.identityKey),
          deviceId: certificate.deviceId,
          signedPrekey: {
            id: bundle.signedPrekey.id,
            publicKey: asX25519PublicKey(bundle.signedPrekey.publicKey),
            signature: asSignature(bundle.signedPrekey.signature),
          },
          oneTimePrekey: bundle.oneTimePrekey
            ? {
                id: bundle.oneTimePrekey.id,
                publicKey: asX25519PublicKey(bundle.oneTimePrekey.publicKey),
              }
            : null,
        };
        try {
          fresh.set(
            `${userId}:${certificate.deviceId}`,
            initiateSession(
              { identity: this.account.identity, deviceId: this.account.deviceId },
              prekeyBundle,
            ),
          );
        } catch (error) {
          if (!isCryptoError(error)) throw error;
          // A bundle with a bad signature is skipped; the relay's next answer decides.
        }
      }
    }

    return fresh;
  }

  /**
   * Encrypts `content` for each target device over its pairwise session,
   * commits the new states, then submits. STALE_DEVICES is rethrown for the
   * caller to refresh and retry.
   */
  private async sendPairwise(
    targets: readonly { userId: string; deviceId: number }[],
    content: Uint8Array,
  ): Promise<void> {
    const fresh = await this.newSessionsFor(targets);
    const sealed: {
      userId: string;
      deviceId: number;
      ciphertext: Uint8Array;
      state: SessionState;
    }[] = [];
    for (const t of targets) {
      const state =
        fresh.get(`${t.userId}:${t.deviceId}`) ?? this.sessions.load(t.userId, t.deviceId);
      if (!state) continue;
      const result = encryptMessage(state, content);
      sealed.push({ ...t, ciphertext: result.message, state: result.state });
    }
    this.db.transaction(() => {
      for (const s of sealed) this.sessions.save(s.userId, s.deviceId, s.state);
    })();
    if (sealed.length === 0) return;
    await this.socket.submit({
      kind: {
        case: 'perDevice',
        value: {
          messages: sealed.map((s) => ({
            to: { userId: s.userId, deviceId: s.deviceId },
            ciphertext: s.ciphertext,
          })),
        },
      },
    });
  }

  /**
   * A group message: make sure every member device holds our current sender
   * key (rotating it first if a device that held it is gone), then upload ONE
   * ciphertext that the relay fans out to all of them.
   */
  private async deliverGroup(job: JobRow, groupId: string): Promise<void> {
    await this.untilDevicesSettle(job, async () => {
      const roster = this.groups.roster(groupId);
      if (!roster || this.groups.hasLeft(groupId)) {
        throw new EngineError('NOT_ALLOWED', 'You are no longer a member of this group.');
      }
      const targets = await this.targets({
        users: roster.members.map((m) => m.userId).filter((u) => u !== this.account.userId),
        syncDestination: '',
      });
      const wanted = new Set(targets.map((t) => `${t.userId}:${t.deviceId}`));
      let { state, distributedTo } = this.groups.ownSenderKey(groupId);
      if ([...distributedTo].some((k) => !wanted.has(k))) {
        // Someone (or some device) left: a new key they never see.
        state = rotateSenderKey(state);
        distributedTo = new Set();
      }
      const missing = targets.filter((t) => !distributedTo.has(`${t.userId}:${t.deviceId}`));
      if (missing.length > 0) {
        await this.sendPairwise(
          missing,
          encodeContent({
            case: 'senderKey',
            value: { groupId, distribution: senderKeyDistribution(state) },
          }),
        );
        for (const t of missing) distributedTo.add(`${t.userId}:${t.deviceId}`);
        this.db.transaction(() => this.groups.saveOwnSenderKey(groupId, state, distributedTo))();
      }
      const sealed = senderKeyEncrypt(
        state,
        new Uint8Array(job.payload),
        senderKeyContext(groupId, this.account.userId, this.account.deviceId),
      );
      // The advanced chain is committed before the upload: a retry never reuses a key.
      this.db.transaction(() =>
        this.groups.saveOwnSenderKey(groupId, sealed.state, distributedTo),
      )();
      if (targets.length > 0) {
        await this.socket.submit({
          kind: {
            case: 'fanOut',
            value: {
              ciphertext: sealed.message,
              recipients: targets.map((t) => ({ userId: t.userId, deviceId: t.deviceId })),
            },
          },
          blobIds: this.blobIdsOf(job),
        });
      }
    });
  }

  /** STALE_DEVICES: refresh the device lists the relay named, and say to retry. */
  private async refreshIfStale(error: unknown): Promise<boolean> {
    if (!(error instanceof RelayFrameError) || error.code !== 'STALE_DEVICES' || !error.frame)
      return false;
    for (const stale of error.frame.stale) await this.directory.refreshUser(stale.userId);
    return true;
  }

  /**
   * The job left: delete it and mark its message sent, in one transaction. A
   * disappearing message's countdown starts now, for its sender (main/engine/disappearing.ts).
   * The recipient's receipt may have come first (the relay answers once every copy is
   * durable, which can be when the recipient acknowledges it): the status then stays
   * as the receipt raised it, and the countdown still starts.
   */
  private finish(job: JobRow): void {
    this.db.transaction(() => {
      statement(this.db, 'DELETE FROM outbox WHERE job_id = ?').run(job.job_id);
      if (job.message_id) {
        statement(
          this.db,
          `UPDATE messages SET status = CASE status WHEN 'waiting' THEN 'sent' ELSE status END,
               expires_at = CASE WHEN expires_at IS NULL AND expire_seconds > 0 AND kind <> 'timer'
                 THEN ? + expire_seconds * 1000 ELSE expires_at END
             WHERE id = ? AND status IN ('waiting', 'delivered', 'read')`,
        ).run(Date.now(), job.message_id);
      }
    })();
    if (job.message_id) this.hooks.messageChanged(job.message_id);
  }

  /** The copy of a data message for our own other devices. */
  private syncCopy(content: Uint8Array, destination: string): Uint8Array | null {
    const decoded = decodeContent(content);
    if (decoded.body.case !== 'data') return null;
    return encodeContent({
      case: 'syncSent',
      value: { destinationUser: destination, message: decoded.body.value },
    });
  }
}
