// What the renderer asks of the process that hosts its engine (Electron's engine
// process, or the browser harness), on top of the engine's own `AppApi`: the
// lifecycle before an engine exists (enrolment, unlocking the store), the app
// lock, and moving file bytes without handing paths across. Also the frames that
// carry calls and events over a MessagePort or a WebSocket.
import type { AccountView, AppApi, EngineEvent, Result, TransferEvent } from './index.js';

/** Where the host is in the life of a profile. */
export type HostPhase = 'enrol' | 'unlock' | 'ready';

export interface HostStatus {
  readonly phase: HostPhase;
  /** Relay address and key from machine policy (or the development relay), to prefill. */
  readonly relayUrl: string | null;
  readonly relayKey: string | null;
  /** True when machine policy fixes the relay: the fields are shown but not editable. */
  readonly relayFixedByPolicy: boolean;
  /** Why the passphrase is asked: a normal start, or the OS key store could not unwrap the key. */
  readonly unlockReason: 'start' | 'recovery' | null;
  /** The profile's name (several profiles may run side by side in development). */
  readonly profile: string;
  /**
   * True on the enrolment screen when this profile was just erased on the ICT cell's
   * order (remote wipe of a lost or stolen device): the screen says so.
   */
  readonly wiped: boolean;
  /** Machine policy: people may turn disappearing messages on (turning them off is always possible). */
  readonly disappearingMessagesAllowed: boolean;
}

export interface EnrolRequest {
  readonly relayUrl: string;
  /** The relay's public key, 64 hexadecimal characters. */
  readonly relayKey: string;
  readonly code: string;
  readonly passphrase: string;
}

/** A file whose bytes the host has received, ready to be sent by `sendFile(to, stagedFile.id)`. */
export interface StagedFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
}

export interface HostApi {
  hostStatus(): Promise<Result<HostStatus>>;
  enrol(request: EnrolRequest): Promise<Result<AccountView>>;
  unlock(passphrase: string): Promise<Result<AccountView>>;
  /** Checks the passphrase for the idle lock, without reopening anything. */
  verifyPassphrase(passphrase: string): Promise<Result<void>>;
  /**
   * Saves a received attachment where the person chooses. The harness answers with
   * a one-time download address; the desktop app asks main for a save dialog and
   * answers with nothing to do.
   */
  downloadAttachment(
    attachmentId: string,
    name: string,
  ): Promise<Result<{ readonly downloadUrl: string | null }>>;
}

/** Everything the renderer may call. */
export type ClientApi = AppApi & HostApi;
export type ClientMethod = keyof ClientApi;

/** Events of the host itself. */
export type HostEvent =
  | { readonly type: 'hostStatus'; readonly status: HostStatus }
  /** Main asks for the app lock now (screen locked, session switched). */
  | { readonly type: 'lockNow' };

export type ClientEvent = EngineEvent | TransferEvent | HostEvent;

/** The method names the host accepts; anything else is refused at the edge. */
export const CLIENT_METHODS = [
  // EngineApi
  'account',
  'listConversations',
  'listMessages',
  'sendText',
  'editMessage',
  'deleteMessage',
  'react',
  'markRead',
  'setDraft',
  'setTyping',
  'contacts',
  'safetyNumber',
  'markVerified',
  'setExpireTimer',
  'acknowledge',
  'setDelegation',
  // SearchApi
  'search',
  // GroupsApi
  'createGroup',
  'renameGroup',
  'addGroupMember',
  'removeGroupMember',
  'leaveGroup',
  'groupMembers',
  // FilesApi
  'sendFile',
  'saveAttachment',
  'forwardMessage',
  'viewAttachment',
  'verifyDocument',
  // SettingsApi
  'settings',
  'updateSettings',
  'ownDevices',
  // HostApi
  'hostStatus',
  'enrol',
  'unlock',
  'verifyPassphrase',
  'downloadAttachment',
] as const satisfies readonly ClientMethod[];

// A compile-time check that the list names every method of ClientApi.
type Missing = Exclude<ClientMethod, (typeof CLIENT_METHODS)[number]>;
const _allMethodsListed: [Missing] extends [never] ? true : Missing = true;
void _allMethodsListed;

export function isClientMethod(value: unknown): value is ClientMethod {
  return typeof value === 'string' && (CLIENT_METHODS as readonly string[]).includes(value);
}

// ---------------------------------------------------------------- frames

/** Renderer → host. Over a WebSocket the first frame must be `hello` with the token. */
export type ClientFrame =
  | { readonly type: 'hello'; readonly token: string }
  | {
      readonly type: 'call';
      readonly id: number;
      readonly method: ClientMethod;
      readonly args: readonly unknown[];
    }
  /** Bytes of a file to stage, in order; `last` closes it (MessagePort transport only). */
  | {
      readonly type: 'upload';
      readonly id: number;
      readonly name: string;
      readonly chunk: ArrayBuffer;
      readonly last: boolean;
    };

/** Host → renderer. */
export type HostFrame =
  | { readonly type: 'welcome' }
  | { readonly type: 'result'; readonly id: number; readonly result: Result<unknown> }
  | { readonly type: 'event'; readonly event: ClientEvent };

/** Largest JSON frame either side accepts (file bytes travel separately). */
export const MAX_FRAME_BYTES = 1 << 20;
