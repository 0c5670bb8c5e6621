// The main window's webPreferences: the hardening the threat model counts on.
import { describe, expect, it } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import { createMainWindow } from './window-options.js';

class RecordingWindow {
  constructor(readonly options: BrowserWindowConstructorOptions) {}
}

describe('main window', () => {
  const window = createMainWindow(RecordingWindow, '/app/dist/main/preload.js', {
    x: 10,
    y: 20,
    width: 1000,
    height: 700,
  });
  const prefs = window.options.webPreferences!;

  it('isolates and sandboxes the renderer, without Node', () => {
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(prefs.enableBlinkFeatures ?? '').toBe('');
  });

  it('loads only our preload, and keeps the remembered place', () => {
    expect(prefs.preload).toBe('/app/dist/main/preload.js');
    expect(window.options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700, show: false });
  });
});
