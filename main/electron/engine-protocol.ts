// Messages between Electron main and the engine's utilityProcess (over its
// parentPort). Renderer calls do not pass here: each window gets its own
// MessagePort straight to the engine process.
import type { Classification } from '../../shared/api/index.js';
import type { HostStatus } from '../harness/engine-host.js';

export interface EngineInit {
  readonly type: 'init';
  readonly profile: string;
  readonly dataDir: string;
  readonly relay: {
    readonly url: string;
    readonly key: string;
    readonly fixedByPolicy: boolean;
  } | null;
  /** Machine policy RelayCaFile: a file of authorities trusted for the relay's TLS. */
  readonly relayCaFile: string | null;
  /** The store key as the OS key store gave it back (hex), or why not. */
  readonly protectedKey: string | null | 'unreadable';
  /** Machine policy: may people turn disappearing messages on. */
  readonly disappearingMessages: boolean;
  /** Development only (`npm start`): unlock and enrol without asking. */
  readonly devPassphrase?: string;
  readonly devEnrolCode?: string;
}

export type MainToEngine =
  | EngineInit
  /** A renderer's port arrives with this message. */
  | { readonly type: 'connect' }
  | { readonly type: 'lockNow' }
  | { readonly type: 'keyProtected'; readonly id: number }
  | { readonly type: 'savePathChosen'; readonly id: number; readonly path: string | null }
  | { readonly type: 'shutdown' };

export type EngineToMain =
  | { readonly type: 'status'; readonly status: HostStatus }
  | { readonly type: 'protectKey'; readonly id: number; readonly keyHex: string }
  | { readonly type: 'chooseSavePath'; readonly id: number; readonly name: string }
  | {
      readonly type: 'notify';
      readonly conversationId: string;
      readonly sender: string;
      /** A group's name, when the message was posted in one. */
      readonly group?: string;
      readonly text: string | null;
      readonly showText: boolean;
      /** A labelled message: its text is never shown, the notification names the label. */
      readonly classification?: Exclude<Classification, 'none'>;
    }
  /** The store cannot be written (full disk…): main tells the person even when the window is hidden. */
  | { readonly type: 'storageProblem'; readonly problem: 'DISK_FULL' | 'STORE_WRITE_FAILED' }
  /** The ICT cell revoked this device (and, if `wiped`, had its data erased): said even when hidden. */
  | { readonly type: 'deviceRevoked'; readonly wiped: boolean }
  | { readonly type: 'closed' };
