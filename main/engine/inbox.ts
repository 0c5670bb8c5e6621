// The inbox. Envelopes from the relay are stored raw before anything else;
// then, per batch and in one transaction, each is decrypted, its session's new
// state and its effect (a message, an edit, a receipt…) are committed together;
// only after that commit is the relay acknowledged. (The engine may run both steps
// in one transaction, storeAndProcess in engine.ts: one commit instead of two.) A client killed at any
// point loses nothing (the raw envelope or the relay's copy remains) and shows
// nothing twice (server ids and message ids are deduplicated). An envelope that
// cannot be decrypted is kept with its reason and the others go on.
import { statement } from './store/statements.js';
import { storeFailure } from './store/store-failure.js';
import {
  MessageType,
  acceptSession,
  decryptMessage,
  isCryptoError,
  parsePrekeyMessage,
  peekMessageType,
  receiveSenderKeyDistribution,
  senderKeyDecrypt,
  senderKeyIdOf,
} from '../../shared/crypto/index.js';
import { EngineError } from '../../shared/api/errors.js';
import { DocumentError, type Documents, verifyDocumentSignature } from './documents/documents.js';
import { classificationOfLevel } from '../../shared/api/classification.js';
import {
  type GroupStore,
  groupConversationId,
  isGroupId,
  senderKeyContext,
} from './groups/group-store.js';
import { decodeEntry, entryHash, verifyChain } from './groups/roster.js';
import { bytesEqual } from '../../shared/util/bytes.js';
import { type Envelope, PROCESSED_ENVELOPE_KEEP_MS } from '../../shared/wire/index.js';
import { type Account, loadOneTimePrekey, loadSignedPrekey } from './account.js';
import type { ContentError } from './content.js';
import {
  type Content,
  MAX_TEXT_CHARS,
  decodeContent,
  encodeContent,
  isMessageId,
} from './content.js';
import type { Directory } from './directory.js';
import { type Disappearing, isExpireSeconds } from './disappearing.js';
import {
  AcknowledgementError,
  type Acknowledgements,
} from './acknowledgements/acknowledgements.js';
import { MAX_EXPIRE_SECONDS } from '../../shared/api/contract.js';
import type { Attachments, Previews } from './attachments/index.js';
import { type MessageStore, directConversationId } from './message-store.js';
import type { Outbox } from './outbox.js';
import type { SessionStore } from './session-store.js';
import { BatchSessions, type SessionAccess } from './batch-sessions.js';
import type { Store } from './store/open-store.js';

interface InboxRow {
  server_id: number;
  sender_user: string;
  sender_device: number;
  server_time: number;
  ciphertext: Uint8Array;
}

/** What processing produced, for events after the commit. */
export interface InboxEffects {
  readonly newMessages: string[];
  readonly updatedMessages: string[];
  readonly typing: { conversationId: string; userId: string; typing: boolean }[];
  readonly failures: { senderId: string; reason: string }[];
  readonly conversations: string[];
  /** Received files to fetch once the batch is committed. */
  readonly downloads: string[];
}

type EffectsMark = { readonly [K in keyof InboxEffects]: number };

function effectsMark(effects: InboxEffects): EffectsMark {
  return {
    newMessages: effects.newMessages.length,
    updatedMessages: effects.updatedMessages.length,
    typing: effects.typing.length,
    failures: effects.failures.length,
    conversations: effects.conversations.length,
    downloads: effects.downloads.length,
  };
}

/** Forgets what was added to `effects` since `mark` (a batch that was rolled back). */
function resetEffects(effects: InboxEffects, mark: EffectsMark): void {
  for (const key of Object.keys(mark) as (keyof InboxEffects)[]) {
    effects[key].length = mark[key];
  }
}

export function emptyEffects(): InboxEffects {
  return {
    newMessages: [],
    updatedMessages: [],
    typing: [],
    failures: [],
    conversations: [],
    downloads: [],
  };
}

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BATCH = 250;
const MAX_ATTACHMENTS = 10;
/** Rows looked at per pruneProcessed call: a few milliseconds' work. */
const PRUNE_LIMIT = 5_000;

export class Inbox {
  /**
   * The last batch taken one envelope at a time had a refused one: the next is taken
   * that way too, so that a run of bad envelopes does not cost every batch twice.
   */
  private refusedLately = false;
  /** Where decryption reads and writes sessions: the store, or a batch's copy. */
  private sessionAccess: SessionAccess;

