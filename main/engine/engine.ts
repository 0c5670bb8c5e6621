// The client engine: opens the encrypted store, keeps one connection to the
// relay, runs the outbox and the inbox, and answers the API of shared/api with
// Results. Plain Node: the desktop app runs it in a utilityProcess, the CLI and
// the browser harness run it directly.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  AccountView,
  ContactView,
  ConversationView,
  EngineApi,
  EngineEvent,
  GroupMemberView,
  GroupsApi,
  AttachmentView,
  DocumentCheck,
  DocumentMatch,
  DocumentSignatureView,
  FilesApi,
  MessageView,
  SearchApi,
  SearchHit,
  SettingsView,
  SafetyNumberView,
  SendFileOptions,
} from '../../shared/api/contract.js';
import {
  MAX_DELEGATION_DAYS,
  MAX_EXPIRE_SECONDS,
  MAX_VIEWABLE_BYTES,
  MIN_EXPIRE_SECONDS,
} from '../../shared/api/contract.js';
import { EngineError, type Result, errorText, isErrorCode } from '../../shared/api/errors.js';
import {
  asEd25519PublicKey,
  blake2b,
  ready,
  safetyNumber,
  sha256,
  sign,
} from '../../shared/crypto/index.js';
import { bytesEqual, concatBytes, toHex } from '../../shared/util/bytes.js';
import type { Envelope } from '../../shared/wire/index.js';
import {
  type Account,
  type EnrolParams,
  credentialsOf,
  enrol,
  loadAccount,
  rotateSignedPrekeyIfDue,
  topUpOneTimePrekeys,
} from './account.js';
import { MAX_TEXT_CHARS, encodeContent, isMessageId, newMessageId } from './content.js';
import type { AcknowledgementSchema } from '../../shared/wire/gen/content_pb.js';
import { Directory } from './directory.js';
import { Disappearing, isExpireSeconds } from './disappearing.js';
import { ExpirySweeper } from './expiry-sweeper.js';
import { acknowledgementSignedBytes } from './acknowledgements/acknowledgement-bytes.js';
import {
  type AcknowledgementRow,
  Acknowledgements,
  verifyAcknowledgement,
} from './acknowledgements/acknowledgements.js';
import {
  Attachments,
  BlobClient,
  MAX_PREVIEW_BYTES,
  Previews,
  isAttachmentError,
  pictureType,
  previewDataUrl,
  previewFromDataUrl,
} from './attachments/index.js';
import { search as searchIndex } from './search/search-index.js';
import { GroupStore, groupConversationId, groupIdOf, isGroupId } from './groups/group-store.js';
import {
  MAX_GROUP_MEMBERS,
  MAX_GROUP_NAME,
  type RosterAction,
  type RosterMember,
  applyEntry,
  signEntry,
} from './groups/roster.js';
import { Inbox, type InboxEffects, emptyEffects } from './inbox.js';
import { Clearances, checkClassificationOption, labelOfLevel } from './classification.js';
import { orgPlaceOf } from './org-chart.js';
import {
  Documents,
  type SignedDocument,
  fileSha256,
  signDocument,
  verifyDocumentSignature,
} from './documents/documents.js';
import type { DocumentEvidence } from './documents/attestation-report.js';
import {
  MessageStore,
  type StoredConversationView,
  directConversationId,
} from './message-store.js';
import { type Classification, classificationLevel } from '../../shared/api/classification.js';
import { type JobRecipients, Outbox } from './outbox.js';
import { RelayHttp, RelayRequestError } from './relay/relay-http.js';
import { type ConnectionState, RelaySocket } from './relay/relay-socket.js';
import type { RelayCa } from './relay/relay-trust.js';
import { SessionStore } from './session-store.js';
import { statement } from './store/statements.js';
import { wipeDataDir } from './store/wipe.js';
import { createStoreKey, hasKeyFile, unlockStoreKey } from './store/key-file.js';
import { type Store, openStore } from './store/open-store.js';
import { type StoreFailure, storeFailure } from './store/store-failure.js';

export const STORE_FILE = 'store.db';

export interface OpenOptions {
  readonly dataDir: string;
  /** The store key, or a passphrase that unwraps it (CLI). */
  readonly storeKey?: Uint8Array;
  readonly passphrase?: string;
  /** Reconnection bounds, shortened by tests. */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /**
   * How often a revoked device asks the relay again whether its data is to be erased
   * (a wipe ordered after the revocation, while the app stays open). Default 10 minutes.
   */
  readonly revokedRecheckMs?: number;
  /**
   * How long after the relay's "drained" the inbox forgets envelopes processed long ago
   * (Inbox.pruneProcessed); shortened by tests. Default 60 s.
   */
  readonly inboxPruneDelayMs?: number;
  /**
   * Machine policy: false when the ICT cell keeps every message (records to be archived):
   * a timer can then only be turned off. Default true.
   */
  readonly allowDisappearingMessages?: boolean;
  /**
   * Authorities trusted for the relay's TLS besides Node's bundled roots (PEM): the
   * machine's store and the RelayCaFile policy's file in the desktop app (relay-trust.ts).
   */
  readonly relayCa?: RelayCa;
}

/** A revoked device's wipe check: how long one probe may take before it is dropped. */
const WIPE_PROBE_TIMEOUT_MS = 30_000;
/** After the relay's "drained": the catch-up and its first interactions go first. */
const INBOX_PRUNE_DELAY_MS = 60_000;
const DEFAULT_REVOKED_RECHECK_MS = 10 * 60_000;
/** How long a labelled send waits for the relay's current clearances before using what it knows. */
const CLEARANCE_REFRESH_MS = 3000;

export interface EngineEvents {
  event: [EngineEvent];
}

/** Wraps a body so that every outcome is a Result; EngineErrors keep their code. */
async function result<T>(body: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await body() };
  } catch (error) {
    if (error instanceof EngineError)
      return { ok: false, error: { code: error.code, message: error.message } };
    const failure = storeFailure(error);
    if (failure) return { ok: false, error: { code: failure, message: (error as Error).message } };
    return {
      ok: false,
      error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
    };
  }
}

