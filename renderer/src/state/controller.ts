// What the UI does: every action of a person becomes an API call, every event of
// the engine a change of state. Errors become notices in the person's language;
// nothing here invents a result the engine did not give.
import type {
  ApiError,
  Classification,
  ClientEvent,
  ConversationView,
  DocumentCheck,
  MessageView,
  Result,
  SettingsView,
} from '../api/types.js';
import type { Client } from '../api/client.js';
import type { EnrolRequest } from '../../../shared/api/host.js';
import { changeLanguage, describeError, type Language } from '../i18n/i18n.js';
import {
  type AppState,
  type Composing,
  type Thread,
  type View,
  destinationOf,
  initialState,
} from './app-state.js';
import { makePreview } from '../media/preview.js';
import { Arrivals } from './arrivals.js';
import { Store } from './store.js';
import { upsertMessages } from './upsert-messages.js';

/** Messages fetched when a conversation opens, and per older page. */
export const FIRST_PAGE = 100;
export const OLDER_PAGE = 300;
/** Virtual-list index of the first message of a freshly opened conversation. */
const BASE_INDEX = 1_000_000_000;
const TYPING_EXPIRES_MS = 8000;
const NOTICE_MS = 12_000;
const DRAFT_SAVE_MS = 400;
/**
 * Messages from engine events change the state at most this often during a burst: a
 * message in a catch-up shows at most this late, and the list is drawn ten times a second.
 */
const ARRIVALS_MS = 100;

/** What may come with a message or a file the composer sends. */
export interface SendOptions {
  readonly requestAcknowledgement?: boolean;
  readonly classification?: Classification;
  /** Files only: sign it as a document (« attestation d'intégrité »); text ignores it. */
  readonly signDocument?: boolean;
}

/** The label option as the engine takes it: left out when unmarked. */
function labelled(options: SendOptions): { classification?: Classification } {
  return options.classification && options.classification !== 'none'
    ? { classification: options.classification }
    : {};
}

/**
 * Keeps the messages of the open conversation and of the one before (quick
 * back-and-forth); others are fetched again when opened, so memory stays bounded
 * however many long conversations a person reads.
 */
function keepThreads(
  threads: Readonly<Record<string, Thread>>,
  keep: readonly (string | null)[],
  pendingDirect: Readonly<Record<string, unknown>>,
): Readonly<Record<string, Thread>> {
  const kept: Record<string, Thread> = {};
  for (const [id, thread] of Object.entries(threads)) {
    if (keep.includes(id) || pendingDirect[id]) kept[id] = thread;
  }
  return kept;
}

export class Controller {
  readonly store = new Store<AppState>(initialState);
  private noticeSerial = 0;
  private focusSerial = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Texts typed and not yet saved by the engine (or for conversations not created yet). */
  private readonly drafts = new Map<string, string>();
  private readonly draftTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private typingSentAt = new Map<string, number>();
  private readonly waitingIds = new Set<string>();
  /** Messages from engine events, put in the threads together (arrivals.ts). */
  private readonly arrivals = new Arrivals<MessageView>(
    (batch) => this.arrived(batch),
    ARRIVALS_MS,
  );
  /** Conversation and sender of new incoming messages in the batch under way. */
  private readonly heard = new Set<string>();

  constructor(readonly client: Client) {
    client.onLink((link) => {
      this.store.set({ link });
      if (link === 'open') void this.refreshHost();
    });
    client.onEvent((event) => this.onEvent(event));
  }

  get api() {
    return this.client.api;
  }

  private get state(): AppState {
    return this.store.get();
  }

  // ------------------------------------------------------------ notices

  notify(error: ApiError): void {
    const id = ++this.noticeSerial;
    this.store.set((s) => ({ notices: [...s.notices, { id, text: describeError(error) }] }));
    setTimeout(() => this.dismiss(id), NOTICE_MS);
  }

  dismiss(id: number): void {
    this.store.set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  }

  /** Unwraps a result; on error shows a notice and returns undefined. */
  private value<T>(result: Result<T>): T | undefined {
    if (result.ok) return result.value;
    this.notify(result.error);
    return undefined;
  }