  constructor(
    private readonly attachments: Attachments,
    private readonly db: Store,
    private readonly account: Account,
    private readonly sessions: SessionStore,
    private readonly directory: Directory,
    private readonly messages: MessageStore,
    private readonly outbox: Outbox,
    private readonly groups: GroupStore,
    private readonly previews: Previews,
    private readonly disappearing: Disappearing,
    private readonly acknowledgements: Acknowledgements,
    private readonly documents: Documents,
  ) {
    this.sessionAccess = sessions;
  }

  /**
   * Stores raw envelopes (one transaction). Returns the server ids that were
   * already processed before (a redelivery after a lost ack): ack them again.
   */
  storeRaw(envelopes: readonly Envelope[], now = Date.now()): bigint[] {
    const already: bigint[] = [];
    const insert = statement(
      this.db,
      `INSERT INTO inbox (server_id, sender_user, sender_device, server_time, ciphertext, received_at, state)
       VALUES (?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (server_id) DO NOTHING`,
    );
    const stateOf = statement(this.db, 'SELECT state FROM inbox WHERE server_id = ?').pluck();
    this.db.transaction(() => {
      for (const e of envelopes) {
        const result = insert.run(
          e.serverId,
          e.senderUser,
          e.senderDevice,
          e.serverTime,
          e.ciphertext,
          now,
        );
        if (result.changes === 0 && stateOf.get(e.serverId) !== 'pending') already.push(e.serverId);
      }
    })();
    return already;
  }

  /**
   * Forgets envelopes processed long ago, the oldest first, at most `limit` per call.
   * A processed envelope's row (its server id, the ciphertext already erased) lets
   * storeRaw recognise the relay sending it again because our acknowledgement was lost;
   * the relay keeps an envelope at most MAX_ENVELOPE_TTL_MS, so after
   * PROCESSED_ENVELOPE_KEEP_MS from its server time the row can serve no more. Should
   * one still come back (a relay keeping envelopes longer than it may), it is still not
   * shown twice: message ids are unique and the session refuses a used or lost key.
   * Only the oldest `limit` processed rows are looked at, so a call costs little
   * however many rows there are (server ids grow with time). Returns how many rows
   * were deleted.
   */
  pruneProcessed(now: number, limit = PRUNE_LIMIT): number {
    return statement(
      this.db,
      `DELETE FROM inbox WHERE server_id IN (
         SELECT server_id FROM inbox WHERE state = 'processed' ORDER BY server_id LIMIT ?
       ) AND server_time < ?`,
    ).run(limit, now - PROCESSED_ENVELOPE_KEEP_MS).changes;
  }

  pendingCount(): number {
    return statement(this.db, `SELECT count(*) FROM inbox WHERE state = 'pending'`)
      .pluck()
      .get() as number;
  }

  /** Senders of pending envelopes whose device we have no certified key for yet. */
  unknownSenders(): { userId: string; deviceId: number }[] {
    return (
      statement(
        this.db,
        `SELECT DISTINCT i.sender_user, i.sender_device FROM inbox i
           LEFT JOIN contact_devices d ON d.user_id = i.sender_user AND d.device_id = i.sender_device
           WHERE i.state = 'pending' AND d.identity_key IS NULL`,
      ).all() as { sender_user: string; sender_device: number }[]
    ).map((r) => ({ userId: r.sender_user, deviceId: r.sender_device }));
  }

  /**
   * Processes up to one batch of pending envelopes in one transaction and
   * returns the server ids to acknowledge (processed or kept as failed). Envelopes of
   * `deferred` senders (`user/device`, whose certified key could not be fetched for now)
   * stay pending, in order, for a later pass.
   */
  processBatch(
    effects: InboxEffects,
    now = Date.now(),
    deferred: ReadonlySet<string> = new Set(),
  ): bigint[] {
    const rows: InboxRow[] = [];
    for (const row of statement(
      this.db,
      `SELECT * FROM inbox WHERE state = 'pending' ORDER BY server_id`,
    )
      .safeIntegers(false)
      .iterate() as IterableIterator<InboxRow>) {
      if (deferred.has(`${row.sender_user}/${row.sender_device}`)) continue;
      rows.push(row);
      if (rows.length === BATCH) break;
    }
    if (rows.length === 0) return [];
    const all = this.refusedLately ? null : this.processAll(rows, effects, now);
    return all ?? this.processOneByOne(rows, effects, now);
  }

