// The preload: the renderer's only door. It asks main for a MessagePort to the
// engine and hands the port to the page; nothing else crosses. Runs sandboxed,
// as a plain script (see bundle.ts).
import { contextBridge, ipcRenderer } from 'electron';
import { PORT_MESSAGE, REQUEST_PORT } from './bridge-names.js';

ipcRenderer.on(PORT_MESSAGE, (event) => {
  // To this window only, never to another origin.
  window.postMessage(PORT_MESSAGE, window.location.origin, event.ports);
});

contextBridge.exposeInMainWorld('comgovDesktop', {
  requestEnginePort: (): void => ipcRenderer.send(REQUEST_PORT),
});