  // ------------------------------------------------------------ lifecycle

  async refreshHost(): Promise<void> {
    const status = await this.api.hostStatus();
    if (!status.ok) return;
    this.store.set({ host: status.value });
    if (status.value.phase === 'ready') await this.loadAll();
  }

  async enrol(request: EnrolRequest): Promise<Result<unknown>> {
    const result = await this.api.enrol(request);
    if (result.ok) await this.refreshHost();
    return result;
  }

  async unlock(passphrase: string): Promise<Result<unknown>> {
    if (this.state.host?.phase === 'ready') {
      const checked = await this.api.verifyPassphrase(passphrase);
      if (checked.ok) this.store.set({ idleLocked: false });
      return checked;
    }
    const result = await this.api.unlock(passphrase);
    if (result.ok) await this.refreshHost();
    return result;
  }

  lock(): void {
    if (this.state.host?.phase === 'ready') this.store.set({ idleLocked: true });
  }

  private async loadAll(): Promise<void> {
    await this.refreshAccount();
    await Promise.all([this.refreshConversations(), this.loadSettings(), this.loadContacts()]);
  }

  /** My account as the engine knows it now (my clearance follows the relay's directory). */
  async refreshAccount(): Promise<void> {
    const account = await this.api.account();
    if (account.ok) this.store.set({ account: account.value });
  }

  // ------------------------------------------------------------ events

  private onEvent(event: ClientEvent): void {
    // Whatever follows a message's event sees it in the state (an expiry, a reload).
    if (event.type !== 'message' && event.type !== 'messageUpdated') this.arrivals.flush();
    switch (event.type) {
      case 'hostStatus':
        if (event.status.phase === 'enrol' && this.state.account) {
          // The profile is gone (erased on the ICT cell's order): forget all of it.
          this.waitingIds.clear();
          this.store.set({ ...initialState, link: this.state.link, host: event.status });
          break;
        }
        this.store.set({ host: event.status });
        if (event.status.phase === 'ready' && !this.state.account) void this.loadAll();
        break;
      case 'lockNow':
        this.lock();
        break;
      case 'connection':
        this.store.set({ connection: event.state, connectionProblem: event.problem ?? null });
        break;
      case 'outbox':
        this.store.set({ waiting: event.waiting });
        break;
      case 'storage':
        this.store.set({ storageProblem: event.problem });
        break;
      case 'revoked':
        // A wiped device goes back to enrolment (hostStatus); one only revoked says why it is cut off.
        this.store.set({ revoked: true });
        break;
      case 'catchUp':
        this.store.set({
          catchUp:
            event.remaining > 0 ? { processed: event.processed, remaining: event.remaining } : null,
        });
        break;
      case 'message':
      case 'messageUpdated':
        if (event.type === 'message' && !event.message.outgoing) {
          this.heard.add(`${event.message.conversationId}\n${event.message.senderId}`);
        }
        this.arrivals.add(event.message);
        this.scheduleRefresh();
        break;
      case 'expired': {
        // Disappearing messages whose time was up: the engine has erased them.
        const gone = new Set(event.messageIds);
        const thread = this.state.threads[event.conversationId];
        if (thread) {
          this.setThread(event.conversationId, {
            messages: thread.messages.filter((m) => !gone.has(m.id)),
          });
        }
        // An answer or an edit under way of a message now gone is dropped.
        this.store.set((s) => {
          const composing = s.composing[event.conversationId];
          if (!composing) return {};
          const replyTo =
            composing.replyTo !== null && gone.has(composing.replyTo) ? null : composing.replyTo;
          const editing =
            composing.editing !== null && gone.has(composing.editing) ? null : composing.editing;
          if (replyTo === composing.replyTo && editing === composing.editing) return {};
          return {
            composing: { ...s.composing, [event.conversationId]: { replyTo, editing } },
          };
        });
        this.scheduleRefresh();
        break;
      }
      case 'identityChanged':
        this.store.set((s) => ({
          changedKeys: s.changedKeys.includes(event.userId)
            ? s.changedKeys
            : [...s.changedKeys, event.userId],
        }));
        if (this.state.contacts) void this.loadContacts();
        break;
      case 'typing':
        if (event.typing) this.setTyping(event.conversationId, event.userId);
        else this.clearTyping(event.conversationId, event.userId);
        break;
      case 'transfer':
        this.store.set((s) => ({
          transfers: {
            ...s.transfers,
            [event.attachmentId]: { transferred: event.transferred, size: event.size },
          },
        }));
        break;
      case 'conversation':
        // A group's members, name or channel rights changed: the list shows it.
        this.scheduleRefresh();
        break;
      case 'undecryptable':
        break;
    }
  }