  /**
   * The usual case, every envelope of the batch good: one transaction and no savepoint
   * per envelope. A savepoint per envelope costs more than its own statements: the
   * search index (FTS5) writes what it holds as a segment of its own at every savepoint,
   * one per message, which it then has to merge. Null, with nothing written and
   * `effects` as it was, when an envelope is refused: the batch is then taken one
   * envelope at a time. Each sender device's session is read and written once per
   * batch (batch-sessions.ts). Processing touches only the store and `effects` (a
   * refused envelope's savepoint already relies on that), so doing it again gives the
   * same messages (a received file's transfer gets a new id). A store failure is
   * thrown, as in processOneByOne.
   */
  private processAll(
    rows: readonly InboxRow[],
    effects: InboxEffects,
    now: number,
  ): bigint[] | null {
    const before = effectsMark(effects);
    const delivered = new Map<string, string[]>();
    const sessions = new BatchSessions(this.sessions);
    this.sessionAccess = sessions;
    try {
      this.db.transaction(() => {
        for (const row of rows) {
          this.processOne(row, effects, delivered, now);
          this.markProcessed(row);
        }
        sessions.writeBack(now);
        this.sendReceipts(delivered, now);
      })();
    } catch (error) {
      if (storeFailure(error)) throw error;
      resetEffects(effects, before);
      return null;
    } finally {
      this.sessionAccess = this.sessions;
    }
    return rows.map((row) => BigInt(row.server_id));
  }

  /** Each envelope in a savepoint of its own: a refused one is recorded, the others go on. */
  private processOneByOne(rows: readonly InboxRow[], effects: InboxEffects, now: number): bigint[] {
    const done: bigint[] = [];
    const delivered = new Map<string, string[]>();
    let refused = false;
    this.db.transaction(() => {
      for (const row of rows) {
        const savepoint = this.db.transaction(() => this.processOne(row, effects, delivered, now));
        try {
          savepoint();
          this.markProcessed(row);
        } catch (error) {
          // The disk, not the message: give up the whole batch (nothing is acknowledged).
          if (storeFailure(error)) throw error;
          refused = true;
          const { code, reason } = describe(error);
          if (code === 'DUPLICATE_MESSAGE') {
            // The sender re-sent bytes we already read (its outbox replayed after a crash).
            this.markProcessed(row);
          } else {
            statement(
              this.db,
              `UPDATE inbox SET state = 'failed', failure_code = ?, failure_reason = ? WHERE server_id = ?`,
            ).run(code, reason, row.server_id);
            effects.failures.push({ senderId: row.sender_user, reason });
          }
        }
        done.push(BigInt(row.server_id));
      }
      this.sendReceipts(delivered, now);
    })();
    this.refusedLately = refused;
    return done;
  }

  private markProcessed(row: InboxRow): void {
    statement(
      this.db,
      `UPDATE inbox SET state = 'processed', ciphertext = x'' WHERE server_id = ?`,
    ).run(row.server_id);
  }

  /** One delivery receipt per sender per batch, sent through the outbox. */
  private sendReceipts(delivered: ReadonlyMap<string, string[]>, now: number): void {
    for (const [sender, ids] of delivered) {
      this.outbox.enqueue(
        encodeContent({ case: 'receipt', value: { kind: 0, messageIds: ids } }),
        { users: [sender], syncDestination: null },
        null,
        null,
        now,
      );
    }
  }

  private processOne(
    row: InboxRow,
    effects: InboxEffects,
    delivered: Map<string, string[]>,
    now: number,
  ): void {
    const ciphertext = new Uint8Array(row.ciphertext);
    const { plaintext, groupId } = this.decrypt(row, ciphertext, now);
    let content: Content;
    try {
      content = decodeContent(plaintext);
    } catch (error) {
      throw new Refusal('BAD_CONTENT', (error as ContentError).message);
    }
    if (groupId !== null) {
      this.applyGroupMessage(row, groupId, content, effects, delivered, now);
      return;
    }
    this.apply(row, content, effects, delivered, now);
  }

