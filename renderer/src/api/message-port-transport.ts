// The desktop app's transport: a MessagePort to the engine process, handed over by
// the preload (window.postMessage with the port transferred). Structured clone
// carries the frames as they are; file bytes go in transferred chunks.
import type { Result } from '../../../shared/api/index.js';
import type { ClientFrame, HostFrame, StagedFile } from '../../../shared/api/host.js';
import type { Transport, TransportHandlers, UploadRpc } from './transport.js';

/** The message the preload posts with the port. */
export const PORT_MESSAGE = 'comgov:engine-port';
const CHUNK_BYTES = 1 << 20;

/** What the preload exposes on `window` (see main/electron/preload.ts). */
export interface DesktopBridge {
  /** Asks main for a fresh port to the engine; it arrives as a window message. */
  requestEnginePort(): void;
}

export function desktopBridge(): DesktopBridge | null {
  const bridge = (window as unknown as { comgovDesktop?: DesktopBridge }).comgovDesktop;
  return bridge && typeof bridge.requestEnginePort === 'function' ? bridge : null;
}

export class MessagePortTransport implements Transport {
  private port: MessagePort | null = null;
  private queue: ClientFrame[] = [];

  constructor(private readonly bridge: DesktopBridge) {}

  start(handlers: TransportHandlers): void {
    handlers.state('connecting');
    window.addEventListener('message', (event: MessageEvent) => {
      // Only the preload, in this very window, hands a port over.
      if (event.source !== window || event.data !== PORT_MESSAGE || !event.ports[0]) return;
      this.port?.close();
      const port = event.ports[0];
      this.port = port;
      port.onmessage = (message: MessageEvent<HostFrame>) => {
        if (message.data.type === 'welcome') {
          handlers.state('open');
          for (const queued of this.queue.splice(0)) port.postMessage(queued);
        }
        handlers.frame(message.data);
      };
      port.start();
    });
    this.bridge.requestEnginePort();
  }

  send(frame: ClientFrame): void {
    if (this.port) this.port.postMessage(frame);
    else this.queue.push(frame);
  }

  async stageFile(
    file: File,
    onProgress: (sent: number) => void,
    rpc: UploadRpc,
  ): Promise<Result<StagedFile>> {
    const id = rpc.nextId();
    const answer = rpc.result(id);
    let sent = 0;
    for (let offset = 0; offset < file.size || offset === 0; offset += CHUNK_BYTES) {
      const chunk = await file.slice(offset, offset + CHUNK_BYTES).arrayBuffer();
      sent += chunk.byteLength;
      const last = offset + CHUNK_BYTES >= file.size;
      const frame: ClientFrame = { type: 'upload', id, name: file.name, chunk, last };
      this.port?.postMessage(frame, [chunk]);
      onProgress(sent);
      if (last) break;
    }
    return (await answer) as Result<StagedFile>;
  }
}
