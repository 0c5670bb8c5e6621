// The engine API: what the desktop app's renderer, the browser harness and the
// CLI may ask of the engine, and the events it sends back. One contract, typed
// end to end; every call answers with a Result (errors as values with codes).
import type { Classification } from './classification.js';
import type { ErrorCode, Result } from './errors.js';

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'stopped';
/** What keeps the connection down when a person can act on it (a code of ERROR_TEXTS). */
export type ConnectionProblem = 'RELAY_CERTIFICATE_UNTRUSTED';

/** What a person sees of a message's journey. "failed" does not exist: a message waits. */
export type DeliveryStatus = 'waiting' | 'sent' | 'delivered' | 'read' | 'received' | 'refused';

/** `timer`: a notice that the conversation's disappearing-messages timer changed (no text). */
export type MessageKind = 'text' | 'reply' | 'timer';

/** The disappearing-messages timers the app offers (seconds): 30 s to 4 weeks. */
export const EXPIRE_TIMER_CHOICES = [30, 300, 3600, 28_800, 86_400, 604_800, 2_419_200] as const;
/** Bounds of a timer set through the API or the CLI (seconds); 0 turns it off. */
export const MIN_EXPIRE_SECONDS = 1;
export const MAX_EXPIRE_SECONDS = 365 * 86_400;

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
  /** Files of this message (empty for text only). */
  readonly attachments?: readonly AttachmentView[];
  /** Display name of the sender (groups show it above each message). */
  readonly senderName?: string;
  /** True when the sender forwarded it from another message; absent otherwise. */
  readonly forwarded?: boolean;
  /**
   * Disappearing messages: the seconds this message lives, counted from when it leaves
   * (mine) or from when it is read (theirs); absent when it is kept. On a `timer`
   * notice: the conversation's new timer (0: turned off).
   */
  readonly expireSeconds?: number;
  /** When it disappears (ms since the epoch), once its countdown has started. */
  readonly expiresAt?: number;
  /**
   * "Pris connaissance": its sender asked each recipient for a signed acknowledgement;
   * who gave one (verified), and when. Absent when none was asked.
   */
  readonly acknowledgement?: {
    readonly requested: true;
    readonly by: readonly { readonly userId: string; readonly at: number }[];
  };
  /** Its classification label (shared/api/classification.ts); absent when unmarked. */
  readonly classification?: Classification;
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
  /** Disappearing messages: seconds new messages live (0: off). */
  readonly expireSeconds: number;
  /**
   * A broadcast channel (a group where only its administrators post; members read and
   * may acknowledge); `mayPost`: I am one of its administrators. Absent otherwise.
   */
  readonly channel?: { readonly mayPost: boolean };
  /**
   * The highest classification label everyone in the conversation (me included) is
   * cleared for: the app offers labels up to it, and the engine refuses higher ones.
   */
  readonly clearance: Classification;
  /** A 1:1 conversation whose peer is away: who answers for them, until when. */
  readonly absence?: DelegationView;
}

/**
 * « Intérim »: while someone is away, a colleague they named answers for them (until a
 * date). Their contacts' apps say so and offer to write to the delegate.
 */
export interface DelegationView {
  readonly delegateId: string;
  readonly delegateName: string;
  /** The end of the absence (ms since the epoch). */
  readonly until: number;
}

/** Longest absence one can declare at once (days). */
export const MAX_DELEGATION_DAYS = 366;

export interface ContactView {
  readonly userId: string;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
  /** Their unit within the institution (direction, service), as the ICT cell set it; may be ''. */
  readonly unit: string;
  /** Who they report to (a user id), as the ICT cell set it; null if none. */
  readonly managerId: string | null;
  /** They are away, and this colleague answers for them; absent otherwise. */
  readonly delegation?: DelegationView;
  readonly devices: readonly { readonly deviceId: number; readonly active: boolean }[];
  readonly verified: boolean;
  /** A key of theirs changed and the change has not been acknowledged. */
  readonly identityChanged: boolean;
  /** The highest classification label they may receive, set by their ICT cell. */
  readonly clearance: Classification;
}

export interface AccountView {
  readonly userId: string;
  readonly deviceId: number;
  readonly displayName: string;
  readonly institution: string;
  readonly title: string;
  readonly relayUrl: string;
  /** The highest classification label I may send or receive, set by my ICT cell. */
  readonly clearance: Classification;
  /** My unit and who I report to, as my ICT cell set them ('' and null if not). */
  readonly unit: string;
  readonly managerId: string | null;
  /** The absence I declared (setDelegation), while it lasts; absent otherwise. */
  readonly delegation?: DelegationView;
}

export interface SafetyNumberView {
  readonly userId: string;
  readonly digits: string;
  readonly groups: readonly string[];
  readonly verified: boolean;
}