  /** Keeps count of my messages still waiting, from what the engine reports of each. */
  private trackWaiting(messages: readonly MessageView[]): void {
    const before = this.waitingIds.size;
    let changed = false;
    for (const m of messages) {
      if (m.outgoing && m.status === 'waiting') {
        if (!this.waitingIds.has(m.id)) changed = true;
        this.waitingIds.add(m.id);
      } else if (this.waitingIds.delete(m.id)) {
        changed = true;
      }
    }
    if (changed || before !== this.waitingIds.size) {
      this.store.set({ waitingMessages: this.waitingIds.size });
    }
  }

  /**
   * A message the engine just answered with (the person's own action): shown at once,
   * after the events that came before the answer, which are older.
   */
  private putMessage(message: MessageView): void {
    this.arrivals.add(message);
    this.arrivals.flush();
  }

  /**
   * A batch of messages from events (or with the person's own action): in the threads;
   * a colleague who wrote is no longer typing; what came into the open conversation
   * is marked read once the person can see it.
   */
  private arrived(messages: readonly MessageView[]): void {
    this.putMessages(messages);
    if (this.heard.size === 0) return;
    let intoOpen = false;
    for (const key of this.heard) {
      const [conversationId, senderId] = key.split('\n') as [string, string];
      this.clearTyping(conversationId, senderId);
      if (conversationId === this.state.selected) intoOpen = true;
    }
    this.heard.clear();
    if (intoOpen) this.scheduleMarkRead();
  }

  private putMessages(messages: readonly MessageView[]): void {
    this.trackWaiting(messages);
    const byConversation = new Map<string, MessageView[]>();
    for (const m of messages) {
      const list = byConversation.get(m.conversationId);
      if (list) list.push(m);
      else byConversation.set(m.conversationId, [m]);
    }
    this.store.set((s) => {
      let threads: Record<string, Thread> | null = null;
      for (const [conversationId, batch] of byConversation) {
        const thread = s.threads[conversationId];
        if (!thread) continue;
        threads ??= { ...s.threads };
        threads[conversationId] = { ...thread, messages: upsertMessages(thread.messages, batch) };
      }
      return threads ? { threads } : {};
    });
  }

  private setThread(conversationId: string, patch: Partial<Thread>): void {
    this.store.set((s) => {
      const current = s.threads[conversationId];
      if (!current) return {};
      return { threads: { ...s.threads, [conversationId]: { ...current, ...patch } } };
    });
  }

  private setTyping(conversationId: string, userId: string): void {
    const key = `${conversationId}\n${userId}`;
    clearTimeout(this.typingTimers.get(key));
    this.typingTimers.set(
      key,
      setTimeout(() => this.clearTyping(conversationId, userId), TYPING_EXPIRES_MS),
    );
    this.store.set((s) => {
      const now = s.typing[conversationId] ?? [];
      return now.includes(userId)
        ? {}
        : { typing: { ...s.typing, [conversationId]: [...now, userId] } };
    });
  }

  private clearTyping(conversationId: string, userId: string): void {
    clearTimeout(this.typingTimers.get(`${conversationId}\n${userId}`));
    this.store.set((s) => {
      const now = s.typing[conversationId];
      if (!now?.includes(userId)) return {};
      return { typing: { ...s.typing, [conversationId]: now.filter((u) => u !== userId) } };
    });
  }