  private decrypt(
    row: InboxRow,
    ciphertext: Uint8Array,
    now: number,
  ): { plaintext: Uint8Array; groupId: string | null } {
    if (peekMessageType(ciphertext) === MessageType.senderKey) {
      const found = this.groups.memberSenderKey(
        row.sender_user,
        row.sender_device,
        senderKeyIdOf(ciphertext),
      );
      if (!found) {
        throw new Refusal(
          'UNKNOWN_SENDER_KEY',
          'This group message uses a key that has not arrived yet; it is kept until it does.',
        );
      }
      const result = senderKeyDecrypt(
        found.state,
        ciphertext,
        senderKeyContext(found.groupId, row.sender_user, row.sender_device),
      );
      this.groups.saveMemberSenderKey(
        found.groupId,
        row.sender_user,
        row.sender_device,
        result.state,
        now,
      );
      return { plaintext: result.plaintext, groupId: found.groupId };
    }
    return { plaintext: this.decryptPairwise(row, ciphertext), groupId: null };
  }

  private decryptPairwise(row: InboxRow, ciphertext: Uint8Array): Uint8Array {
    const certified = this.directory.identityKeyOf(row.sender_user, row.sender_device);
    if (!certified) {
      throw new Refusal(
        'UNKNOWN_SENDER',
        `No certified key is known for ${row.sender_user}/${row.sender_device}.`,
      );
    }
    const type = peekMessageType(ciphertext);
    const existing = this.sessionAccess.load(row.sender_user, row.sender_device);
    if (type === MessageType.prekey) {
      const prekey = parsePrekeyMessage(ciphertext);
      if (!bytesEqual(prekey.initiatorIdentity, certified)) {
        throw new Refusal(
          'IDENTITY_MISMATCH',
          `The message claims an identity key that the relay did not certify for ${row.sender_user}.`,
        );
      }
      if (prekey.initiatorDeviceId !== row.sender_device) {
        throw new Refusal(
          'IDENTITY_MISMATCH',
          'The message names another sending device than the relay.',
        );
      }
      if (existing && bytesEqual(existing.baseKey, prekey.baseKey)) {
        const result = decryptMessage(existing, ciphertext);
        this.sessionAccess.save(row.sender_user, row.sender_device, result.state);
        return result.plaintext;
      }
      const signed = loadSignedPrekey(this.db, prekey.signedPrekeyId);
      if (!signed)
        throw new Refusal(
          'UNKNOWN_PREKEY',
          'The message names a signed prekey this device no longer has.',
        );
      const oneTime =
        prekey.oneTimePrekeyId === null ? null : loadOneTimePrekey(this.db, prekey.oneTimePrekeyId);
      if (prekey.oneTimePrekeyId !== null && !oneTime) {
        throw new Refusal(
          'UNKNOWN_PREKEY',
          'The message names a one-time prekey that was already used.',
        );
      }
      const result = acceptSession(
        { identity: this.account.identity, deviceId: this.account.deviceId },
        prekey,
        signed,
        oneTime,
      );
      if (result.usedOneTimePrekeyId !== null) {
        statement(this.db, 'DELETE FROM one_time_prekeys WHERE id = ?').run(
          result.usedOneTimePrekeyId,
        );
      }
      this.sessionAccess.save(row.sender_user, row.sender_device, result.state);
      return result.plaintext;
    }
    if (type !== MessageType.ratchet) {
      throw new Refusal('UNSUPPORTED', 'This kind of message needs a newer version of the app.');
    }
    if (!existing)
      throw new Refusal(
        'NO_SESSION',
        'No session exists with this device; it must start a new one.',
      );
    const result = decryptMessage(existing, ciphertext);
    this.sessionAccess.save(row.sender_user, row.sender_device, result.state);
    return result.plaintext;
  }

