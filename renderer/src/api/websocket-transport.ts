// The browser harness's transport: a WebSocket to the page's own origin, opened
// with the token that came in the address. The token is moved out of the address
// bar at once (kept in sessionStorage so a reload still works).
import type { Result } from '../../../shared/api/index.js';
import type { ClientFrame, HostFrame, StagedFile } from '../../../shared/api/host.js';
import type { LinkState, Transport, TransportHandlers } from './transport.js';

const TOKEN_KEY = 'comgov.harness.token';
const MAX_RETRY_MS = 5000;

/** Reads the token from `#token=…` (then removes it from the address) or from sessionStorage. */
export function takeHarnessToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return match[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class WebSocketTransport implements Transport {
  private socket: WebSocket | null = null;
  private handlers: TransportHandlers | null = null;
  private retryMs = 200;
  private queue: ClientFrame[] = [];
  private welcomed = false;

  constructor(private readonly token: string) {}

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.open();
  }

  private setState(state: LinkState): void {
    this.handlers?.state(state);
  }

  private open(): void {
    this.setState('connecting');
    const url = new URL('/api', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    this.welcomed = false;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'hello', token: this.token } satisfies ClientFrame));
    });
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      let frame: HostFrame;
      try {
        frame = JSON.parse(event.data) as HostFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') {
        this.welcomed = true;
        this.retryMs = 200;
        this.setState('open');
        for (const queued of this.queue.splice(0)) socket.send(JSON.stringify(queued));
      }
      this.handlers?.frame(frame);
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setState('closed');
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    });
  }

  send(frame: ClientFrame): void {
    if (this.socket && this.welcomed && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
    } else {
      this.queue.push(frame);
    }
  }

  stageFile(file: File, onProgress: (sent: number) => void): Promise<Result<StagedFile>> {
    // An HTTP upload streams the file; the socket carries only small frames.
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open('POST', `/upload?name=${encodeURIComponent(file.name)}`);
      request.setRequestHeader('x-comgov-token', this.token);
      request.upload.addEventListener('progress', (e) => onProgress(e.loaded));
      request.addEventListener('load', () => {
        try {
          resolve(JSON.parse(request.responseText) as Result<StagedFile>);
        } catch {
          resolve({ ok: false, error: { code: 'INTERNAL', message: 'Bad upload answer.' } });
        }
      });
      request.addEventListener('error', () =>
        resolve({ ok: false, error: { code: 'INTERNAL', message: 'Upload interrupted.' } }),
      );
      request.send(file);
    });
  }
}