export class Engine
  extends EventEmitter<EngineEvents>
  implements EngineApi, GroupsApi, SearchApi, FilesApi
{
  readonly messages: MessageStore;
  private readonly sessions: SessionStore;
  private readonly http: RelayHttp;
  private readonly socket: RelaySocket;
  private readonly directory: Directory;
  private readonly outbox: Outbox;
  private readonly inbox: Inbox;
  readonly groups: GroupStore;
  readonly attachments: Attachments;
  private readonly previews: Previews;
  private readonly disappearing: Disappearing;
  private readonly acknowledgements: Acknowledgements;
  private readonly clearances: Clearances;
  private readonly documents: Documents;
  private readonly sweeper: ExpirySweeper;
  private readonly dataDir: string;
  private readonly allowDisappearingMessages: boolean;
  /** Why the relay refuses this device for good (the ICT cell revoked it, or wiped it). */
  private refusal: 'DEVICE_REVOKED' | 'DEVICE_WIPED' | null = null;
  private readonly revokedRecheckMs: number;
  private readonly inboxPruneDelayMs: number;
  private wipeWatch: NodeJS.Timeout | undefined;
  private probe: RelaySocket | undefined;
  private processing = false;
  private processAgain = false;
  private idleWaiters: (() => void)[] = [];
  private processedSinceConnect = 0;
  private drained = false;
  private closed = false;
  /** Envelopes the store could not take (full disk): not acknowledged, stored on a retry. */
  private parked: Envelope[] = [];
  private storageProblem: StoreFailure | null = null;
  private storageRetry: NodeJS.Timeout | undefined;
  private storageRetryMs: number;
  private deferredRetry: NodeJS.Timeout | undefined;
  private inboxPrune: NodeJS.Timeout | undefined;
  private deferredRetryMs: number;
  private readonly retryBounds: { readonly min: number; readonly max: number };
  private readonly relayCa: RelayCa | undefined;
  /** Aborted at close: what waits for the relay in the background stops waiting. */
  private readonly closing = new AbortController();

  private constructor(
    readonly db: Store,
    readonly me: Account,
    options: OpenOptions,
  ) {
    super();
    this.retryBounds = { min: options.minRetryMs ?? 1000, max: options.maxRetryMs ?? 30_000 };
    this.storageRetryMs = this.retryBounds.min;
    this.deferredRetryMs = this.retryBounds.min;
    this.messages = new MessageStore(db);
    this.sessions = new SessionStore(db);
    this.relayCa = options.relayCa;
    this.http = new RelayHttp(me.relayUrl, credentialsOf(me), options.relayCa);
    this.socket = new RelaySocket({
      baseUrl: me.relayUrl,
      credentials: credentialsOf(me),
      ...(options.relayCa ? { relayCa: options.relayCa } : {}),
      ...(options.minRetryMs !== undefined ? { minRetryMs: options.minRetryMs } : {}),
      ...(options.maxRetryMs !== undefined ? { maxRetryMs: options.maxRetryMs } : {}),
    });
    this.directory = new Directory(
      db,
      this.http,
      me,
      (change) =>
        this.emitEvent({
          type: 'identityChanged',
          userId: change.userId,
          deviceId: change.deviceId,
        }),
      (userId) => {
        // The labels offered in each conversation the person is in change with their
        // clearance, and their 1:1 conversation says whether they are away.
        for (const conversationId of this.clearances.conversationsOf(userId))
          this.emitEvent({ type: 'conversation', conversationId });
      },
    );
    this.groups = new GroupStore(db);
    this.attachments = new Attachments({
      db,
      dataDir: options.dataDir,
      blobs: new BlobClient(
        me.relayUrl,
        credentialsOf(me),
        options.relayCa ? { relayCa: options.relayCa } : {},
      ),
    });
    this.previews = new Previews(db);
    this.disappearing = new Disappearing(db);
    this.acknowledgements = new Acknowledgements(db);
    this.clearances = new Clearances(db, me.userId);
    this.documents = new Documents(db);
    this.sweeper = new ExpirySweeper({
      db,
      disappearing: this.disappearing,
      attachments: this.attachments,
      previews: this.previews,
      documents: this.documents,
      expired: (conversationId, messageIds) =>
        this.emitEvent({ type: 'expired', conversationId, messageIds }),
    });
    this.dataDir = options.dataDir;
    this.allowDisappearingMessages = options.allowDisappearingMessages ?? true;
    this.revokedRecheckMs = options.revokedRecheckMs ?? DEFAULT_REVOKED_RECHECK_MS;
    this.inboxPruneDelayMs = options.inboxPruneDelayMs ?? INBOX_PRUNE_DELAY_MS;
    this.attachments.on('progress', (p) =>
      this.emitEvent({
        type: 'transfer',
        attachmentId: p.id,
        transferred: p.done,
        size: p.total,
        direction: p.direction === 'upload' ? 'up' : 'down',
      }),
    );
    this.messages.attachmentViews = (attachmentIds) => this.attachmentViews(attachmentIds);
    this.attachments.on('state', (info) => {
      if (this.closed || (info.state !== 'done' && info.state !== 'failed')) return;
      const ids = statement(
        this.db,
        'SELECT message_id FROM message_attachments WHERE attachment_id = ?',
      )
        .pluck()
        .all(info.id) as string[];
      for (const id of ids) {
        const message = this.messages.message(id);
        if (message) this.emitEvent({ type: 'messageUpdated', message });
      }
    });
    this.outbox = new Outbox(
      db,
      me,
      this.sessions,
      this.directory,
      this.http,
      this.socket,
      this.groups,
      {
        messageChanged: (id) => {
          const message = this.messages.message(id);
          if (message) this.emitEvent({ type: 'messageUpdated', message });
          // A disappearing message's countdown starts when it leaves.
          if (message?.expiresAt !== undefined) this.sweeper.schedule();
        },
        waitingChanged: (waiting) => this.emitEvent({ type: 'outbox', waiting }),
      },
    );
    this.inbox = new Inbox(
      this.attachments,
      db,
      me,
      this.sessions,
      this.directory,
      this.messages,
      this.outbox,
      this.groups,
      this.previews,
      this.disappearing,
      this.acknowledgements,
      this.documents,
    );
    this.socket.on('state', (state) => this.onConnection(state));
    this.socket.on('envelope', (envelope) => this.onEnvelope(envelope));
    this.socket.on('drained', () => {
      // After the envelopes received before it are stored (their flush is already scheduled).
      setImmediate(() => {
        this.drained = true;
        this.kickInbox();
      });
      this.scheduleInboxPrune();
    });
    this.socket.on('prekeysLow', () => {
      void topUpOneTimePrekeys(this.db, this.http).catch(() => undefined);
    });
    this.socket.on('fatal', (error) => {
      if (error.code === 'DEVICE_REVOKED') {
        this.refusal = 'DEVICE_REVOKED';
        this.emitEvent({ type: 'revoked', wiped: false });
        this.watchForWipeOrder();
      } else {
        this.emitEvent({ type: 'undecryptable', senderId: 'relay', reason: error.message });
      }
    });
    this.socket.on('wipe', () => void this.wipeOrdered());
  }

  // ------------------------------------------------------------ lifecycle

  /** Creates the data folder's key file and store, and enrols this device. */
  static async enrol(
    options: OpenOptions & ({ readonly passphrase: string } | { readonly storeKey: Uint8Array }),
    params: EnrolParams,
  ): Promise<Engine> {
    await ready();
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    if (options.storeKey !== undefined) {
      // The desktop app keeps the store key wrapped by the OS (safeStorage) itself.
      const db = openStore(path.join(options.dataDir, STORE_FILE), options.storeKey);
      if (loadAccount(db)) {
        db.close();
        throw new EngineError('ALREADY_ENROLLED');
      }
      return Engine.enrolled(db, await enrolClosingOnError(db, params, options.relayCa), options);
    }
    if (options.passphrase === undefined)
      throw new EngineError('BAD_REQUEST', 'Give a passphrase or a store key.');
    if (hasKeyFile(options.dataDir)) {
      // A data folder whose enrolment failed half-way can be reused with the same passphrase.
      const key = unlockStoreKey(options.dataDir, options.passphrase);
      const db = openStore(path.join(options.dataDir, STORE_FILE), key);
      if (loadAccount(db)) {
        db.close();
        throw new EngineError('ALREADY_ENROLLED');
      }
      return Engine.enrolled(db, await enrolClosingOnError(db, params, options.relayCa), options);
    }
    const key = createStoreKey(options.dataDir, options.passphrase);
    const db = openStore(path.join(options.dataDir, STORE_FILE), key);
    return Engine.enrolled(db, await enrolClosingOnError(db, params, options.relayCa), options);
  }

  /** The engine of a device just enrolled, with my directory entry as the relay gave it. */
  private static enrolled(
    db: Store,
    enrolled: Awaited<ReturnType<typeof enrol>>,
    options: OpenOptions,
  ): Engine {
    const engine = new Engine(db, enrolled.account, options);
    try {
      // My clearance and my other devices, known from the first screen on.
      engine.directory.record(enrolled.profile);
    } catch {
      // Learnt again at the first connection (refreshUser of my own entry).
    }
    return engine;
  }

  /** Opens an enrolled data folder. */
  static async open(options: OpenOptions): Promise<Engine> {
    await ready();
    const key =
      options.storeKey ??
      (options.passphrase !== undefined
        ? unlockStoreKey(options.dataDir, options.passphrase)
        : undefined);
    if (!key) throw new EngineError('BAD_REQUEST', 'Give the store key or the passphrase.');
    const db = openStore(path.join(options.dataDir, STORE_FILE), key);
    const account = loadAccount(db);
    if (!account) {
      db.close();
      throw new EngineError('NOT_ENROLLED');
    }
    return new Engine(db, account, options);
  }

  /** Connects to the relay and starts the outbox and inbox. */
  start(): void {
    this.socket.start();
    this.outbox.kick();
    this.kickInbox();
    void this.attachments.resumePending().catch(() => undefined);
    void this.attachments.removeInterruptedSaves().catch(() => undefined);
    this.resumeFileSends();
    // What fell due while the app was closed goes first.
    this.sweeper.sweep();
    this.emitEvent({ type: 'outbox', waiting: this.outbox.waiting() });
  }

  get connection(): ConnectionState {
    return this.socket.connectionState;
  }

  whenOnline(): Promise<void> {
    return this.socket.whenOnline();
  }

  /**
   * A device the relay refuses for good cannot send: saying so at once is better than
   * a message that would wait for ever in the outbox.
   */
  private requireActiveDevice(): void {
    if (this.refusal) throw new EngineError(this.refusal);
  }

  /**
   * A revoked device no longer connects; but the ICT cell may order its wipe later
   * (the computer reported stolen after the revocation) while the app stays open. So
   * it authenticates again now and then, only to learn that: each probe is one fresh
   * connection, refused at once unless an order is waiting.
   */
  private watchForWipeOrder(): void {
    if (this.wipeWatch || this.closed) return;
    this.wipeWatch = setInterval(() => {
      if (this.closed || this.probe) return;
      const probe = new RelaySocket({
        baseUrl: this.me.relayUrl,
        credentials: credentialsOf(this.me),
        ...(this.relayCa ? { relayCa: this.relayCa } : {}),
      });
      this.probe = probe;
      const done = () => {
        clearTimeout(timer);
        probe.stop();
        if (this.probe === probe) this.probe = undefined;
      };
      const timer = setTimeout(done, WIPE_PROBE_TIMEOUT_MS);
      probe.once('wipe', () => {
        done();
        void this.wipeOrdered();
      });
      probe.once('fatal', done);
      probe.on('state', (state) => {
        if (state === 'offline' || state === 'online') done();
      });
      probe.start();
    }, this.revokedRecheckMs);
    this.wipeWatch.unref();
  }

  /**
   * The ICT cell ordered this device's data erased (a computer lost or stolen): stop
   * everything, close the store, erase the data folder (store/wipe.ts), then say so.
   */
  private async wipeOrdered(): Promise<void> {
    this.refusal = 'DEVICE_WIPED';
    try {
      await this.close();
      await wipeDataDir(this.dataDir);
    } finally {
      // Said even if a file could not be deleted (held open by another program): the
      // device is unusable either way, and the host erases the folder again.
      this.emitEvent({ type: 'revoked', wiped: true });
    }
  }

  /** Stops the connection and the workers, then closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.outbox.stop();
    this.sweeper.stop();
    this.attachments.stopBackground();
    this.socket.stop();
    clearTimeout(this.storageRetry);
    clearTimeout(this.deferredRetry);
    clearTimeout(this.inboxPrune);
    clearInterval(this.wipeWatch);
    this.probe?.stop();
    while (this.processing) await new Promise((r) => setTimeout(r, 5));
    this.db.close();
  }

  /**
   * Resolves once the relay has pushed everything that was queued when we
   * connected and all of it is processed and acknowledged (the CLI's `sync`).
   */
  async whenCaughtUp(): Promise<void> {
    await this.whenOnline().catch((error: unknown) => {
      throw this.refusal ? new EngineError(this.refusal) : error;
    });
    for (;;) {
      // Not caught up while the store refuses writes: say why instead of waiting.
      if (this.storageProblem) throw new EngineError(this.storageProblem);
      if (
        this.drained &&
        !this.processing &&
        this.pendingEnvelopes.length === 0 &&
        this.parked.length === 0 &&
        this.inbox.pendingCount() === 0
      ) {
        return;
      }
      // Woken by real progress: the end of an inbox pass (after a batch is stored, or
      // after the relay said its queue is drained).
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Resolves once the outbox is empty. */
  whenOutboxEmpty(): Promise<void> {
    return this.outbox.whenIdle();
  }

  /** Resolves once a given message has left the outbox (acknowledged or refused). */
  async whenSent(messageId: string): Promise<MessageView> {
    for (;;) {
      const message = this.messages.message(messageId);
      if (!message) throw new EngineError('UNKNOWN_MESSAGE');
      if (message.status !== 'waiting') return message;
      await new Promise<void>((resolve) => {
        const onEvent = (event: EngineEvent) => {
          if (event.type === 'messageUpdated' && event.message.id === messageId) {
            this.off('event', onEvent);
            resolve();
          }
        };
        this.on('event', onEvent);
      });
    }
  }

  private emitEvent(event: EngineEvent): void {
    this.emit('event', event);
  }

  private onConnection(state: ConnectionState): void {
    const problem = this.socket.problem;
    this.emitEvent({ type: 'connection', state, ...(problem ? { problem } : {}) });
    if (state === 'online') {
      // Envelopes parked by a failed write were never acknowledged: the new connection
      // pushes them again, so holding both copies would only double the memory.
      this.parked = [];
      this.processedSinceConnect = 0;
      this.drained = false;
      this.outbox.kick();
      void rotateSignedPrekeyIfDue(this.db, this.http, this.me).catch(() => undefined);
      // The relay does not make us name our own other devices, so learn them at each
      // connection: a device added since gets the copies of what we send.
      void this.directory.refreshUser(this.me.userId).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------ receiving

  private pendingEnvelopes: Envelope[] = [];
  private flushScheduled = false;

  private onEnvelope(envelope: Envelope): void {
    if (this.closed) return;
    this.pendingEnvelopes.push(envelope);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Envelopes arriving together are stored in one transaction.
    setImmediate(() => {
      this.flushScheduled = false;
      this.receive();
    });
  }

  /** Stores (and if it can, processes) what arrived, envelopes parked by a failure first. */
  private receive(): void {
    if (this.closed) return;
    const batch = this.parked.concat(this.pendingEnvelopes.splice(0));
    this.parked = [];
    if (batch.length > 0) {
      try {
        this.storeAndProcess(batch);
      } catch (error) {
        // Nothing was stored or acknowledged; the relay's delivery window bounds how
        // many envelopes wait here.
        this.parked = batch;
        this.storageFailed(error);
        return;
      }
      this.storageRecovered();
    }
    this.kickInbox();
  }

  /** The store refused a write: tell the app, and try again later (backing off). */
  private storageFailed(error: unknown): void {
    const problem = storeFailure(error) ?? 'STORE_WRITE_FAILED';
    if (problem !== this.storageProblem) {
      this.storageProblem = problem;
      this.emitEvent({ type: 'storage', problem });
    }
    if (this.closed || this.storageRetry) return;
    this.storageRetry = setTimeout(() => {
      this.storageRetry = undefined;
      this.receive();
    }, this.storageRetryMs);
    this.storageRetryMs = Math.min(this.storageRetryMs * 2, this.retryBounds.max);
  }

  private storageRecovered(): void {
    this.storageRetryMs = this.retryBounds.min;
    if (this.storageProblem === null) return;
    this.storageProblem = null;
    this.emitEvent({ type: 'storage', problem: null });
  }

  /**
   * Stores envelopes that arrived together and, when no inbox pass is under way and
   * every sender's key is known, processes them in the same transaction: one commit
   * (one fsync, which is what a slow disk makes a person wait for) between a message's
   * arrival and its display and acknowledgement, instead of two. What is left (a long
   * backlog, a sender to look up first) goes to the inbox pass that follows.
   */
  private storeAndProcess(batch: readonly Envelope[]): void {
    const effects = emptyEffects();
    let again: bigint[] = [];
    let done: bigint[] = [];
    try {
      this.db.transaction(() => {
        again = this.inbox.storeRaw(batch);
        if (!this.processing && this.inbox.unknownSenders().length === 0) {
          done = this.inbox.processBatch(effects);
        }
      })();
    } catch {
      // Processing failed as a whole (nothing was committed): store the envelopes on
      // their own, so that they are not lost until the next connection; the inbox
      // pass processes them.
      done = [];
      again = this.inbox.storeRaw(batch);
    }
    this.socket.ack(again);
    if (done.length > 0) this.afterBatch(done, effects);
  }

  /** After a processed batch is committed: acknowledge it, then tell the UI and the outbox. */
  private afterBatch(done: bigint[], effects: InboxEffects): void {
    this.socket.ack(done);
    this.processedSinceConnect += done.length;
    this.emitEffects(effects);
    const remaining = Math.max(0, this.socket.queuedAtConnect - this.processedSinceConnect);
    this.emitEvent({ type: 'catchUp', processed: this.processedSinceConnect, remaining });
    this.outbox.kick();
  }

  private kickInbox(): void {
    if (this.closed) return;
    if (this.processing) {
      this.processAgain = true;
      return;
    }
    this.processing = true;
    void this.drainInbox()
      .catch((error: unknown) => this.storageFailed(error))
      .finally(() => {
        this.processing = false;
        if (this.processAgain && !this.closed) {
          this.processAgain = false;
          this.kickInbox();
        } else {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
  }

  private async drainInbox(): Promise<void> {
    for (;;) {
      this.processAgain = false;
      if (this.closed) return;
      // Certified keys of unknown senders are fetched before the (synchronous) batch,
      // including senders whose envelopes were stored while a fetch was under way:
      // the batch would otherwise refuse them for good as unknown.
      const tried = new Set<string>();
      // Senders whose key could not be fetched for now (the relay did not answer): their
      // envelopes wait, rather than be refused for good as unknown.
      const deferred = new Set<string>();
      for (;;) {
        const unknown = this.inbox
          .unknownSenders()
          .filter((s) => !tried.has(`${s.userId}/${s.deviceId}`));
        if (unknown.length === 0) break;
        for (const sender of unknown) {
          tried.add(`${sender.userId}/${sender.deviceId}`);
          try {
            await this.directory.refreshUser(sender.userId);
          } catch (error) {
            // A user the relay does not know: the batch records the reason (UNKNOWN_SENDER).
            if (!(error instanceof EngineError))
              deferred.add(`${sender.userId}/${sender.deviceId}`);
          }
        }
      }
      if (this.closed) return;
      if (deferred.size > 0) this.retryDeferredSenders();
      else this.deferredRetryMs = this.retryBounds.min;
      const effects = emptyEffects();
      const done = this.inbox.processBatch(effects, Date.now(), deferred);
      if (done.length === 0) return;
      this.storageRecovered();
      this.afterBatch(done, effects);
      // Let API calls and UI events through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Once per connection, a while after the catch-up: forget a bounded number of
   * envelopes processed long ago (Inbox.pruneProcessed), so that the store does not keep
   * a row for every envelope ever received. A failure is left for the next connection.
   */
  private scheduleInboxPrune(): void {
    if (this.closed || this.inboxPrune) return;
    this.inboxPrune = setTimeout(() => {
      this.inboxPrune = undefined;
      if (this.closed) return;
      try {
        this.inbox.pruneProcessed(Date.now());
      } catch {
        // Housekeeping: the store's own problem, if any, shows on the next write that matters.
      }
    }, this.inboxPruneDelayMs);
    this.inboxPrune.unref?.();
  }

  /** Tries the inbox again later (backing off) for senders whose key could not be fetched. */
  private retryDeferredSenders(): void {
    if (this.closed || this.deferredRetry) return;
    this.deferredRetry = setTimeout(() => {
      this.deferredRetry = undefined;
      this.deferredRetryMs = Math.min(this.deferredRetryMs * 2, this.retryBounds.max);
      this.kickInbox();
    }, this.deferredRetryMs);
    this.deferredRetry.unref?.();
  }

  private emitEffects(effects: InboxEffects): void {
    for (const message of this.messages.messagesById(effects.newMessages)) {
      this.emitEvent({ type: 'message', message });
    }
    // Copies of my own disappearing messages count down from their sending, and messages
    // read on my other devices from their reading.
    if (effects.newMessages.length > 0 || effects.updatedMessages.length > 0) {
      this.sweeper.schedule();
    }
    for (const message of this.messages.messagesById([...new Set(effects.updatedMessages)])) {
      this.emitEvent({ type: 'messageUpdated', message });
    }
    for (const t of effects.typing) this.emitEvent({ type: 'typing', ...t });
    if (effects.downloads.length > 0) {
      this.attachments.fetchInBackground([...new Set(effects.downloads)]);
    }
    for (const id of new Set(effects.conversations))
      this.emitEvent({ type: 'conversation', conversationId: id });
    for (const f of effects.failures)
      this.emitEvent({ type: 'undecryptable', senderId: f.senderId, reason: f.reason });
  }

  // ------------------------------------------------------------ the API

  account(): Promise<Result<AccountView>> {
    return result(() => this.accountView());
  }

  private accountView(): AccountView {
    return {
      userId: this.me.userId,
      deviceId: this.me.deviceId,
      displayName: this.me.displayName,
      institution: this.me.institution,
      title: this.me.title,
      relayUrl: this.me.relayUrl,
      clearance: this.clearances.ofUser(this.me.userId),
      ...orgPlaceOf(this.db, this.me.userId),
    };
  }

  setDelegation(delegateId: string | null, until?: number): Promise<Result<AccountView>> {
    return result(async () => {
      this.requireActiveDevice();
      if (delegateId === null) {
        this.directory.record(await this.relayCall(() => this.http.setDelegation({})));
        return this.accountView();
      }
      const now = Date.now();
      if (typeof delegateId !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(delegateId)) {
        throw new EngineError('UNKNOWN_USER', `"${String(delegateId)}" is not a valid user id.`);
      }
      if (delegateId === this.me.userId) {
        throw new EngineError('BAD_REQUEST', 'Choose a colleague other than yourself.');
      }
      if (
        typeof until !== 'number' ||
        !Number.isSafeInteger(until) ||
        until <= now ||
        until > now + MAX_DELEGATION_DAYS * 86_400_000
      ) {
        throw new EngineError(
          'BAD_REQUEST',
          `An absence ends in the future, at most ${MAX_DELEGATION_DAYS} days from now; choose another date.`,
        );
      }
      const profile = await this.relayCall(() =>
        this.http.setDelegation({ delegateUserId: delegateId, until: BigInt(until) }),
      );
      // The delegate's name, for my own view and my contacts' (fetched once if new).
      if (!this.directory.isKnown(delegateId)) {
        await this.directory.refreshUser(delegateId).catch(() => undefined);
      }
      this.directory.record(profile);
      return this.accountView();
    });
  }

  /** A request to the relay whose refusal is the person's to read (a code and a sentence). */
  private async relayCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RelayRequestError) {
        if (error.code === 'USER_NOT_FOUND') throw new EngineError('UNKNOWN_USER', error.message);
        if (error.retryable) throw new EngineError('RELAY_UNREACHABLE', error.message);
        throw new EngineError('BAD_REQUEST', error.message);
      }
      throw error;
    }
  }

  listConversations(): Promise<Result<readonly ConversationView[]>> {
    return result(() => this.messages.conversations().map((c) => this.conversationView(c)));
  }

  /**
   * What the store knows of a conversation, with the labels everyone in it is cleared
   * for and, for a broadcast channel, whether I may post in it.
   */
  private conversationView(stored: StoredConversationView): ConversationView {
    const away =
      stored.kind === 'direct' && stored.peerUserId !== null
        ? orgPlaceOf(this.db, stored.peerUserId).delegation
        : undefined;
    const view = {
      ...stored,
      clearance: this.clearances.ofConversation(stored.id),
      ...(away ? { absence: away } : {}),
    };
    const groupId = view.kind === 'group' ? groupIdOf(view.id) : null;
    const rights = groupId !== null ? this.groups.rights(groupId, this.me.userId) : null;
    if (!rights?.broadcast) return view;
    return { ...view, channel: { mayPost: rights.admin } };
  }

  /**
   * Classification rules (main/engine/classification.ts), checked before a message of
   * mine is stored. A labelled message first asks the relay for the current clearances
   * (an ICT cell may just have lowered one), waiting at most CLEARANCE_REFRESH_MS; when
   * the relay cannot be reached, what the directory last said holds.
   */
  private async requireCleared(
    conversationId: string,
    label: Classification,
    replyTo: string | null = null,
  ): Promise<void> {
    if (label !== 'none') {
      const members = this.clearances.members(conversationId);
      const refresh =
        members.length <= 2
          ? Promise.all(members.map((userId) => this.directory.refreshUser(userId)))
          : this.directory.refreshAll();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        refresh.catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, CLEARANCE_REFRESH_MS))),
      ]).finally(() => clearTimeout(timer));
    }
    const answers =
      replyTo !== null && isMessageId(replyTo)
        ? this.messages.messageRow(replyTo)?.classification
        : undefined;
    this.clearances.check(conversationId, label, (userId) => this.titleOf(userId), answers);
  }

  /** In a broadcast channel only its administrators post (text, files, reactions, edits). */
  private requireMayPost(groupId: string): void {
    const rights = this.groups.rights(groupId, this.me.userId);
    if (rights?.broadcast && !rights.admin) {
      throw new EngineError(
        'NOT_ALLOWED',
        'Only the administrators of this channel post in it; you can read and acknowledge.',
      );
    }
  }

  listMessages(
    conversationId: string,
    options: {
      readonly before?: number;
      readonly beforeMessage?: string;
      readonly limit?: number;
    } = {},
  ): Promise<Result<readonly MessageView[]>> {
    return result(() => {
      if (typeof conversationId !== 'string' || !this.messages.conversationExists(conversationId)) {
        throw new EngineError('UNKNOWN_CONVERSATION');
      }
      const { before, beforeMessage } = options;
      if (
        (before !== undefined && (typeof before !== 'number' || !Number.isFinite(before))) ||
        (beforeMessage !== undefined && typeof beforeMessage !== 'string') ||
        (options.limit !== undefined && typeof options.limit !== 'number')
      ) {
        throw new EngineError('BAD_REQUEST');
      }
      const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), 500);
      if (beforeMessage !== undefined) {
        const page = this.messages.messagesBefore(conversationId, beforeMessage, limit);
        if (!page) throw new EngineError('UNKNOWN_MESSAGE');
        return page;
      }
      return this.messages.messages(conversationId, before, limit);
    });
  }

  /** Sends a text to a user: stored and queued in one transaction, then leaves when it can. */
  sendText(
    to: string,
    text: string,
    options: {
      readonly replyTo?: string;
      readonly requestAcknowledgement?: boolean;
      readonly classification?: Classification;
    } = {},
  ): Promise<Result<MessageView>> {
    return result(() => {
      if (typeof options !== 'object' || options === null) throw new EngineError('BAD_REQUEST');
      return this.sendTextTo(to, text, options.replyTo ?? null, {
        ackRequested: options.requestAcknowledgement === true,
        classification: checkClassificationOption(options.classification),
      });
    });
  }

  /** A text to a user id or `group:<id>`, stored and queued (sendText, and forwards). */
  private async sendTextTo(
    to: string,
    text: string,
    replyTo: string | null,
    flags: OutgoingFlags,
  ): Promise<MessageView> {
    this.requireActiveDevice();
    const groupId = typeof to === 'string' ? groupIdOf(to) : null;
    if (groupId !== null) return this.sendGroupText(groupId, text, replyTo, flags);
    const peer = await this.resolvePeer(to);
    await this.requireCleared(directConversationId(peer), flags.classification ?? 'none', replyTo);
    return this.queueText(
      (now) => this.messages.ensureDirectConversation(peer, this.titleOf(peer), now),
      { users: [peer], syncDestination: peer },
      '',
      text,
      replyTo,
      flags,
    );
  }

  editMessage(messageId: string, text: string): Promise<Result<MessageView>> {
    return result(() => {
      this.requireActiveDevice();
      checkText(text);
      const target = this.ownMessage(messageId);
      if (this.acknowledgements.target(messageId)) {
        throw new EngineError(
          'NOT_ALLOWED',
          'This message asked for acknowledgements: it stays as it was sent. Send a new message instead.',
        );
      }
      const now = Date.now();
      return this.sendChange(
        target,
        messageId,
        now,
        { case: 'edit', value: { targetId: messageId, body: text } },
        () => this.messages.edit(messageId, this.me.userId, text, now),
      );
    });
  }

  deleteMessage(messageId: string): Promise<Result<MessageView>> {
    return result(() => {
      this.requireActiveDevice();
      const target = this.ownMessage(messageId);
      const now = Date.now();
      return this.sendChange(
        target,
        messageId,
        now,
        { case: 'delete', value: { targetId: messageId } },
        () => this.messages.delete(messageId, this.me.userId, now),
      );
    });
  }

  react(messageId: string, emoji: string): Promise<Result<MessageView>> {
    return result(() => {
      this.requireActiveDevice();
      if (typeof emoji !== 'string' || [...emoji].length > 8) {
        throw new EngineError('BAD_REQUEST', 'A reaction is one emoji (or empty to remove it).');
      }
      if (!isMessageId(messageId)) throw new EngineError('UNKNOWN_MESSAGE');
      const target = this.messages.messageRow(messageId);
      if (!target) throw new EngineError('UNKNOWN_MESSAGE');
      const now = Date.now();
      return this.sendChange(
        target,
        messageId,
        now,
        { case: 'reaction', value: { targetId: messageId, emoji } },
        () => this.messages.react(messageId, this.me.userId, emoji, now),
      );
    });
  }

  markRead(conversationId: string): Promise<Result<number>> {
    return result(() => {
      if (!this.messages.conversationExists(conversationId))
        throw new EngineError('UNKNOWN_CONVERSATION');
      let count = 0;
      const now = Date.now();
      const counting: string[] = [];
      this.db.transaction(() => {
        const read = this.messages.markRead(conversationId);
        if (read.length > 0) {
          // Our other devices mark them read too (without a second receipt to the senders).
          this.outbox.enqueue(
            encodeContent({
              case: 'syncRead',
              value: { messageIds: read.flatMap((r) => r.ids) },
            }),
            { users: [], syncDestination: '' },
            null,
            null,
          );
        }
        for (const { senderId, ids } of read) {
          count += ids.length;
          // Disappearing messages count down from when they are read.
          counting.push(...this.disappearing.startOnRead(ids, now));
          this.outbox.enqueue(
            encodeContent({ case: 'receipt', value: { kind: 1, messageIds: ids } }),
            { users: [senderId], syncDestination: null },
            null,
            null,
          );
        }
      })();
      this.outbox.kick();
      if (counting.length > 0) {
        // The app shows when each goes.
        for (const id of counting) {
          const message = this.messages.message(id);
          if (message) this.emitEvent({ type: 'messageUpdated', message });
        }
        this.sweeper.schedule();
      }
      return count;
    });
  }

  setExpireTimer(conversationId: string, seconds: number): Promise<Result<MessageView>> {
    return result(() => {
      this.requireActiveDevice();
      if (!isExpireSeconds(seconds)) {
        throw new EngineError(
          'BAD_REQUEST',
          `A timer is 0 (off) or a whole number of seconds from ${MIN_EXPIRE_SECONDS} to ${MAX_EXPIRE_SECONDS}.`,
        );
      }
      if (seconds > 0 && !this.allowDisappearingMessages) {
        throw new EngineError(
          'NOT_ALLOWED',
          'Your ICT cell keeps every message on this computer: disappearing messages cannot be turned on.',
        );
      }
      if (typeof conversationId !== 'string' || !this.messages.conversationExists(conversationId)) {
        throw new EngineError('UNKNOWN_CONVERSATION');
      }
      const groupId = groupIdOf(conversationId);
      if (groupId !== null) {
        const roster = this.requireActiveMember(groupId);
        if (!roster.members.some((m) => m.userId === this.me.userId && m.admin)) {
          throw new EngineError(
            'NOT_ALLOWED',
            'Only an administrator of this group can change its disappearing messages.',
          );
        }
      }
      const recipients = this.recipientsOf(conversationId);
      const id = newMessageId();
      const now = Date.now();
      const payload = encodeContent({
        case: 'data',
        value: {
          id,
          sentAt: BigInt(now),
          groupId: groupId ?? '',
          kind: { case: 'timerChange', value: { seconds } },
        },
      });
      this.db.transaction(() => {
        this.insertOutgoing(id, conversationId, now, null, null, {
          kind: 'timer',
          expireSeconds: seconds,
        });
        this.disappearing.setTimer(conversationId, seconds, now);
        this.outbox.enqueue(payload, recipients, id, conversationId, now);
      })();
      this.outbox.kick();
      const message = this.messages.message(id)!;
      this.emitEvent({ type: 'message', message });
      this.emitEvent({ type: 'conversation', conversationId });
      return message;
    });
  }

  setDraft(conversationId: string, draft: string): Promise<Result<void>> {
    return result(() => {
      if (!this.messages.conversationExists(conversationId))
        throw new EngineError('UNKNOWN_CONVERSATION');
      if (typeof draft !== 'string' || draft.length > MAX_TEXT_CHARS)
        throw new EngineError('BAD_REQUEST');
      this.messages.setDraft(conversationId, draft, Date.now());
    });
  }

  setTyping(conversationId: string, typing: boolean): Promise<Result<void>> {
    return result(() => {
      // Typing in groups is not sent (it would cost every member a sender-key step).
      if (groupIdOf(conversationId) !== null) return;
      const peer = this.peerOf(conversationId);
      // Typing is ephemeral: it is sent only when online and never queued.
      if (this.socket.connectionState !== 'online') return;
      this.db.transaction(() =>
        this.outbox.enqueue(
          encodeContent({ case: 'typing', value: { typing: Boolean(typing), groupId: '' } }),
          { users: [peer], syncDestination: null },
          null,
          null,
        ),
      )();
      this.outbox.kick();
    });
  }

  contacts(): Promise<Result<readonly ContactView[]>> {
    return result(async () => {
      try {
        await this.directory.refreshAll();
      } catch {
        // Offline: show what we know.
      }
      const rows = this.db
        .prepare('SELECT * FROM contacts ORDER BY institution, display_name')
        .all() as {
        user_id: string;
        display_name: string;
        institution: string;
        title: string;
        verified: number;
        clearance: number;
      }[];
      // Devices and key changes of everyone in one query each, not two per person: a
      // ministry-wide directory lists thousands.
      const changed = new Set(
        statement(this.db, 'SELECT DISTINCT user_id FROM identity_changes WHERE acknowledged = 0')
          .pluck()
          .all() as string[],
      );
      const devices = new Map<string, { deviceId: number; active: boolean }[]>();
      for (const d of statement(
        this.db,
        'SELECT user_id, device_id, active FROM contact_devices ORDER BY user_id, device_id',
      ).all() as { user_id: string; device_id: number; active: number }[]) {
        const list = devices.get(d.user_id) ?? [];
        list.push({ deviceId: d.device_id, active: d.active === 1 });
        devices.set(d.user_id, list);
      }
      return rows
        .filter((r) => r.user_id !== this.me.userId)
        .map((r) => ({
          userId: r.user_id,
          displayName: r.display_name,
          institution: r.institution,
          title: r.title,
          verified: r.verified === 1,
          clearance: labelOfLevel(r.clearance),
          ...orgPlaceOf(this.db, r.user_id),
          identityChanged: changed.has(r.user_id),
          devices: devices.get(r.user_id) ?? [],
        }));
    });
  }

  /**
   * The safety number with a contact. Until user-level signing keys exist, each
   * side's key is the BLAKE2b digest of its active device identity keys (sorted),
   * so adding or replacing a device changes the number, as it should.
   */
  safetyNumber(userId: string): Promise<Result<SafetyNumberView>> {
    return result(async () => {
      const peer = await this.resolvePeer(userId);
      if (
        this.directory.activeDevices(this.me.userId).length === 0 &&
        !this.directory.isKnown(this.me.userId)
      ) {
        await this.directory.refreshUser(this.me.userId).catch(() => []);
      }
      const mine = this.identityDigest(this.me.userId, [this.me.identity.publicKey]);
      const theirs = this.identityDigest(peer, []);
      const number = safetyNumber(
        { stableId: this.me.userId, publicKey: asEd25519PublicKey(mine) },
        { stableId: peer, publicKey: asEd25519PublicKey(theirs) },
      );
      const verified =
        (this.db
          .prepare('SELECT verified FROM contacts WHERE user_id = ?')
          .pluck()
          .get(peer) as number) === 1;
      return { userId: peer, digits: number.digits, groups: number.groups, verified };
    });
  }

  markVerified(userId: string): Promise<Result<void>> {
    return result(() => {
      if (!this.directory.isKnown(userId)) throw new EngineError('UNKNOWN_USER');
      this.db.transaction(() => {
        this.db.prepare('UPDATE contacts SET verified = 1 WHERE user_id = ?').run(userId);
        this.db
          .prepare('UPDATE identity_changes SET acknowledged = 1 WHERE user_id = ?')
          .run(userId);
      })();
    });
  }

  /** This account's devices as the relay certifies them (refreshed when online). */
  async ownDevices(): Promise<{ deviceId: number; active: boolean }[]> {
    try {
      await this.directory.refreshUser(this.me.userId);
    } catch {
      // Offline: what we know.
    }
    const rows = this.db
      .prepare('SELECT device_id, active FROM contact_devices WHERE user_id = ? ORDER BY device_id')
      .all(this.me.userId) as { device_id: number; active: number }[];
    const devices = rows.map((r) => ({ deviceId: r.device_id, active: r.active === 1 }));
    if (!devices.some((d) => d.deviceId === this.me.deviceId))
      devices.unshift({ deviceId: this.me.deviceId, active: true });
    return devices;
  }

  /** Envelopes kept because they could not be decrypted, with their reasons. */
  failedEnvelopes(): { serverId: number; senderId: string; code: string; reason: string }[] {
    return (
      this.db
        .prepare(
          `SELECT server_id, sender_user, failure_code, failure_reason FROM inbox WHERE state = 'failed'`,
        )
        .all() as {
        server_id: number;
        sender_user: string;
        failure_code: string;
        failure_reason: string;
      }[]
    ).map((r) => ({
      serverId: r.server_id,
      senderId: r.sender_user,
      code: r.failure_code,
      reason: r.failure_reason,
    }));
  }

  // ------------------------------------------------------------ search

  search(
    query: string,
    options: { readonly conversationId?: string; readonly limit?: number } = {},
  ): Promise<Result<readonly SearchHit[]>> {
    return result(() => {
      if (typeof query !== 'string')
        throw new EngineError('BAD_REQUEST', 'A search needs some text.');
      return searchIndex(this.db, query, {
        ...(options.conversationId !== undefined ? { conversationId: options.conversationId } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      }).map((hit) => ({
        id: hit.id,
        conversationId: hit.conversation,
        senderId: hit.from,
        sentAt: hit.sentAt,
        snippet: hit.snippet.map((part) => ({ text: part.text, match: part.match })),
      }));
    });
  }

  // ------------------------------------------------------------ settings

  settings(): Promise<Result<SettingsView>> {
    return result(() => this.readSettings());
  }

  updateSettings(change: Partial<SettingsView>): Promise<Result<SettingsView>> {
    return result(() => {
      if (typeof change !== 'object' || change === null) throw new EngineError('BAD_REQUEST');
      const next = { ...this.readSettings() };
      if (change.language !== undefined) {
        if (change.language !== 'fr' && change.language !== 'en') {
          throw new EngineError('BAD_REQUEST', 'The language is "fr" or "en".');
        }
        next.language = change.language;
      }
      if (change.notificationsShowText !== undefined) {
        if (typeof change.notificationsShowText !== 'boolean') throw new EngineError('BAD_REQUEST');
        next.notificationsShowText = change.notificationsShowText;
      }
      if (change.lockDelayMinutes !== undefined) {
        const minutes = change.lockDelayMinutes;
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
          throw new EngineError('BAD_REQUEST', 'The lock delay is between 1 minute and 24 hours.');
        }
        next.lockDelayMinutes = minutes;
      }
      const put = statement(this.db, 'INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
      this.db.transaction(() => {
        put.run('language', next.language);
        put.run('notificationsShowText', String(next.notificationsShowText));
        put.run('lockDelayMinutes', String(next.lockDelayMinutes));
      })();
      return next;
    });
  }

  private readSettings(): {
    language: 'fr' | 'en';
    notificationsShowText: boolean;
    lockDelayMinutes: number;
  } {
    const get = (key: string) =>
      statement(this.db, 'SELECT value FROM settings WHERE key = ?').pluck().get(key) as
        string | undefined;
    const minutes = Number(get('lockDelayMinutes'));
    return {
      language: get('language') === 'en' ? 'en' : 'fr',
      // Off by default: a notification on a shared screen must not show the text.
      notificationsShowText: get('notificationsShowText') === 'true',
      lockDelayMinutes: Number.isInteger(minutes) && minutes > 0 ? minutes : 10,
    };
  }

  // ------------------------------------------------------------ files

  /**
   * Sends a file: the message is stored at once (waiting, with its progress bar);
   * the file is encrypted and uploaded (resumable, across restarts); only then is
   * the message queued, so texts never wait behind a big file.
   */
  sendFile(
    to: string,
    filePath: string,
    options: SendFileOptions = {},
  ): Promise<Result<MessageView>> {
    return result(async () => {
      this.requireActiveDevice();
      if (typeof filePath !== 'string' || filePath.length === 0) {
        throw new EngineError('BAD_REQUEST', 'Choose a file to send.');
      }
      if (typeof options !== 'object' || options === null) throw new EngineError('BAD_REQUEST');
      let preview: Uint8Array | null = null;
      if (options.preview !== undefined) {
        preview = typeof options.preview === 'string' ? previewFromDataUrl(options.preview) : null;
        if (!preview) {
          throw new EngineError(
            'BAD_REQUEST',
            `The preview of a file must be a JPEG, PNG or WebP picture of at most ${MAX_PREVIEW_BYTES / 1024} KiB, as a data: URL.`,
          );
        }
      }
      const label = checkClassificationOption(options.classification);
      const conversationId = await this.conversationFor(to);
      await this.requireCleared(conversationId, label);
      let attachmentId: string;
      let signed: SignedDocument | null = null;
      try {
        attachmentId = await this.attachments.prepareUpload(filePath);
        if (options.signDocument === true) signed = await this.signFile(attachmentId, filePath);
      } catch (error) {
        if (isAttachmentError(error)) throw new EngineError(error.code, error.message);
        throw error;
      }
      return this.storeFileMessage(conversationId, '', [attachmentId], {
        ackRequested: options.requestAcknowledgement === true,
        classification: label,
        also: () => {
          if (preview) this.previews.keep(attachmentId, preview);
          if (signed) this.documents.keep(attachmentId, signed);
        },
      });
    });
  }

  /**
   * Signs a file about to be sent as a document: the SHA-256 of what the upload will
   * read (the same size, or the file changed meanwhile), with its name as it travels.
   */
  private async signFile(attachmentId: string, filePath: string): Promise<SignedDocument> {
    const info = this.attachments.info(attachmentId);
    let content: { sha256: Uint8Array; size: number };
    try {
      content = await fileSha256(filePath);
    } catch (error) {
      throw new EngineError(
        'ATTACHMENT_SOURCE_UNREADABLE',
        `The file ${filePath} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      );
    }
    if (content.size !== info.size) {
      throw new EngineError(
        'ATTACHMENT_SOURCE_CHANGED',
        'The file changed while it was being signed; send it again once it is saved.',
      );
    }
    const certificate = new Uint8Array(
      statement(this.db, 'SELECT certificate FROM account WHERE id = 1')
        .pluck()
        .get() as Uint8Array,
    );
    return signDocument(
      this.me,
      certificate,
      { name: info.name, size: info.size, sha256: content.sha256 },
      Date.now(),
    );
  }

  /**
   * « Vérifier un document »: the signed documents of this store whose content is that
   * of the file at `filePath`.
   */
  verifyDocument(filePath: string): Promise<Result<DocumentCheck>> {
    return result(async () => {
      if (typeof filePath !== 'string' || filePath.length === 0) {
        throw new EngineError('BAD_REQUEST', 'Choose a file to check.');
      }
      let content: { sha256: Uint8Array; size: number };
      try {
        content = await fileSha256(filePath);
      } catch (error) {
        // Not the path: the app's own staging folder is none of the person's business.
        throw new EngineError(
          'ATTACHMENT_SOURCE_UNREADABLE',
          `The file to check cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        );
      }
      const matches = this.documents
        .withSha256(content.sha256)
        .filter((d) => d.size === content.size)
        .map((d): DocumentMatch => {
          const carrier = statement(
            this.db,
            `SELECT m.id, m.conversation_id FROM message_attachments a
               JOIN messages m ON m.id = a.message_id
             WHERE a.attachment_id = ? ORDER BY m.sent_at, m.seq LIMIT 1`,
          ).get(d.attachmentId) as { id: string; conversation_id: string } | undefined;
          return {
            ...this.documentView(d),
            attachmentId: d.attachmentId,
            name: d.name,
            size: d.size,
            messageId: carrier?.id ?? null,
            conversationId: carrier?.conversation_id ?? null,
          };
        });
      return { sha256: toHex(content.sha256), size: content.size, matches };
    });
  }

  /**
   * The evidence of a signed document, for `comgov attestation`: the signature and the
   * certificate, checked again against the pinned relay key.
   */
  documentEvidence(attachmentId: string): DocumentEvidence {
    const document = typeof attachmentId === 'string' ? this.documents.get(attachmentId) : null;
    if (!document) {
      throw new EngineError(
        'UNKNOWN_MESSAGE',
        `"${String(attachmentId)}" is not a signed document here.`,
      );
    }
    let valid: boolean;
    try {
      const again = verifyDocumentSignature(
        this.me.relayPublicKey,
        {
          sha256: document.sha256,
          signedAt: BigInt(document.signedAt),
          certificate: document.certificate,
          signature: document.signature,
        },
        { name: document.name, size: document.size },
      );
      valid = again.signer === document.signer && again.signerDevice === document.signerDevice;
    } catch {
      valid = false;
    }
    return {
      ...this.documentView(document),
      attachmentId,
      name: document.name,
      size: document.size,
      signerDevice: document.signerDevice,
      certificate: document.certificate,
      signature: document.signature,
      relayPublicKey: this.me.relayPublicKey,
      valid,
    };
  }

  /** Who signed a document, as the app shows it. */
  private documentView(document: SignedDocument): DocumentSignatureView {
    const contact = statement(
      this.db,
      'SELECT display_name, institution FROM contacts WHERE user_id = ?',
    ).get(document.signer) as { display_name: string; institution: string } | undefined;
    return {
      signerId: document.signer,
      signerName: contact?.display_name ?? document.signer,
      signerInstitution: contact?.institution ?? '',
      signedAt: document.signedAt,
      sha256: toHex(document.sha256),
    };
  }

  /** Writes a received attachment to `outPath`, fetching it if needed (verified before it is renamed into place). */
  saveAttachment(attachmentId: string, outPath: string): Promise<Result<void>> {
    return result(async () => {
      if (typeof attachmentId !== 'string' || typeof outPath !== 'string')
        throw new EngineError('BAD_REQUEST');
      // A signed document is written out only if its content is the one signed.
      const signed = this.documents.get(attachmentId);
      try {
        // A file still arriving is decrypted as it comes, not after its last byte.
        await this.attachments.fetchAndSave(
          attachmentId,
          outPath,
          signed ? { expectedSha256: signed.sha256 } : {},
        );
      } catch (error) {
        if (isAttachmentError(error)) throw new EngineError(error.code, error.message);
        throw error;
      }
    });
  }

  /**
   * A picture decrypted for display in the app, fetched first if it has not arrived
   * yet. The bytes decide (a JPEG, PNG, GIF or WebP signature), not the name or the
   * declared type; at most MAX_VIEWABLE_BYTES; nothing is written anywhere.
   */
  viewAttachment(attachmentId: string): Promise<Result<{ readonly dataUrl: string }>> {
    return result(async () => {
      if (typeof attachmentId !== 'string') throw new EngineError('BAD_REQUEST');
      const notViewable = () => new EngineError('ATTACHMENT_NOT_VIEWABLE');
      try {
        const info = this.attachments.info(attachmentId);
        if (info.size > MAX_VIEWABLE_BYTES || !info.type.startsWith('image/')) throw notViewable();
        if (info.state !== 'done') await this.attachments.run(attachmentId);
        const chunks: Buffer[] = [];
        let length = 0;
        for await (const chunk of this.attachments.open(attachmentId) as AsyncIterable<Buffer>) {
          length += chunk.length;
          if (length > MAX_VIEWABLE_BYTES) throw notViewable();
          chunks.push(chunk);
        }
        const bytes = Buffer.concat(chunks, length);
        const signed = this.documents.get(attachmentId);
        if (signed && !bytesEqual(sha256(bytes), signed.sha256)) {
          throw new EngineError(
            'ATTACHMENT_CORRUPT',
            `The content of ${info.name} differs from the signed document: it is not shown.`,
          );
        }
        const type = pictureType(bytes);
        if (!type) throw notViewable();
        return { dataUrl: `data:${type};base64,${bytes.toString('base64')}` };
      } catch (error) {
        if (isAttachmentError(error)) throw new EngineError(error.code, error.message);
        throw error;
      }
    });
  }

  /**
   * Forwards a message (its text and its files) to a user or a group. The files are
   * not uploaded again: the new message carries the same relay blobs, received files
   * included, even before they are fetched here (the new recipient checks the same
   * hash); queued at once, like a text.
   */
  acknowledge(messageId: string): Promise<Result<MessageView>> {
    return result(() => {
      this.requireActiveDevice();
      if (typeof messageId !== 'string' || !isMessageId(messageId)) {
        throw new EngineError('UNKNOWN_MESSAGE');
      }
      if (!this.messages.messageRow(messageId)) throw new EngineError('UNKNOWN_MESSAGE');
      const target = this.acknowledgements.target(messageId);
      if (!target) {
        throw new EngineError('NOT_ALLOWED', 'This message did not ask for an acknowledgement.');
      }
      if (target.outgoing || target.author === this.me.userId) {
        throw new EngineError('NOT_ALLOWED', 'You wrote this message: the others acknowledge it.');
      }
      if (target.deleted) throw new EngineError('NOT_ALLOWED', 'This message was deleted.');
      const done = this.messages
        .message(messageId)
        ?.acknowledgement?.by.some((b) => b.userId === this.me.userId);
      if (done) return this.messages.message(messageId)!;
      const at = Date.now();
      const certificate = new Uint8Array(
        statement(this.db, 'SELECT certificate FROM account WHERE id = 1')
          .pluck()
          .get() as Uint8Array,
      );
      const fields = {
        signer: this.me.userId,
        signerDevice: this.me.deviceId,
        targetId: messageId,
        targetAuthor: target.author,
        digest: target.digest,
        at,
      };
      const signature = sign(this.me.identity.secretKey, acknowledgementSignedBytes(fields));
      return this.sendChange(
        target,
        messageId,
        at,
        {
          case: 'acknowledgement',
          value: {
            targetId: messageId,
            targetAuthor: target.author,
            digest: target.digest,
            at: BigInt(at),
            certificate,
            signature,
          },
        },
        () => this.acknowledgements.record({ ...fields, certificate, signature }),
      );
    });
  }

  /**
   * The signed acknowledgements of a message with what proves each (the signer device's
   * relay certificate and signature), each checked again against the pinned relay key
   * and this store's copy of the message (CLI: `comgov acknowledgements`).
   */
  acknowledgementEvidence(messageId: string): {
    readonly messageId: string;
    readonly author: string;
    readonly digest: Uint8Array;
    readonly relayPublicKey: Uint8Array;
    readonly acknowledgements: readonly (AcknowledgementRow & { readonly valid: boolean })[];
  } {
    const target = isMessageId(messageId) ? this.acknowledgements.target(messageId) : null;
    if (!target) {
      throw new EngineError(
        'UNKNOWN_MESSAGE',
        'No message with this id asked for acknowledgements.',
      );
    }
    return {
      messageId,
      author: target.author,
      digest: target.digest,
      relayPublicKey: this.me.relayPublicKey,
      acknowledgements: this.acknowledgements.evidence(messageId).map((row) => {
        let valid = bytesEqual(row.digest, target.digest);
        try {
          verifyAcknowledgement(this.me.relayPublicKey, {
            signer: row.userId,
            signerDevice: row.deviceId,
            targetId: messageId,
            targetAuthor: target.author,
            digest: row.digest,
            at: row.at,
            certificate: row.certificate,
            signature: row.signature,
          });
        } catch {
          valid = false;
        }
        return { ...row, valid };
      }),
    };
  }

  forwardMessage(messageId: string, to: string): Promise<Result<MessageView>> {
    return result(async () => {
      this.requireActiveDevice();
      if (typeof messageId !== 'string' || !isMessageId(messageId)) {
        throw new EngineError('UNKNOWN_MESSAGE');
      }
      const source = this.messages.message(messageId);
      if (!source || source.deletedAt !== null) throw new EngineError('UNKNOWN_MESSAGE');
      const files = (source.attachments ?? []).map((a) => a.id);
      // The copy keeps the label: it may only go where everyone is cleared for it.
      const classification = source.classification ?? 'none';
      if (files.length === 0) {
        return this.sendTextTo(to, source.text ?? '', null, { forwarded: true, classification });
      }
      for (const id of files) {
        try {
          this.attachments.descriptor(id);
        } catch (error) {
          if (isAttachmentError(error)) throw new EngineError(error.code, error.message);
          throw error;
        }
      }
      const conversationId = await this.conversationFor(to);
      await this.requireCleared(conversationId, classification);
      return this.storeFileMessage(conversationId, source.text ?? '', files, {
        forwarded: true,
        classification,
      });
    });
  }

  /**
   * Stores an outgoing message carrying files (waiting, with its progress bars;
   * `options.also` joins the same transaction), then finishes it in the background: uploads what is
   * not on the relay yet, then queues it.
   */
  private storeFileMessage(
    conversationId: string,
    body: string,
    attachmentIds: readonly string[],
    options: OutgoingFlags & { readonly also?: () => void } = {},
  ): MessageView {
    const id = newMessageId();
    const now = Date.now();
    this.db.transaction(() => {
      this.insertOutgoing(id, conversationId, now, body, null, {
        forwarded: options.forwarded === true,
        ackRequested: options.ackRequested === true,
        classification: options.classification ?? 'none',
        expireSeconds: this.disappearing.timerOf(conversationId),
      });
      attachmentIds.forEach((attachmentId, position) =>
        statement(
          this.db,
          'INSERT INTO message_attachments (message_id, attachment_id, position) VALUES (?, ?, ?)',
        ).run(id, attachmentId, position),
      );
      options.also?.();
    })();
    const message = this.messages.message(id)!;
    this.emitEvent({ type: 'message', message });
    void this.finishFileSend(id).catch(() => undefined);
    return message;
  }

  /** The conversation of a user id (created if new) or of `group:<id>` (of which I am a member). */
  private async conversationFor(to: string): Promise<string> {
    const groupId = typeof to === 'string' ? groupIdOf(to) : null;
    if (groupId !== null) {
      if (!isGroupId(groupId)) throw new EngineError('UNKNOWN_CONVERSATION');
      this.requireActiveMember(groupId);
      this.requireMayPost(groupId);
      return groupConversationId(groupId);
    }
    const peer = await this.resolvePeer(to);
    return this.db.transaction(() =>
      this.messages.ensureDirectConversation(peer, this.titleOf(peer), Date.now()),
    )();
  }

  /**
   * Uploads (or resumes) the files of a waiting outgoing message, then queues it. Files
   * received (a forward) are on the relay already: nothing to wait for.
   */
  private async finishFileSend(messageId: string): Promise<void> {
    const ids = statement(
      this.db,
      'SELECT attachment_id FROM message_attachments WHERE message_id = ? ORDER BY position',
    )
      .pluck()
      .all(messageId) as string[];
    // A forward names files that may have left the relay since (its blob TTL): they go
    // up again from the copies kept here.
    const forward = this.messages.message(messageId)?.forwarded === true;
    try {
      for (const id of ids) {
        if (this.attachments.info(id).direction === 'upload') await this.attachments.run(id);
        if (forward) await this.attachments.ensureOnRelay(id, { signal: this.closing.signal });
      }
    } catch (error) {
      // A file that can never leave (too large for the relay, over the quota, no longer
      // readable, gone from the relay and not kept here): its message says why instead
      // of waiting for ever. Anything else (a stop at close) leaves it waiting, to be
      // finished at the next start.
      if (this.closed || !isAttachmentError(error)) throw error;
      const permanent =
        ids.some((id) => this.attachments.info(id).state === 'failed') ||
        (forward && error.code !== 'ATTACHMENT_STOPPED');
      if (!permanent) throw error;
      const reason = errorText(error.code, this.readSettings().language);
      statement(
        this.db,
        `UPDATE messages SET status = 'refused', refusal_reason = ? WHERE id = ? AND status = 'waiting'`,
      ).run(reason, messageId);
      const message = this.messages.message(messageId);
      if (message) this.emitEvent({ type: 'messageUpdated', message });
      return;
    }
    if (this.closed) return;
    const row = this.messages.messageRow(messageId);
    if (!row) return;
    const descriptors = ids.map((id) => this.attachments.descriptor(id));
    const groupId = groupIdOf(row.conversationId);
    const stored = this.messages.message(messageId);
    const sentAt = stored?.sentAt ?? Date.now();
    const payload = encodeContent({
      case: 'data',
      value: {
        id: messageId,
        sentAt: BigInt(sentAt),
        groupId: groupId ?? '',
        kind: {
          case: 'text',
          value: {
            body: stored?.text ?? '',
            replyTo: '',
            forwarded: stored?.forwarded === true,
            ackRequested: stored?.acknowledgement !== undefined,
            attachments: descriptors.map((d, i) => ({
              blobId: d.blobId,
              key: d.key,
              blake2b: d.hash,
              name: d.name,
              type: d.type,
              size: BigInt(d.size),
              chunkSize: d.chunkSize,
              preview: this.previews.get(ids[i]!) ?? new Uint8Array(),
              // A signed document's signature travels with it, forwards included.
              document: this.documents.wire(ids[i]!),
            })),
          },
        },
        expireSeconds: stored?.expireSeconds ?? 0,
        classification: classificationLevel(stored?.classification ?? 'none'),
      },
    });
    this.db.transaction(() => {
      // Queued once: a message already in the outbox (resumed twice) is left alone.
      if (statement(this.db, 'SELECT 1 FROM outbox WHERE message_id = ?').get(messageId)) return;
      this.outbox.enqueue(
        payload,
        this.recipientsOf(row.conversationId),
        messageId,
        row.conversationId,
      );
    })();
    this.outbox.kick();
  }

  /** File messages whose upload was cut by a restart: finish them. */
  private resumeFileSends(): void {
    const waiting = statement(
      this.db,
      `SELECT DISTINCT m.id FROM messages m JOIN message_attachments a ON a.message_id = m.id
       WHERE m.outgoing = 1 AND m.status = 'waiting'
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id)`,
    )
      .pluck()
      .all() as string[];
    for (const id of waiting) void this.finishFileSend(id).catch(() => undefined);
  }

  private attachmentViews(attachmentIds: readonly string[]): AttachmentView[] {
    return attachmentIds.map((id) => {
      const info = this.attachments.info(id);
      const transferred =
        info.cipherSize > 0
          ? Math.min(info.size, Math.floor((info.offset / info.cipherSize) * info.size))
          : 0;
      const state: AttachmentView['state'] =
        info.state === 'failed'
          ? 'failed'
          : info.state === 'done'
            ? info.direction === 'upload'
              ? 'uploaded'
              : 'available'
            : info.direction === 'upload'
              ? 'uploading'
              : 'downloading';
      const failure = info.state === 'failed' ? info.error?.code : undefined;
      const preview = this.previews.get(id);
      const document = this.documents.get(id);
      return {
        id,
        name: info.name,
        type: info.type,
        size: info.size,
        transferred: info.state === 'done' ? info.size : transferred,
        state,
        ...(preview ? { preview: previewDataUrl(preview) } : {}),
        ...(failure !== undefined ? { failure: isErrorCode(failure) ? failure : 'INTERNAL' } : {}),
        ...(document ? { document: this.documentView(document) } : {}),
      };
    });
  }

  // ------------------------------------------------------------ groups

  createGroup(
    name: string,
    members: readonly string[],
    options: { readonly broadcast?: boolean } = {},
  ): Promise<Result<ConversationView>> {
    return result(async () => {
      this.requireActiveDevice();
      if (typeof options !== 'object' || options === null) throw new EngineError('BAD_REQUEST');
      const title = checkGroupName(name);
      if (!Array.isArray(members) || members.length === 0 || members.length >= MAX_GROUP_MEMBERS) {
        throw new EngineError(
          'BAD_REQUEST',
          `A group needs between 1 and ${MAX_GROUP_MEMBERS - 1} other members.`,
        );
      }
      const others = [...new Set(members)].filter((m) => m !== this.me.userId);
      for (const userId of others) await this.resolvePeer(userId);
      const groupId = newMessageId();
      const roster: RosterMember[] = [
        { userId: this.me.userId, admin: true },
        ...others.map((userId) => ({ userId, admin: false })),
      ];
      this.changeRoster(
        groupId,
        'create',
        { members: roster, name: title, broadcast: options.broadcast === true },
        [],
      );
      return this.conversationView(
        this.messages.conversations().find((c) => c.id === groupConversationId(groupId))!,
      );
    });
  }

  renameGroup(conversationId: string, name: string): Promise<Result<void>> {
    return result(() => {
      this.requireActiveDevice();
      const roster = this.requireActiveMember(this.groupOf(conversationId));
      this.changeRoster(
        roster.groupId,
        'rename',
        { members: roster.members, name: checkGroupName(name) },
        [],
      );
    });
  }

  addGroupMember(conversationId: string, userId: string): Promise<Result<void>> {
    return result(async () => {
      this.requireActiveDevice();
      const roster = this.requireActiveMember(this.groupOf(conversationId));
      await this.resolvePeer(userId);
      if (roster.members.some((m) => m.userId === userId)) return;
      this.changeRoster(
        roster.groupId,
        'add',
        {
          subject: userId,
          members: [...roster.members, { userId, admin: false }],
          name: roster.name,
        },
        [],
      );
    });
  }

  removeGroupMember(conversationId: string, userId: string): Promise<Result<void>> {
    return result(() => {
      this.requireActiveDevice();
      const roster = this.requireActiveMember(this.groupOf(conversationId));
      if (userId === this.me.userId)
        throw new EngineError('BAD_REQUEST', 'To leave a group, use "leave".');
      if (!roster.members.some((m) => m.userId === userId)) throw new EngineError('UNKNOWN_USER');
      this.changeRoster(
        roster.groupId,
        'remove',
        {
          subject: userId,
          members: roster.members.filter((m) => m.userId !== userId),
          name: roster.name,
        },
        [userId],
      );
    });
  }

  leaveGroup(conversationId: string): Promise<Result<void>> {
    return result(() => {
      this.requireActiveDevice();
      const roster = this.requireActiveMember(this.groupOf(conversationId));
      const remaining = roster.members.filter((m) => m.userId !== this.me.userId);
      if (remaining.length === 0) {
        this.db.transaction(() => this.groups.markLeft(roster.groupId, Date.now()))();
        return;
      }
      const adminsLeft = remaining.some((m) => m.admin);
      const members = remaining.map((m, i) => ({
        userId: m.userId,
        admin: m.admin || (!adminsLeft && i === 0),
      }));
      this.changeRoster(
        roster.groupId,
        'leave',
        { subject: this.me.userId, members, name: roster.name },
        [this.me.userId],
      );
    });
  }

  groupMembers(conversationId: string): Promise<Result<readonly GroupMemberView[]>> {
    return result(() => {
      const groupId = this.groupOf(conversationId);
      return this.groups.members(groupId).map((m) => ({
        userId: m.userId,
        displayName: this.titleOf(m.userId),
        admin: m.admin,
      }));
    });
  }

  private groupOf(conversationId: string): string {
    const groupId = typeof conversationId === 'string' ? groupIdOf(conversationId) : null;
    if (groupId === null || !isGroupId(groupId) || !this.groups.roster(groupId)) {
      throw new EngineError('UNKNOWN_CONVERSATION');
    }
    return groupId;
  }

  private requireActiveMember(groupId: string) {
    const roster = this.groups.roster(groupId);
    if (!roster) throw new EngineError('UNKNOWN_CONVERSATION');
    if (this.groups.hasLeft(groupId) || !roster.members.some((m) => m.userId === this.me.userId)) {
      throw new EngineError('NOT_ALLOWED', 'You are no longer a member of this group.');
    }
    return roster;
  }

  /**
   * Signs the next roster entry, verifies it as any member would, stores it and
   * sends the whole history to every member device (and to `alsoTell`, e.g. the
   * member removed), in one transaction.
   */
  private changeRoster(
    groupId: string,
    action: RosterAction,
    change: {
      subject?: string;
      members: readonly RosterMember[];
      name: string;
      broadcast?: boolean;
    },
    alsoTell: readonly string[],
  ): void {
    const previous = action === 'create' ? null : this.groups.roster(groupId);
    if (action !== 'create' && !previous) throw new EngineError('UNKNOWN_CONVERSATION');
    const certificate = statement(this.db, 'SELECT certificate FROM account WHERE id = 1')
      .pluck()
      .get() as Uint8Array;
    const signed = signEntry(
      {
        userId: this.me.userId,
        secretKey: this.me.identity.secretKey,
        certificate: new Uint8Array(certificate),
      },
      groupId,
      previous,
      action,
      change,
    );
    // The same checks every member will run: a change we may not make fails here.
    const state = applyEntry(previous, signed, this.me.relayPublicKey);
    const entries = [...(previous ? this.groups.entries(groupId) : []), signed];
    const now = Date.now();
    const tell = [...new Set([...state.members.map((m) => m.userId), ...alsoTell, this.me.userId])];
    this.db.transaction(() => {
      this.groups.save(state, entries, previous ? previous.seq + 1 : 0, now);
      for (const removed of alsoTell) this.groups.dropMemberSenderKeys(groupId, removed);
      if (!state.members.some((m) => m.userId === this.me.userId))
        this.groups.markLeft(groupId, now);
      this.outbox.enqueue(
        encodeContent({ case: 'groupUpdate', value: { entries } }),
        { users: tell, syncDestination: null },
        null,
        groupConversationId(groupId),
        now,
      );
    })();
    this.outbox.kick();
    this.emitEvent({ type: 'conversation', conversationId: groupConversationId(groupId) });
  }

  private async sendGroupText(
    groupId: string,
    text: string,
    replyTo: string | null,
    flags: OutgoingFlags,
  ): Promise<MessageView> {
    if (!isGroupId(groupId)) throw new EngineError('UNKNOWN_CONVERSATION');
    this.requireActiveMember(groupId);
    this.requireMayPost(groupId);
    await this.requireCleared(
      groupConversationId(groupId),
      flags.classification ?? 'none',
      replyTo,
    );
    return this.queueText(
      () => groupConversationId(groupId),
      { users: [], syncDestination: null, group: groupId },
      groupId,
      text,
      replyTo,
      flags,
    );
  }

  /**
   * Stores an outgoing text and its send job in one transaction (the conversation
   * is created in it if needed), then wakes the outbox.
   */
  private queueText(
    conversationIn: (now: number) => string,
    recipients: JobRecipients,
    groupId: string,
    text: string,
    replyTo: string | null,
    flags: OutgoingFlags = {},
  ): MessageView {
    checkText(text);
    const forwarded = flags.forwarded === true;
    const ackRequested = flags.ackRequested === true;
    const classification = flags.classification ?? 'none';
    if (replyTo !== null && (!isMessageId(replyTo) || !this.messages.messageRow(replyTo))) {
      throw new EngineError('UNKNOWN_MESSAGE', 'The message you reply to does not exist.');
    }
    const id = newMessageId();
    const now = Date.now();
    this.db.transaction(() => {
      const conversationId = conversationIn(now);
      // The conversation's timer when it is sent (disappearing messages; 0: kept).
      const expireSeconds = this.disappearing.timerOf(conversationId);
      const payload = encodeContent({
        case: 'data',
        value: {
          id,
          sentAt: BigInt(now),
          groupId,
          kind: {
            case: 'text',
            value: { body: text, replyTo: replyTo ?? '', forwarded, ackRequested },
          },
          expireSeconds,
          classification: classificationLevel(classification),
        },
      });
      this.insertOutgoing(id, conversationId, now, text, replyTo, {
        forwarded,
        ackRequested,
        classification,
        expireSeconds,
      });
      // A forward is not what was being typed here: the draft stays.
      if (!forwarded) this.messages.setDraft(conversationId, '', now);
      this.outbox.enqueue(payload, recipients, id, conversationId, now);
    })();
    this.outbox.kick();
    const message = this.messages.message(id)!;
    this.emitEvent({ type: 'message', message });
    return message;
  }

  // ------------------------------------------------------------ helpers

  /** Stores a message of mine, waiting for the outbox (inside the caller's transaction). */
  private insertOutgoing(
    id: string,
    conversationId: string,
    now: number,
    body: string | null,
    replyTo: string | null,
    flags: OutgoingFlags & { readonly expireSeconds: number; readonly kind?: 'timer' },
  ): void {
    this.messages.insert({
      id,
      conversationId,
      senderId: this.me.userId,
      senderDevice: this.me.deviceId,
      sentAt: now,
      receivedAt: now,
      kind: flags.kind ?? (replyTo ? 'reply' : 'text'),
      body,
      replyTo,
      outgoing: true,
      status: 'waiting',
      forwarded: flags.forwarded === true,
      ackRequested: flags.ackRequested === true,
      classification: flags.classification ?? 'none',
      expireSeconds: flags.expireSeconds,
    });
  }

  private identityDigest(userId: string, extra: readonly Uint8Array[]): Uint8Array {
    const keys = [
      ...extra,
      ...(
        this.db
          .prepare('SELECT identity_key FROM contact_devices WHERE user_id = ? AND active = 1')
          .pluck()
          .all(userId) as Uint8Array[]
      ).map((k) => new Uint8Array(k)),
    ];
    const unique = [...new Map(keys.map((k) => [Buffer.from(k).toString('hex'), k])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, k]) => k);
    return blake2b(concatBytes(...unique), 32);
  }

  private async resolvePeer(userId: string): Promise<string> {
    if (typeof userId !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(userId)) {
      throw new EngineError('UNKNOWN_USER', `"${String(userId)}" is not a valid user id.`);
    }
    if (userId === this.me.userId)
      throw new EngineError('BAD_REQUEST', 'Choose someone other than yourself.');
    if (!this.directory.isKnown(userId)) {
      try {
        await this.directory.refreshUser(userId);
      } catch (error) {
        if (error instanceof EngineError) throw error;
        // Offline and never seen: the message still waits in the outbox; the relay decides later.
        this.db
          .prepare(
            `INSERT INTO contacts (user_id, display_name, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING`,
          )
          .run(userId, userId, Date.now());
      }
    }
    return userId;
  }

  /**
   * Who a message of this conversation goes to: the group, fanned out by the relay, or
   * the peer, with a copy for my own other devices.
   */
  private recipientsOf(conversationId: string): JobRecipients {
    const groupId = groupIdOf(conversationId);
    if (groupId !== null) return { users: [], syncDestination: null, group: groupId };
    const peer = this.peerOf(conversationId);
    return { users: [peer], syncDestination: peer };
  }

  private peerOf(conversationId: string): string {
    const peer = this.db
      .prepare(`SELECT peer_user_id FROM conversations WHERE id = ? AND kind = 'direct'`)
      .pluck()
      .get(conversationId) as string | undefined;
    if (!peer) throw new EngineError('UNKNOWN_CONVERSATION');
    return peer;
  }

  private titleOf(userId: string): string {
    return (
      (this.db
        .prepare('SELECT display_name FROM contacts WHERE user_id = ?')
        .pluck()
        .get(userId) as string) ?? userId
    );
  }

  private ownMessage(messageId: string): {
    senderId: string;
    conversationId: string;
    outgoing: boolean;
    deleted: boolean;
  } {
    if (!isMessageId(messageId)) throw new EngineError('UNKNOWN_MESSAGE');
    const target = this.messages.messageRow(messageId);
    if (!target) throw new EngineError('UNKNOWN_MESSAGE');
    if (!target.outgoing || target.senderId !== this.me.userId) {
      throw new EngineError('NOT_ALLOWED', 'Only the author of a message can edit or delete it.');
    }
    if (target.deleted) throw new EngineError('NOT_ALLOWED', 'This message was deleted.');
    return target;
  }

  private sendChange(
    target: { conversationId: string },
    messageId: string,
    now: number,
    kind:
      | { case: 'edit'; value: { targetId: string; body: string } }
      | { case: 'delete'; value: { targetId: string } }
      | { case: 'reaction'; value: { targetId: string; emoji: string } }
      | {
          case: 'acknowledgement';
          value: MessageInitShape<typeof AcknowledgementSchema>;
        },
    applyLocally: () => boolean,
  ): MessageView {
    const groupId = groupIdOf(target.conversationId);
    if (groupId !== null) {
      this.requireActiveMember(groupId);
      // Members of a broadcast channel acknowledge; they post nothing else.
      if (kind.case !== 'acknowledgement') this.requireMayPost(groupId);
    }
    const payload = encodeContent({
      case: 'data',
      value: { id: newMessageId(), sentAt: BigInt(now), groupId: groupId ?? '', kind },
    });
    this.db.transaction(() => {
      applyLocally();
      this.outbox.enqueue(
        payload,
        this.recipientsOf(target.conversationId),
        null,
        target.conversationId,
        now,
      );
    })();
    this.outbox.kick();
    const message = this.messages.message(messageId)!;
    this.emitEvent({ type: 'messageUpdated', message });
    return message;
  }
}

/** How a message of mine is marked: forwarded, asking for acknowledgements, its label. */
interface OutgoingFlags {
  readonly forwarded?: boolean;
  readonly ackRequested?: boolean;
  readonly classification?: Classification;
}

function checkGroupName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0 || trimmed.length > MAX_GROUP_NAME) {
    throw new EngineError(
      'BAD_REQUEST',
      `A group name has between 1 and ${MAX_GROUP_NAME} characters.`,
    );
  }
  return trimmed;
}

function checkText(text: unknown): asserts text is string {
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw new EngineError('BAD_REQUEST', 'A message needs some text.');
  }
  if (text.length > MAX_TEXT_CHARS) {
    throw new EngineError(
      'BAD_REQUEST',
      `A message holds at most ${MAX_TEXT_CHARS} characters; send a file instead.`,
    );
  }
}

async function enrolClosingOnError(
  db: Store,
  params: EnrolParams,
  relayCa: RelayCa | undefined,
): Promise<Awaited<ReturnType<typeof enrol>>> {
  try {
    return await enrol(db, params, relayCa);
  } catch (error) {
    db.close();
    throw error;
  }
}

export { directConversationId };