  private apply(
    row: InboxRow,
    content: Content,
    effects: InboxEffects,
    delivered: Map<string, string[]>,
    now: number,
  ): void {
    const fromSelf = row.sender_user === this.account.userId;
    const body = content.body;
    switch (body.case) {
      case 'data': {
        if (fromSelf) throw new Refusal('BAD_CONTENT', 'Our own devices send copies as SyncSent.');
        if (body.value.groupId !== '')
          throw new Refusal('UNSUPPORTED', 'Group messages come with a later version.');
        const conversationId = this.messages.ensureDirectConversation(
          row.sender_user,
          this.titleOf(row.sender_user),
          now,
        );
        const fresh = this.applyData(row, body.value, conversationId, false, effects, now);
        if (fresh)
          delivered.set(row.sender_user, [
            ...(delivered.get(row.sender_user) ?? []),
            body.value.id,
          ]);
        return;
      }
      case 'syncSent': {
        if (!fromSelf)
          throw new Refusal('BAD_CONTENT', 'Only our own devices may send SyncSent copies.');
        const message = body.value.message;
        if (!message || body.value.destinationUser === '')
          throw new Refusal('BAD_CONTENT', 'Empty copy.');
        const conversationId = this.messages.ensureDirectConversation(
          body.value.destinationUser,
          this.titleOf(body.value.destinationUser),
          now,
        );
        this.applyData(row, message, conversationId, true, effects, now);
        return;
      }
      case 'receipt': {
        const ids = body.value.messageIds.filter(isMessageId).slice(0, 5000);
        const kind = body.value.kind === 1 ? 'read' : 'delivered';
        effects.updatedMessages.push(
          ...this.messages.receipt(ids, row.sender_user, kind, Number(row.server_time)),
        );
        return;
      }
      case 'typing': {
        effects.typing.push({
          conversationId:
            body.value.groupId !== '' && isGroupId(body.value.groupId)
              ? groupConversationId(body.value.groupId)
              : directConversationId(row.sender_user),
          userId: row.sender_user,
          typing: body.value.typing,
        });
        return;
      }
      case 'groupUpdate':
        this.applyGroupUpdate(row, body.value.entries, effects, now);
        return;
      case 'syncRead': {
        if (!fromSelf)
          throw new Refusal('BAD_CONTENT', 'Only our own devices may say what we have read.');
        const read = this.messages.markReadElsewhere(
          body.value.messageIds.filter(isMessageId).slice(0, 5000),
        );
        // Disappearing messages count down from when they were read, here as there.
        this.disappearing.startOnRead(read.ids, Number(row.server_time));
        effects.updatedMessages.push(...read.ids);
        effects.conversations.push(...read.conversations);
        return;
      }
      case 'senderKey': {
        const groupId = body.value.groupId;
        if (!isGroupId(groupId) || !this.groups.roster(groupId)) {
          throw new Refusal(
            'UNKNOWN_GROUP',
            'A group key arrived for a group this device does not know.',
          );
        }
        if (!this.groups.isMember(groupId, row.sender_user)) {
          throw new Refusal('NOT_A_MEMBER', `${row.sender_user} is not a member of this group.`);
        }
        const state = receiveSenderKeyDistribution(body.value.distribution);
        this.groups.saveMemberSenderKey(groupId, row.sender_user, row.sender_device, state, now);
        // Group messages that waited for this key are tried again in the next batch.
        statement(
          this.db,
          `UPDATE inbox SET state = 'pending', failure_code = NULL, failure_reason = NULL
           WHERE state = 'failed' AND failure_code = 'UNKNOWN_SENDER_KEY' AND sender_user = ? AND sender_device = ?`,
        ).run(row.sender_user, row.sender_device);
        return;
      }
      default:
        throw new Refusal('UNSUPPORTED', 'This kind of message needs a newer version of the app.');
    }
  }

  /** A group's roster: accepted only if it verifies and extends the history we hold. */
  private applyGroupUpdate(
    row: InboxRow,
    entries: Parameters<typeof verifyChain>[0],
    effects: InboxEffects,
    now: number,
  ): void {
    if (entries.length === 0 || entries.length > 10_000)
      throw new Refusal('ROSTER_REFUSED', 'Empty group history.');
    let state;
    try {
      state = verifyChain(entries, this.account.relayPublicKey);
    } catch (error) {
      throw new Refusal(
        'ROSTER_REFUSED',
        error instanceof EngineError ? error.message : 'Invalid group history.',
      );
    }
    if (!isGroupId(state.groupId))
      throw new Refusal('ROSTER_REFUSED', 'The group id is malformed.');
    const last = entries[entries.length - 1]!;
    const lastActor = decodeEntry(last).actor;
    if (lastActor !== row.sender_user) {
      throw new Refusal('ROSTER_REFUSED', 'A group change must come from the member who made it.');
    }
    const local = this.groups.roster(state.groupId);
    if (local) {
      if (state.seq <= local.seq) return; // already known
      const held = entries[local.seq];
      if (!held || !bytesEqual(entryHash(held), local.head)) {
        throw new Refusal(
          'ROSTER_REFUSED',
          'This group history does not extend the one we hold (fork).',
        );
      }
    }
    const before = new Set((local?.members ?? []).map((m) => m.userId));
    this.groups.save(state, entries, local ? local.seq + 1 : 0, now);
    const after = new Set(state.members.map((m) => m.userId));
    for (const userId of before)
      if (!after.has(userId)) this.groups.dropMemberSenderKeys(state.groupId, userId);
    if (!after.has(this.account.userId)) this.groups.markLeft(state.groupId, now);
    effects.conversations.push(groupConversationId(state.groupId));
  }

