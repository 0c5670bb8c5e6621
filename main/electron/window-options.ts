// The main window, created here so that a unit test can assert its options
// without Electron (it passes a stand-in for BrowserWindow): an isolated,
// sandboxed renderer with no Node, and no way to reach more than the preload's
// narrow door. The options are written out literally in the constructor call so
// that electronegativity can read them too.
import type {
  BrowserWindow as ElectronBrowserWindow,
  BrowserWindowConstructorOptions,
  Rectangle,
} from 'electron';

export const MIN_WIDTH = 880;
export const MIN_HEIGHT = 560;

export type WindowConstructor<W> = new (options: BrowserWindowConstructorOptions) => W;

export function createMainWindow<W = ElectronBrowserWindow>(
  BrowserWindow: WindowConstructor<W>,
  preloadPath: string,
  bounds: Partial<Rectangle> = {},
): W {
  return new BrowserWindow({
    width: bounds.width ?? 1200,
    height: bounds.height ?? 780,
    ...(bounds.x !== undefined && bounds.y !== undefined ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    show: false,
    title: 'COMGOV',
    backgroundColor: '#eef1f5',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      disableBlinkFeatures: 'Auxclick',
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  });
}
