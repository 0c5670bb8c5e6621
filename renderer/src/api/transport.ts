// The one door between the UI and its engine. Two implementations: a MessagePort
// (the desktop app, handed over by the preload) and a loopback WebSocket (the
// browser harness). Nothing else in the renderer knows which one runs.
import type { Result } from '../../../shared/api/index.js';
import type { ClientFrame, HostFrame, StagedFile } from '../../../shared/api/host.js';

export type LinkState = 'connecting' | 'open' | 'closed';

export interface TransportHandlers {
  frame(frame: HostFrame): void;
  state(state: LinkState): void;
}

/** What a transport needs from the client to move a file (ids and answers are the client's). */
export interface UploadRpc {
  nextId(): number;
  result(id: number): Promise<Result<unknown>>;
}

export interface Transport {
  start(handlers: TransportHandlers): void;
  send(frame: ClientFrame): void;
  /** Moves a file's bytes to the host; `onProgress` gets the bytes sent so far. */
  stageFile(
    file: File,
    onProgress: (sent: number) => void,
    rpc: UploadRpc,
  ): Promise<Result<StagedFile>>;
}