  // ------------------------------------------------------------ conversations

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshConversations();
    }, 150);
  }

  async refreshConversations(): Promise<void> {
    const result = await this.api.listConversations();
    if (!result.ok) return this.notify(result.error);
    this.store.set((s) => {
      // A conversation opened from the directory exists once its first message is stored.
      const pendingDirect = { ...s.pendingDirect };
      for (const c of result.value) delete pendingDirect[c.id];
      return { conversations: result.value, conversationsLoaded: true, pendingDirect };
    });
    // Someone new wrote: the directory knows their name and institution.
    const contacts = this.state.contacts;
    if (
      contacts &&
      result.value.some(
        (c) => c.peerUserId !== null && !contacts.some((p) => p.userId === c.peerUserId),
      )
    ) {
      void this.loadContacts();
    }
  }

  show(view: View): void {
    this.store.set({ view });
    if (view === 'contacts') void this.loadContacts();
    if (view === 'settings') {
      void this.loadSettings();
      // My account at once, then as the relay's directory has it now (my unit, whom I
      // report to, my absence), with the colleagues the absence form offers.
      void this.refreshAccount().then(() => this.loadContacts());
    }
  }

  async open(conversationId: string): Promise<void> {
    const previous = this.state.selected;
    this.store.set((s) => ({
      selected: conversationId,
      view: 'conversations',
      threads: keepThreads(s.threads, [conversationId, previous], s.pendingDirect),
    }));
    if (!this.state.threads[conversationId]) await this.loadThread(conversationId);
    this.scheduleMarkRead();
  }

  /** Opens the 1:1 conversation with a colleague, creating it on the first message. */
  async openDirect(userId: string, title: string): Promise<void> {
    const existing = this.state.conversations.find(
      (c) => c.kind === 'direct' && c.peerUserId === userId,
    );
    if (existing) return this.open(existing.id);
    const id = `direct:${userId}`;
    this.store.set((s) => ({
      pendingDirect: { ...s.pendingDirect, [id]: { userId, title } },
      threads: {
        ...s.threads,
        [id]: {
          messages: [],
          firstItemIndex: BASE_INDEX,
          complete: true,
          loadingOlder: false,
          error: null,
          firstUnreadId: null,
        },
      },
    }));
    return this.open(id);
  }

  private async loadThread(conversationId: string): Promise<void> {
    const result = await this.api.listMessages(conversationId, { limit: FIRST_PAGE });
    const messages = result.ok ? result.value : [];
    this.trackWaiting(messages);
    const firstUnread = messages.find((m) => !m.outgoing && m.status === 'received');
    this.store.set((s) => ({
      threads: {
        ...s.threads,
        [conversationId]: {
          messages,
          firstItemIndex: BASE_INDEX,
          complete: result.ok ? messages.length < FIRST_PAGE : false,
          loadingOlder: false,
          error: result.ok ? null : result.error,
          firstUnreadId: firstUnread?.id ?? null,
        },
      },
    }));
  }

  /** Loads the page before the oldest message loaded; false when there is nothing older. */
  async loadOlder(conversationId: string): Promise<boolean> {
    const thread = this.state.threads[conversationId];
    if (!thread || thread.complete || thread.loadingOlder) return false;
    const oldest = thread.messages[0];
    this.setThread(conversationId, { loadingOlder: true });
    // Just before the oldest message loaded, however many share its millisecond.
    const result = await this.api.listMessages(conversationId, {
      ...(oldest ? { beforeMessage: oldest.id } : {}),
      limit: OLDER_PAGE,
    });
    if (!result.ok) {
      this.setThread(conversationId, { loadingOlder: false });
      this.notify(result.error);
      return false;
    }
    const current = this.state.threads[conversationId]!;
    const known = new Set(current.messages.map((m) => m.id));
    const older = result.value.filter((m) => !known.has(m.id));
    this.trackWaiting(older);
    this.setThread(conversationId, {
      messages: [...older, ...current.messages],
      firstItemIndex: current.firstItemIndex - older.length,
      complete: result.value.length < OLDER_PAGE,
      loadingOlder: false,
    });
    return older.length > 0;
  }

  /** Brings a message into view, loading older pages until it is there. */
  async reveal(conversationId: string, messageId: string): Promise<void> {
    await this.open(conversationId);
    while (!this.state.threads[conversationId]?.messages.some((m) => m.id === messageId)) {
      if (!(await this.loadOlder(conversationId))) break;
    }
    this.store.set({ focus: { conversationId, messageId, serial: ++this.focusSerial } });
  }

  private scheduleMarkRead(): void {
    if (this.readTimer) clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      void this.markReadIfSeen();
    }, 200);
  }

  /** Marks the open conversation read when the person can see it. */
  async markReadIfSeen(): Promise<void> {
    this.arrivals.flush();
    const id = this.state.selected;
    if (!id || this.state.idleLocked || document.visibilityState !== 'visible') return;
    const thread = this.state.threads[id];
    const conversation = this.state.conversations.find((c) => c.id === id);
    const unread = thread?.messages.some((m) => !m.outgoing && m.status === 'received');
    if (!unread && !(conversation && conversation.unreadCount > 0)) return;
    const result = await this.api.markRead(id);
    if (!result.ok) return this.notify(result.error);
    const now = this.state.threads[id];
    if (now) {
      this.setThread(id, {
        messages: now.messages.map((m) =>
          !m.outgoing && m.status === 'received' ? { ...m, status: 'read' } : m,
        ),
      });
    }
    this.scheduleRefresh();
  }

  // ------------------------------------------------------------ composing

  composing(conversationId: string): Composing {
    return this.state.composing[conversationId] ?? { replyTo: null, editing: null };
  }

  setComposing(conversationId: string, composing: Composing): void {
    this.store.set((s) => ({ composing: { ...s.composing, [conversationId]: composing } }));
  }

  /** The draft to show when a composer opens. */
  draftOf(conversationId: string): string {
    return (
      this.drafts.get(conversationId) ??
      this.state.conversations.find((c) => c.id === conversationId)?.draft ??
      ''
    );
  }

  /** Keeps the text typed; the engine saves it shortly after typing stops. Resolves once saved. */
  typeDraft(conversationId: string, text: string, onSaved: (saved: boolean) => void): void {
    this.drafts.set(conversationId, text);
    clearTimeout(this.draftTimers.get(conversationId));
    this.draftTimers.set(
      conversationId,
      setTimeout(() => void this.saveDraft(conversationId).then(onSaved), DRAFT_SAVE_MS),
    );
    this.sendTyping(conversationId, text.length > 0);
  }

  /** Saves the pending draft now (leaving a conversation, closing the window). */
  async saveDraft(conversationId: string): Promise<boolean> {
    clearTimeout(this.draftTimers.get(conversationId));
    this.draftTimers.delete(conversationId);
    const text = this.drafts.get(conversationId);
    if (text === undefined || this.state.pendingDirect[conversationId]) return false;
    const result = await this.api.setDraft(conversationId, text);
    if (!result.ok) {
      this.notify(result.error);
      return false;
    }
    if (this.drafts.get(conversationId) === text) this.drafts.delete(conversationId);
    this.store.set((s) => ({
      conversations: s.conversations.map((c) =>
        c.id === conversationId ? { ...c, draft: text } : c,
      ),
    }));
    return true;
  }

  flushDrafts(): void {
    for (const id of [...this.draftTimers.keys()]) void this.saveDraft(id);
  }

  private sendTyping(conversationId: string, typing: boolean): void {
    if (this.state.pendingDirect[conversationId]) return;
    const last = this.typingSentAt.get(conversationId) ?? 0;
    const now = Date.now();
    if (typing && now - last < 4000) return;
    if (!typing && last === 0) return;
    this.typingSentAt.set(conversationId, typing ? now : 0);
    void this.api.setTyping(conversationId, typing);
  }

  /**
   * Sends, replies or saves an edit; true when the engine took it. `requestAcknowledgement`:
   * each recipient is asked to acknowledge it, signed ("pris connaissance");
   * `classification`: its label (the engine refuses one above the conversation's
   * clearance, or a reply below the label of what it answers).
   */
  async submit(conversationId: string, text: string, options: SendOptions = {}): Promise<boolean> {
    const trimmed = text.trim();
    if (trimmed === '') return false;
    const { replyTo, editing } = this.composing(conversationId);
    let result: Result<MessageView>;
    if (editing) {
      result = await this.api.editMessage(editing, text);
    } else {
      const to = destinationOf(conversationId, this.state);
      if (!to) return false;
      result = await this.api.sendText(to, text, {
        ...(replyTo ? { replyTo } : {}),
        ...(options.requestAcknowledgement ? { requestAcknowledgement: true } : {}),
        ...labelled(options),
      });
    }
    const message = this.value(result);
    if (!message) return false;
    this.drafts.delete(conversationId);
    clearTimeout(this.draftTimers.get(conversationId));
    this.sendTyping(conversationId, false);
    this.setComposing(conversationId, { replyTo: null, editing: null });
    if (this.state.pendingDirect[conversationId]) {
      await this.refreshConversations();
      await this.loadThread(message.conversationId);
    } else {
      this.putMessage(message);
      this.store.set((s) => ({
        conversations: s.conversations.map((c) =>
          c.id === conversationId ? { ...c, draft: '' } : c,
        ),
      }));
    }
    return true;
  }

  async remove(messageId: string): Promise<void> {
    const message = this.value(await this.api.deleteMessage(messageId));
    if (message) this.putMessage(message);
  }

  async react(message: MessageView, emoji: string): Promise<void> {
    const mine = message.reactions.find((r) => r.userId === this.state.account?.userId);
    const next = mine?.emoji === emoji ? '' : emoji;
    const updated = this.value(await this.api.react(message.id, next));
    if (updated) this.putMessage(updated);
  }

  async sendFile(conversationId: string, file: File, options: SendOptions = {}): Promise<void> {
    const to = destinationOf(conversationId, this.state);
    if (!to) return;
    this.store.set({ staging: { name: file.name, sent: 0, size: file.size } });
    // A picture's preview is made while its bytes go to the engine.
    const previewing = makePreview(file).catch(() => null);
    const staged = await this.client.stageFile(file, (sent) =>
      this.store.set({ staging: { name: file.name, sent, size: file.size } }),
    );
    const preview = await previewing;
    this.store.set({ staging: null });
    const stagedFile = this.value(staged);
    if (!stagedFile) return;
    const message = this.value(
      await this.api.sendFile(to, stagedFile.id, {
        ...(preview ? { preview } : {}),
        ...(options.requestAcknowledgement ? { requestAcknowledgement: true } : {}),
        ...labelled(options),
        ...(options.signDocument ? { signDocument: true } : {}),
      }),
    );
    if (message) this.putMessage(message);
  }

  /**
   * « Vérifier un document »: the file's bytes go to the host (a staged copy, never a
   * path), and the engine names the signed documents with exactly that content. The
   * answer, an error included, is for the dialog to show.
   */
  async verifyDocument(
    file: File,
    onProgress: (sent: number) => void,
  ): Promise<Result<DocumentCheck>> {
    const staged = await this.client.stageFile(file, onProgress);
    if (!staged.ok) return staged;
    return this.api.verifyDocument(staged.value.id);
  }

  /** "J'en ai pris connaissance": the engine signs and sends the acknowledgement. */
  async acknowledge(message: MessageView): Promise<void> {
    const updated = this.value(await this.api.acknowledge(message.id));
    if (updated) this.putMessage(updated);
  }

  /**
   * Forwards a message (its files are not sent again, its label is kept) to a
   * conversation, then opens that conversation so the person sees it leave. Returns
   * null when it was accepted, or the engine's refusal for the dialog to show.
   */
  async forward(message: MessageView, conversationId: string): Promise<ApiError | null> {
    const to = destinationOf(conversationId, this.state);
    if (!to) return { code: 'UNKNOWN_CONVERSATION', message: conversationId };
    const result = await this.api.forwardMessage(message.id, to);
    if (!result.ok) return result.error;
    await this.open(result.value.conversationId);
    this.putMessage(result.value);
    return null;
  }

  /**
   * Disappearing messages: how long new messages of the conversation live (seconds, 0:
   * kept). Returns whether the engine accepted it (a group needs an administrator).
   */
  async setExpireTimer(conversationId: string, seconds: number): Promise<boolean> {
    const notice = this.value(await this.api.setExpireTimer(conversationId, seconds));
    if (!notice) return false;
    this.putMessage(notice);
    await this.refreshConversations();
    return true;
  }

  /** A picture decrypted for display (a `data:` URL), or null with a notice saying why. */
  async viewAttachment(attachmentId: string): Promise<string | null> {
    return this.value(await this.api.viewAttachment(attachmentId))?.dataUrl ?? null;
  }

  /** Saves a received file; the harness answers with an address to fetch it from. */
  async download(message: MessageView, attachmentId: string, name: string): Promise<string | null> {
    const result = this.value(await this.api.downloadAttachment(attachmentId, name));
    // The file is now fetched and verified: show the message as the engine now sees it.
    const fresh = await this.api.listMessages(message.conversationId, {
      before: message.sentAt + 1,
      limit: 5,
    });
    if (fresh.ok) for (const m of fresh.value) if (m.id === message.id) this.putMessage(m);
    return result?.downloadUrl ?? null;
  }

  // ------------------------------------------------------------ directory

  /**
   * The directory (the engine fetches it from the relay), and my account read again:
   * clearances and absences come with them. When one changed, so may the conversations'
   * clearances, and the absence a 1:1 conversation shows (the engine says so with
   * 'conversation' events too; the list is read again either way).
   */
  async loadContacts(): Promise<void> {
    const before = this.state.contacts;
    const result = await this.api.contacts();
    if (!result.ok) {
      this.store.set({ contactsError: result.error });
      return;
    }
    this.store.set({ contacts: result.value, contactsError: null });
    const changed = result.value.some((c) => {
      const was = before?.find((b) => b.userId === c.userId);
      return (
        was?.clearance !== c.clearance ||
        was.delegation?.delegateId !== c.delegation?.delegateId ||
        was.delegation?.until !== c.delegation?.until
      );
    });
    const mine = this.state.account?.clearance;
    await this.refreshAccount();
    if (changed || this.state.account?.clearance !== mine) this.scheduleRefresh();
  }

  /**
   * « Absence et intérim »: I am away until `until` and `delegateId` answers for me; null
   * ends my absence. Returns null once the engine (and the relay's directory) took it, my
   * account then showing it, or the engine's refusal for the form to show.
   */
  async setDelegation(delegateId: string | null, until?: number): Promise<ApiError | null> {
    const result =
      delegateId === null
        ? await this.api.setDelegation(null)
        : await this.api.setDelegation(delegateId, until);
    if (!result.ok) return result.error;
    this.store.set({ account: result.value });
    return null;
  }

  openSafety(userId: string | null): void {
    this.store.set({ safetyFor: userId });
  }

  async markVerified(userId: string): Promise<boolean> {
    const result = await this.api.markVerified(userId);
    if (!result.ok) {
      this.notify(result.error);
      return false;
    }
    this.store.set((s) => ({ changedKeys: s.changedKeys.filter((u) => u !== userId) }));
    await this.loadContacts();
    return true;
  }

  // ------------------------------------------------------------ groups

  /** Creates a group, or with `broadcast` a channel where only its administrators post. */
  async createGroup(
    name: string,
    members: readonly string[],
    options: { readonly broadcast?: boolean } = {},
  ): Promise<ConversationView | null> {
    const group = this.value(
      await this.api.createGroup(name, members, options.broadcast ? { broadcast: true } : {}),
    );
    if (!group) return null;
    await this.refreshConversations();
    await this.open(group.id);
    return group;
  }

  // ------------------------------------------------------------ settings

  async loadSettings(): Promise<void> {
    const result = await this.api.settings();
    if (result.ok) {
      this.store.set({ settings: result.value, settingsError: null });
    } else {
      this.store.set({ settings: null, settingsError: result.error });
    }
  }

  async updateSettings(change: Partial<SettingsView>): Promise<boolean> {
    const result = await this.api.updateSettings(change);
    if (!result.ok) {
      this.notify(result.error);
      return false;
    }
    this.store.set({ settings: result.value });
    return true;
  }

  /** The language applies at once on this computer, and is saved in the engine when it can. */
  async setLanguage(language: Language): Promise<void> {
    await changeLanguage(language);
    if (this.state.settings) await this.updateSettings({ language });
  }
}
