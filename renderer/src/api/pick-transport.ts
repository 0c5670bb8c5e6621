// Chooses the transport for where the UI runs: the desktop app's preload bridge
// when present, else the harness's WebSocket with its token.
import { MessagePortTransport, desktopBridge } from './message-port-transport.js';
import type { Transport } from './transport.js';
import { WebSocketTransport, takeHarnessToken } from './websocket-transport.js';

export function pickTransport(): Transport | null {
  const bridge = desktopBridge();
  if (bridge) return new MessagePortTransport(bridge);
  const token = takeHarnessToken();
  return token ? new WebSocketTransport(token) : null;
}