  /** A message sent with a group's sender key. */
  private applyGroupMessage(
    row: InboxRow,
    groupId: string,
    content: Content,
    effects: InboxEffects,
    delivered: Map<string, string[]>,
    now: number,
  ): void {
    const body = content.body;
    if (body.case !== 'data' || body.value.groupId !== groupId) {
      throw new Refusal('BAD_CONTENT', 'A group message must carry a message of its own group.');
    }
    const rights = this.groups.rights(groupId, row.sender_user);
    if (!rights?.member) {
      throw new Refusal('NOT_A_MEMBER', `${row.sender_user} is not a member of this group.`);
    }
    const senderIsAdmin = rights.admin;
    // In a broadcast channel, members only acknowledge what the admins post.
    if (rights.broadcast && !senderIsAdmin && body.value.kind.case !== 'acknowledgement') {
      throw new Refusal(
        'NOT_ALLOWED',
        `${row.sender_user} is not an administrator of this channel: only they post in it.`,
      );
    }
    if (body.value.kind.case === 'timerChange' && !senderIsAdmin) {
      throw new Refusal(
        'NOT_ALLOWED',
        `${row.sender_user} is not an administrator of this group: the timer stays as it is.`,
      );
    }
    const outgoing = row.sender_user === this.account.userId;
    const fresh = this.applyData(
      row,
      body.value,
      groupConversationId(groupId),
      outgoing,
      effects,
      now,
    );
    if (fresh)
      delivered.set(row.sender_user, [...(delivered.get(row.sender_user) ?? []), body.value.id]);
  }