export type EngineEvent =
  | {
      readonly type: 'connection';
      readonly state: ConnectionState;
      /** Why it stays down, when a person can act on it. */
      readonly problem?: ConnectionProblem;
    }
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
  /** How many of the person's messages wait for the relay (receipts and the like not counted). */
  | { readonly type: 'outbox'; readonly waiting: number }
  | { readonly type: 'undecryptable'; readonly senderId: string; readonly reason: string }
  /**
   * The store cannot be written (full disk, disk error): what arrives is not acknowledged
   * and stays on the relay; the engine tries again by itself. `problem: null` once a
   * write succeeds again.
   */
  | { readonly type: 'storage'; readonly problem: 'DISK_FULL' | 'STORE_WRITE_FAILED' | null }
  /**
   * The ICT cell revoked this device: the relay refuses it for good. `wiped`: it also
   * ordered the device's data erased; the engine has closed and erased its data folder.
   */
  | { readonly type: 'revoked'; readonly wiped: boolean }
  /** Disappearing messages whose time was up: gone from the store, the index and the disk. */
  | {
      readonly type: 'expired';
      readonly conversationId: string;
      readonly messageIds: readonly string[];
    }
  /** A conversation's title, members, timer or existence changed. */
  | { readonly type: 'conversation'; readonly conversationId: string }
  /** Progress of a file transfer (bytes of ciphertext). */
  | {
      readonly type: 'transfer';
      readonly attachmentId: string;
      readonly transferred: number;
      readonly size: number;
      readonly direction: 'up' | 'down';
    };

