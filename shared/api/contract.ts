// The engine API: what the desktop app's renderer, the browser harness and the
// CLI may ask of the engine, and the events it sends back. One contract, typed
// end to end; every call answers with a Result (errors as values with codes).
import type { Result } from './errors.js';

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'stopped';

/** What a person sees of a message's journey. "failed" does not exist: a message waits. */
export type DeliveryStatus = 'waiting' | 'sent' | 'delivered' | 'read' | 'received' | 'refused';

export type MessageKind = 'text' | 'reply';

export interface Reaction {
  readonly userId: string;
  readonly emoji: string;
}

export interface MessageView {
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly outgoing: boolean;
  /** Sender's clock, ms since the epoch. */
  readonly sentAt: number;
  readonly kind: MessageKind;
  /** null once deleted. */
  readonly text: string | null;
  readonly replyTo: string | null;
  readonly editedAt: number | null;
  readonly deletedAt: number | null;
  readonly status: DeliveryStatus;
  /** Why a message was refused for good (e.g. the recipient's account was revoked). */
  readonly refusalReason: string | null;
  readonly reactions: readonly Reaction[];
}

export interface ConversationView {
  readonly id: string;
  readonly kind: 'direct' | 'group';
  readonly title: string;
  readonly peerUserId: string | null;
  readonly lastMessage: MessageView | null;
  readonly unreadCount: number;
  readonly draft: string;
  readonly lastActivityAt: number;
}

export interface ContactView {
  readonly userId: string;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
  readonly devices: readonly { readonly deviceId: number; readonly active: boolean }[];
  readonly verified: boolean;
  /** A key of theirs changed and the change has not been acknowledged. */
  readonly identityChanged: boolean;
}

export interface AccountView {
  readonly userId: string;
  readonly deviceId: number;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
  readonly relayUrl: string;
}

export interface SafetyNumberView {
  readonly userId: string;
  readonly digits: string;
  readonly groups: readonly string[];
  readonly verified: boolean;
}

export type EngineEvent =
  | { readonly type: 'connection'; readonly state: ConnectionState }
  | { readonly type: 'message'; readonly message: MessageView }
  | { readonly type: 'messageUpdated'; readonly message: MessageView }
  | { readonly type: 'catchUp'; readonly processed: number; readonly remaining: number }
  | { readonly type: 'identityChanged'; readonly userId: string; readonly deviceId: number }
  | {
      readonly type: 'typing';
      readonly conversationId: string;
      readonly userId: string;
      readonly typing: boolean;
    }
  | { readonly type: 'outbox'; readonly waiting: number }
  | { readonly type: 'undecryptable'; readonly senderId: string; readonly reason: string };

/** The methods of the engine, all asynchronous, all answering with a Result. */
export interface EngineApi {
  account(): Promise<Result<AccountView>>;
  listConversations(): Promise<Result<readonly ConversationView[]>>;
  listMessages(
    conversationId: string,
    options?: { readonly before?: number; readonly limit?: number },
  ): Promise<Result<readonly MessageView[]>>;
  sendText(
    to: string,
    text: string,
    options?: { readonly replyTo?: string },
  ): Promise<Result<MessageView>>;
  editMessage(messageId: string, text: string): Promise<Result<MessageView>>;
  deleteMessage(messageId: string): Promise<Result<MessageView>>;
  react(messageId: string, emoji: string): Promise<Result<MessageView>>;
  markRead(conversationId: string): Promise<Result<number>>;
  setDraft(conversationId: string, draft: string): Promise<Result<void>>;
  setTyping(conversationId: string, typing: boolean): Promise<Result<void>>;
  contacts(): Promise<Result<readonly ContactView[]>>;
  safetyNumber(userId: string): Promise<Result<SafetyNumberView>>;
  markVerified(userId: string): Promise<Result<void>>;
}