  /** Applies a data message; true when it added a new visible message. */
  private applyData(
    row: InboxRow,
    data: Extract<Content['body'], { case: 'data' }>['value'],
    conversationId: string,
    outgoing: boolean,
    effects: InboxEffects,
    now: number,
  ): boolean {
    if (!isMessageId(data.id)) throw new Refusal('BAD_CONTENT', 'The message id is malformed.');
    const sentAt = Number(data.sentAt);
    const kind = data.kind;
    switch (kind.case) {
      case 'text': {
        if (kind.value.body.length > MAX_TEXT_CHARS)
          throw new Refusal('BAD_CONTENT', 'The text is too long.');
        const replyTo =
          kind.value.replyTo !== '' && isMessageId(kind.value.replyTo) ? kind.value.replyTo : null;
        if (kind.value.attachments.length > MAX_ATTACHMENTS) {
          throw new Refusal('BAD_CONTENT', `A message carries at most ${MAX_ATTACHMENTS} files.`);
        }
        // The sender's timer, whatever ours says; a value beyond the bounds is capped.
        const expireSeconds = Math.min(data.expireSeconds, MAX_EXPIRE_SECONDS);
        // A label this app does not know has rules it cannot honour: not shown at all.
        const classification = classificationOfLevel(data.classification);
        if (classification === null) {
          throw new Refusal(
            'UNSUPPORTED',
            'This message carries a classification label this version does not know; update the app.',
          );
        }
        const fresh = this.messages.insert({
          id: data.id,
          conversationId,
          senderId: row.sender_user,
          senderDevice: row.sender_device,
          sentAt,
          receivedAt: now,
          kind: replyTo ? 'reply' : 'text',
          body: kind.value.body,
          replyTo,
          outgoing,
          status: outgoing ? 'sent' : 'received',
          forwarded: kind.value.forwarded,
          expireSeconds,
          // Mine, sent from another device: it left when it was sent.
          expiresAt: outgoing && expireSeconds > 0 ? sentAt + expireSeconds * 1000 : null,
          ackRequested: kind.value.ackRequested,
          classification,
        });
        if (fresh) {
          kind.value.attachments.forEach((a, position) => {
            let attachmentId: string;
            try {
              attachmentId = this.attachments.register({
                blobId: a.blobId,
                key: a.key,
                hash: a.blake2b,
                name: a.name,
                type: a.type,
                size: a.size,
                chunkSize: a.chunkSize,
              });
            } catch (error) {
              throw new Refusal(
                'BAD_CONTENT',
                error instanceof Error ? error.message : 'Bad attachment.',
              );
            }
            // A preview that fails its checks is dropped; the file itself is fine.
            if (a.preview.length > 0) this.previews.keep(attachmentId, a.preview);
            // A signature that does not hold makes the whole message a forgery.
            if (a.document) {
              let signed;
              try {
                signed = verifyDocumentSignature(this.account.relayPublicKey, a.document, {
                  name: a.name,
                  size: Number(a.size),
                });
              } catch (error) {
                if (!(error instanceof DocumentError)) throw error;
                throw new Refusal('BAD_DOCUMENT_SIGNATURE', error.message);
              }
              this.documents.keep(attachmentId, signed);
            }
            statement(
              this.db,
              'INSERT OR IGNORE INTO message_attachments (message_id, attachment_id, position) VALUES (?, ?, ?)',
            ).run(data.id, attachmentId, position);
            effects.downloads.push(attachmentId);
          });
          effects.newMessages.push(data.id);
        }
        return fresh && !outgoing;
      }
      case 'timerChange': {
        const seconds = kind.value.seconds;
        if (!isExpireSeconds(seconds)) {
          throw new Refusal('BAD_CONTENT', 'The disappearing-messages timer is out of bounds.');
        }
        const fresh = this.messages.insert({
          id: data.id,
          conversationId,
          senderId: row.sender_user,
          senderDevice: row.sender_device,
          sentAt,
          receivedAt: now,
          kind: 'timer',
          body: null,
          replyTo: null,
          outgoing,
          status: outgoing ? 'sent' : 'received',
          expireSeconds: seconds,
        });
        if (fresh) {
          // An older change arriving after a newer one is shown where it belongs, not applied.
          this.disappearing.setTimer(conversationId, seconds, sentAt);
          effects.newMessages.push(data.id);
          effects.conversations.push(conversationId);
        }
        return fresh && !outgoing;
      }
      case 'acknowledgement': {
        const ack = kind.value;
        try {
          const fresh = this.acknowledgements.accept(this.account.relayPublicKey, conversationId, {
            signer: row.sender_user,
            signerDevice: row.sender_device,
            targetId: ack.targetId,
            targetAuthor: ack.targetAuthor,
            digest: ack.digest,
            at: Number(ack.at),
            certificate: ack.certificate,
            signature: ack.signature,
          });
          if (fresh) effects.updatedMessages.push(ack.targetId);
        } catch (error) {
          if (error instanceof AcknowledgementError) {
            throw new Refusal('BAD_ACKNOWLEDGEMENT', error.message);
          }
          throw error;
        }
        return false;
      }
      case 'edit':
        if (kind.value.body.length > MAX_TEXT_CHARS)
          throw new Refusal('BAD_CONTENT', 'The text is too long.');
        if (this.messages.edit(kind.value.targetId, row.sender_user, kind.value.body, sentAt)) {
          effects.updatedMessages.push(kind.value.targetId);
        }
        return false;
      case 'delete':
        if (this.messages.delete(kind.value.targetId, row.sender_user, sentAt)) {
          effects.updatedMessages.push(kind.value.targetId);
        }
        return false;
      case 'reaction':
        if ([...kind.value.emoji].length > 8)
          throw new Refusal('BAD_CONTENT', 'A reaction is one emoji.');
        if (this.messages.react(kind.value.targetId, row.sender_user, kind.value.emoji, sentAt)) {
          effects.updatedMessages.push(kind.value.targetId);
        }
        return false;
      default:
        throw new Refusal('UNSUPPORTED', 'This kind of message needs a newer version of the app.');
    }
  }

  private titleOf(userId: string): string {
    return (
      (statement(this.db, 'SELECT display_name FROM contacts WHERE user_id = ?')
        .pluck()
        .get(userId) as string | undefined) ?? userId
    );
  }
}

function describe(error: unknown): { code: string; reason: string } {
  if (error instanceof Refusal) return { code: error.code, reason: error.message };
  if (isCryptoError(error)) return { code: error.code, reason: error.message };
  return { code: 'INTERNAL', reason: error instanceof Error ? error.message : String(error) };
}