/** The methods of the engine, all asynchronous, all answering with a Result. */
export interface EngineApi {
  account(): Promise<Result<AccountView>>;
  listConversations(): Promise<Result<readonly ConversationView[]>>;
  /**
   * The last `limit` messages (default 50, at most 500), oldest first; with `beforeMessage`
   * (a message id) the ones just before that message, for scrolling back; with `before`
   * (a time in ms, exclusive) the ones sent before it.
   */
  listMessages(
    conversationId: string,
    options?: {
      readonly before?: number;
      readonly beforeMessage?: string;
      readonly limit?: number;
    },
  ): Promise<Result<readonly MessageView[]>>;
  /**
   * `requestAcknowledgement`: each recipient is asked to acknowledge it, signed ("pris
   * connaissance"); the message can then no longer be edited. `classification`: its
   * label (default none); refused with CLASSIFICATION_NOT_CLEARED above the
   * conversation's clearance, and with CLASSIFICATION_DOWNGRADE below the label of the
   * message it answers.
   */
  sendText(
    to: string,
    text: string,
    options?: {
      readonly replyTo?: string;
      readonly requestAcknowledgement?: boolean;
      readonly classification?: Classification;
    },
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
  /**
   * Disappearing messages: sets how long new messages of the conversation live (seconds,
   * MIN_EXPIRE_SECONDS to MAX_EXPIRE_SECONDS; 0 turns it off) and tells the others. In a
   * group only an administrator may. Answers the notice shown in the conversation.
   */
  setExpireTimer(conversationId: string, seconds: number): Promise<Result<MessageView>>;
  /**
   * "J'en ai pris connaissance": signs, with this device's certified identity key, that
   * I took note of a message that asked for it (its text and files as received), and
   * sends the acknowledgement to its author and the conversation. Done once per person.
   */
  acknowledge(messageId: string): Promise<Result<MessageView>>;
  /**
   * « Absence et intérim »: I am away until `until` (ms since the epoch, at most
   * MAX_DELEGATION_DAYS ahead) and `delegateId` answers for me; the relay's directory
   * tells my contacts. `null` ends it. Answers my account as the directory now has it.
   */
  setDelegation(delegateId: string | null, until?: number): Promise<Result<AccountView>>;
}

// ---------------------------------------------------------------- next parts
// Implemented by the engine as the groups, attachments and search stages land;
// the UI is written against the whole `AppApi`.

export interface AttachmentView {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  /** Bytes uploaded (outgoing) or downloaded (incoming) so far. */
  readonly transferred: number;
  readonly state: 'uploading' | 'uploaded' | 'downloading' | 'available' | 'failed';
  /** Why a failed transfer stopped (for the sentence to show); absent otherwise. */
  readonly failure?: ErrorCode;
  /** A small picture of the file sent with it, as a `data:` URL (JPEG, PNG or WebP); absent if none. */
  readonly preview?: string;
  /**
   * A signed document (« attestation d'intégrité »): who signed its content and when.
   * The signature was checked on receipt; the content is checked against it when the
   * file is saved (a file that differs is refused). Absent for a file not signed.
   */
  readonly document?: DocumentSignatureView;
}

export interface DocumentSignatureView {
  readonly signerId: string;
  readonly signerName: string;
  readonly signerInstitution: string;
  /** When it was signed, by the signer's clock (ms since the epoch). */
  readonly signedAt: number;
  /**
   * SHA-256 of the file's content, 64 lowercase hex digits: what Windows prints for
   * `Get-FileHash <file>` or `certutil -hashfile <file> SHA256`, so anyone can compare.
   */
  readonly sha256: string;
}

/** A signed document this store holds whose content is that of the file checked. */
export interface DocumentMatch extends DocumentSignatureView {
  readonly attachmentId: string;
  /** The file's name, as signed. */
  readonly name: string;
  readonly size: number;
  /** Where it was received or sent (the first message that carries it). */
  readonly messageId: string | null;
  readonly conversationId: string | null;
}

/** What `verifyDocument` found for a file. */
export interface DocumentCheck {
  /** SHA-256 of the file checked (hex) and its size. */
  readonly sha256: string;
  readonly size: number;
  /** Signed documents with exactly this content; empty when none. */
  readonly matches: readonly DocumentMatch[];
}

export interface SearchHit {
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly sentAt: number;
  /** The snippet in pieces; `match` pieces are the words found (render as <mark>, never as HTML). */
  readonly snippet: readonly { readonly text: string; readonly match: boolean }[];
}

export interface GroupMemberView {
  readonly userId: string;
  readonly displayName: string;
  readonly admin: boolean;
}

export interface SettingsView {
  readonly language: 'fr' | 'en';
  readonly notificationsShowText: boolean;
  readonly lockDelayMinutes: number;
}

export interface SearchApi {
  search(
    query: string,
    options?: { readonly conversationId?: string; readonly limit?: number },
  ): Promise<Result<readonly SearchHit[]>>;
}

export interface GroupsApi {
  /** `broadcast`: a channel where only administrators post (fixed at creation). */
  createGroup(
    name: string,
    members: readonly string[],
    options?: { readonly broadcast?: boolean },
  ): Promise<Result<ConversationView>>;
  renameGroup(conversationId: string, name: string): Promise<Result<void>>;
  addGroupMember(conversationId: string, userId: string): Promise<Result<void>>;
  removeGroupMember(conversationId: string, userId: string): Promise<Result<void>>;
  leaveGroup(conversationId: string): Promise<Result<void>>;
  groupMembers(conversationId: string): Promise<Result<readonly GroupMemberView[]>>;
  /** Sends text to a group conversation (`sendText` takes a user id or `group:<id>`). */
}

/** Largest picture the app shows itself (viewAttachment); larger ones are downloaded. */
export const MAX_VIEWABLE_BYTES = 20 * 1024 * 1024;

/** Bytes of a file's preview picture at most (SendFileOptions.preview). */
export const MAX_PREVIEW_BYTES = 32 * 1024;

export interface SendFileOptions {
  /**
   * A small picture of the file (a photo's thumbnail) as a `data:` URL: JPEG, PNG or
   * WebP, at most 32 KiB. It travels in the message, so the recipient sees it before
   * the file is fetched.
   */
  readonly preview?: string;
  /** Ask each recipient to acknowledge the file, signed ("pris connaissance"). */
  readonly requestAcknowledgement?: boolean;
  /** Its classification label (default none), as for sendText. */
  readonly classification?: Classification;
  /**
   * Sign the file as a document (« attestation d'intégrité »): its SHA-256 and name are
   * signed with this device's certified identity key, and travel with it (forwards too),
   * so that each recipient can prove later that a copy is the very document sent.
   */
  readonly signDocument?: boolean;
}

export interface FilesApi {
  /** Sends a file from a local path (Electron gives paths; the harness uploads to a temp path first). */
  sendFile(to: string, filePath: string, options?: SendFileOptions): Promise<Result<MessageView>>;
  /** Writes a received (verified) attachment to `outPath`. */
  saveAttachment(attachmentId: string, outPath: string): Promise<Result<void>>;
  /**
   * A picture (JPEG, PNG, GIF or WebP by its bytes, at most MAX_VIEWABLE_BYTES) decrypted
   * for display in the app as a `data:` URL, fetched first if needed; written nowhere.
   */
  viewAttachment(attachmentId: string): Promise<Result<{ readonly dataUrl: string }>>;
  /**
   * Forwards a message, its text and its files, to a user id or `group:<id>`. Files are
   * not uploaded again: the new message names the same relay blobs (upload once, send
   * to many); a received file can be forwarded before it is fetched here. The copy
   * keeps the message's classification label, so it may only go to a conversation
   * cleared for it (CLASSIFICATION_NOT_CLEARED otherwise).
   */
  forwardMessage(messageId: string, to: string): Promise<Result<MessageView>>;
  /**
   * « Vérifier un document »: hashes a file from a local path (a copy received by mail
   * or on a USB key) and names the signed documents of this store with the same
   * content: who signed them and when. Nothing matches: the copy is not one of them.
   */
  verifyDocument(filePath: string): Promise<Result<DocumentCheck>>;
}

export interface SettingsApi {
  settings(): Promise<Result<SettingsView>>;
  updateSettings(change: Partial<SettingsView>): Promise<Result<SettingsView>>;
  ownDevices(): Promise<
    Result<
      readonly { readonly deviceId: number; readonly active: boolean; readonly current: boolean }[]
    >
  >;
}

/** Everything the UI may call. */
export type AppApi = EngineApi & SearchApi & GroupsApi & FilesApi & SettingsApi;

/**
 * Events of the later stages, added to EngineEvent's union as they land:
 * { type: 'transfer', attachmentId, messageId, transferred, size, direction }.
 */
export type TransferEvent = {
  readonly type: 'transfer';
  readonly attachmentId: string;
  readonly messageId: string;
  readonly transferred: number;
  readonly size: number;
  readonly direction: 'up' | 'down';
};
