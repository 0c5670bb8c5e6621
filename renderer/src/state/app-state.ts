// The state of the whole UI, and the shape of each part of it.
import {
  type AccountView,
  type ApiError,
  type Classification,
  type ConnectionProblem,
  type ConnectionState,
  type ContactView,
  type ConversationView,
  DEFAULT_CLEARANCE,
  type MessageView,
  type SettingsView,
  classificationLevel,
} from '../../../shared/api/index.js';
import type { HostStatus } from '../../../shared/api/host.js';
import type { LinkState } from '../api/transport.js';

/** The messages of one conversation loaded so far (oldest first). */
export interface Thread {
  readonly messages: readonly MessageView[];
  /** Index of messages[0] in the virtual list; goes down as older pages are prepended. */
  readonly firstItemIndex: number;
  /** The oldest message is loaded. */
  readonly complete: boolean;
  readonly loadingOlder: boolean;
  readonly error: ApiError | null;
  /** First unread message when the conversation was opened (the "new messages" marker). */
  readonly firstUnreadId: string | null;
}

export type View = 'conversations' | 'contacts' | 'settings';

export interface Notice {
  readonly id: number;
  readonly text: string;
}

/** A request to bring one message into view (search result, quoted message, first unread). */
export interface FocusRequest {
  readonly conversationId: string;
  readonly messageId: string;
  readonly serial: number;
}

export interface Composing {
  readonly replyTo: string | null;
  readonly editing: string | null;
}

export interface AppState {
  readonly link: LinkState;
  readonly host: HostStatus | null;
  readonly account: AccountView | null;
  readonly idleLocked: boolean;
  readonly connection: ConnectionState | null;
  /** Why the connection stays down, when the person (or the ICT cell) can act on it. */
  readonly connectionProblem: ConnectionProblem | null;
  /** Jobs in the engine's outbox, as its last `outbox` event said. */
  readonly waiting: number;
  /** My messages seen waiting in this session (the engine reports its count only after a send). */
  readonly waitingMessages: number;
  readonly catchUp: { readonly processed: number; readonly remaining: number } | null;
  /** Why the engine cannot write its store (full disk…), as its last `storage` event said. */
  readonly storageProblem: 'DISK_FULL' | 'STORE_WRITE_FAILED' | null;
  /** The ICT cell revoked this device: the relay refuses it for good (the engine's `revoked` event). */
  readonly revoked: boolean;
  readonly conversations: readonly ConversationView[];
  readonly conversationsLoaded: boolean;
  readonly view: View;
  readonly selected: string | null;
  /** Direct conversations opened from the directory that do not exist in the store yet. */
  readonly pendingDirect: Readonly<
    Record<string, { readonly userId: string; readonly title: string }>
  >;
  readonly threads: Readonly<Record<string, Thread>>;
  readonly typing: Readonly<Record<string, readonly string[]>>;
  readonly composing: Readonly<Record<string, Composing>>;
  readonly contacts: readonly ContactView[] | null;
  readonly contactsError: ApiError | null;
  /** Users whose key changed during this session (the engine's identityChanged events). */
  readonly changedKeys: readonly string[];
  readonly transfers: Readonly<
    Record<string, { readonly transferred: number; readonly size: number }>
  >;
  readonly staging: { readonly name: string; readonly sent: number; readonly size: number } | null;
  readonly notices: readonly Notice[];
  readonly settings: SettingsView | null;
  readonly settingsError: ApiError | null;
  readonly focus: FocusRequest | null;
  /** The safety-number dialog, when open. */
  readonly safetyFor: string | null;
}

export const initialState: AppState = {
  link: 'connecting',
  host: null,
  account: null,
  idleLocked: false,
  connection: null,
  connectionProblem: null,
  waiting: 0,
  waitingMessages: 0,
  catchUp: null,
  storageProblem: null,
  revoked: false,
  conversations: [],
  conversationsLoaded: false,
  view: 'conversations',
  selected: null,
  pendingDirect: {},
  threads: {},
  typing: {},
  composing: {},
  contacts: null,
  contactsError: null,
  changedKeys: [],
  transfers: {},
  staging: null,
  notices: [],
  settings: null,
  settingsError: null,
  focus: null,
  safetyFor: null,
};

/** Where a message to this conversation goes: the peer of a 1:1, or the group's id. */
export function destinationOf(conversationId: string, state: AppState): string | null {
  const pending = state.pendingDirect[conversationId];
  if (pending) return pending.userId;
  const conversation = state.conversations.find((c) => c.id === conversationId);
  if (!conversation) return null;
  return conversation.kind === 'direct' ? conversation.peerUserId : conversation.id;
}

/**
 * The highest label everyone in the conversation (me included) is cleared for, as the
 * engine says; for a 1:1 not created yet, the lower of my clearance and the peer's.
 */
export function clearanceOf(conversationId: string, state: AppState): Classification {
  const conversation = state.conversations.find((c) => c.id === conversationId);
  if (conversation) return conversation.clearance;
  const pending = state.pendingDirect[conversationId];
  const mine = state.account?.clearance ?? DEFAULT_CLEARANCE;
  const theirs =
    (pending && state.contacts?.find((c) => c.userId === pending.userId)?.clearance) ??
    DEFAULT_CLEARANCE;
  return classificationLevel(mine) <= classificationLevel(theirs) ? mine : theirs;
}
