// Electron main: thin. One instance per profile, the window (hardened, its
// place remembered), the tray, notifications, the renderer served from the app's
// own protocol with a strict CSP, the engine in a utilityProcess, the store key
// wrapped by the OS key store, and the lock when the session locks. Renderer
// calls go straight to the engine over a MessagePort; main does not proxy them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BrowserWindow,
  Menu,
  MessageChannelMain,
  Notification,
  Tray,
  type UtilityProcess,
  app,
  dialog,
  ipcMain,
  nativeImage,
  powerMonitor,
  protocol,
  safeStorage,
  screen,
  session,
  utilityProcess,
} from 'electron';
import { openAppLog } from './app-log.js';
import { readMachinePolicy } from './policy/machine-policy.js';
import type { MachinePolicy } from './policy/policy-schema.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, contentSecurityPolicy } from './csp.js';
import type { EngineInit, EngineToMain, MainToEngine } from './engine-protocol.js';
import { hardenContents, hardenSession, isAppUrl } from './hardening.js';
import { loadProtectedKey, saveProtectedKey } from './key-protection.js';
import { MAIN_TEXTS, type MainTexts } from './main-texts.js';
import { NotificationBatcher } from './notification-batcher.js';
import { PORT_MESSAGE, REQUEST_PORT } from './bridge-names.js';
import { createMainWindow } from './window-options.js';
import { loadWindowState, saveWindowState } from './window-state.js';
import { type UpdateChecks, startUpdateChecks, updateSettings } from './updater/update-checks.js';
import { errorText } from '../../shared/api/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/main → dist/renderer, dist/engine. */
const RENDERER_DIR = path.join(here, '..', 'renderer');
const ENGINE_ENTRY = path.join(here, '..', 'engine', 'engine.js');
const PRELOAD = path.join(here, 'preload.js');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const profile = (argument('--profile') ?? 'default').replace(/[^a-z0-9._-]/gi, '');
// Development (`npm start`): profiles live beside the development relay's data.
const devData = app.isPackaged ? undefined : process.env.COMGOV_DEV_DATA;
if (devData) app.setPath('userData', path.join(devData, 'electron', profile));
else if (profile !== 'default') {
  app.setPath('userData', path.join(app.getPath('userData'), 'profiles', profile));
}
const dataDir = devData
  ? path.join(devData, 'profiles', profile)
  : path.join(app.getPath('userData'), 'data');
/** For the ICT cell: %APPDATA%\COMGOV Messenger\logs\comgov.log (docs/deployment.md). */
const appLog = openAppLog(path.join(app.getPath('userData'), 'logs'), { echo: !app.isPackaged });

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let window: BrowserWindow | null = null;
let engine: UtilityProcess | null = null;
let tray: Tray | null = null;
let quitting = false;
let texts: MainTexts = MAIN_TEXTS.fr;
let policy: MachinePolicy | null = null;
let updates: UpdateChecks | null = null;
/** Messages that arrive together make one notification (notification-batcher.ts). */
const notifications = new NotificationBatcher(
  (content) => {
    const notification = new Notification({ ...content, silent: false });
    notification.on('click', () => showWindow());
    notification.show();
  },
  () => texts,
  () => window?.isFocused() ?? false,
);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  void app.whenReady().then(start);
}

async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
  const file = path.resolve(RENDERER_DIR, relative);
  if (url.host !== APP_HOST || !file.startsWith(RENDERER_DIR + path.sep)) {
    return new Response(null, { status: 404 });
  }
  try {
    return new Response(await readFile(file), {
      headers: {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': contentSecurityPolicy(),
        'x-content-type-options': 'nosniff',
      },
    });
  } catch {
    return new Response(null, { status: 404 });
  }
}

function showWindow(): void {
  if (!window) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

function createWindow(): void {
  const state = loadWindowState(
    app.getPath('userData'),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  window = createMainWindow(BrowserWindow, PRELOAD, state);
  if (state.maximized) window.maximize();
  // Screenshots and screen sharing show a black window (Windows), unless policy says otherwise.
  if (process.platform === 'win32' && (policy?.contentProtection ?? true)) {
    window.setContentProtection(true);
  }
  window.once('ready-to-show', () => window?.show());
  const remember = () => {
    if (!window) return;
    const bounds = window.getNormalBounds();
    saveWindowState(app.getPath('userData'), { ...bounds, maximized: window.isMaximized() });
  };
  // The person now sees the messages: what was about to be notified is not.
  window.on('focus', () => notifications.clear());
  window.on('resize', remember);
  window.on('move', remember);
  window.on('close', (event) => {
    remember();
    // Closing keeps the app in the tray, so messages keep arriving; Quit is in the tray menu.
    if (!quitting && tray) {
      event.preventDefault();
      window?.hide();
    }
  });
  window.on('closed', () => {
    window = null;
  });
  void window.loadURL(`${APP_ORIGIN}/index.html`);
}

function createTray(): void {
  // PNG, not the SVG favicon: Windows cannot show an SVG in the tray. tray@2x.png
  // beside it is picked on HiDPI screens (npm run icons draws both).
  const icon = nativeImage.createFromPath(path.join(RENDERER_DIR, 'tray.png'));
  tray = new Tray(icon.isEmpty() ? nativeImage.createEmpty() : icon);
  tray.setToolTip(texts.tooltip);
  setTrayMenu();
  tray.on('click', () => showWindow());
}

/** The tray menu; "Restart to update" appears once a verified update is downloaded. */
function setTrayMenu(updateVersion?: string): void {
  tray?.setContextMenu(
    Menu.buildFromTemplate([
      { label: texts.open, click: () => showWindow() },
      ...(updateVersion
        ? [
            {
              label: `${texts.restartToUpdate} (${updateVersion})`,
              click: () => installUpdateNow(),
            },
          ]
        : []),
      { type: 'separator' },
      { label: texts.quit, click: () => quit() },
    ]),
  );
}

function startUpdates(): void {
  const settings = updateSettings(policy!, app.isPackaged);
  if ('off' in settings) {
    appLog.info(`updates: ${settings.off}`);
    return;
  }
  updates = startUpdateChecks(settings.options, {
    onReady: (version) => {
      setTrayMenu(version);
      if (!Notification.isSupported()) return;
      const notification = new Notification({
        title: texts.updateReady,
        body: texts.updateReadyBody,
        silent: true,
      });
      notification.on('click', () => installUpdateNow());
      notification.show();
    },
    log: (message) => appLog.warn(`updates: ${message}`),
  });
}

/** Stops the engine cleanly (its commits finish), then runs the verified installer. */
function installUpdateNow(): void {
  const checks = updates;
  if (!checks) return;
  quitting = true;
  if (!engine) return checks.installNow();
  engine.once('exit', () => checks.installNow());
  send({ type: 'shutdown' });
}

function send(message: MainToEngine, ports: MessageChannelMain['port1'][] = []): void {
  engine?.postMessage(message, ports);
}

function startEngine(): void {
  const child = utilityProcess.fork(ENGINE_ENTRY, [], {
    serviceName: 'COMGOV engine',
    stdio: 'pipe',
  });
  engine = child;
  if (child.stdout) appLog.follow(child.stdout, 'engine');
  if (child.stderr) appLog.follow(child.stderr, 'engine', 'warn');
  const protectedKey = loadProtectedKey(dataDir, safeStorage);
  const relayUrl = process.env.COMGOV_DEV_RELAY_URL ?? policy?.relayUrl ?? null;
  const relayKey = process.env.COMGOV_DEV_RELAY_KEY ?? policy?.relayPublicKey ?? null;
  const init: EngineInit = {
    type: 'init',
    profile,
    dataDir,
    relay:
      relayUrl && relayKey
        ? { url: relayUrl, key: relayKey, fixedByPolicy: !devData && policy?.relayUrl !== null }
        : null,
    protectedKey:
      protectedKey instanceof Uint8Array ? Buffer.from(protectedKey).toString('hex') : protectedKey,
    disappearingMessages: policy?.disappearingMessages ?? true,
    relayCaFile: policy?.relayCaFile ?? null,
    ...(devData && process.env.COMGOV_DEV_PASSPHRASE
      ? { devPassphrase: process.env.COMGOV_DEV_PASSPHRASE }
      : {}),
    ...(devData && process.env.COMGOV_DEV_ENROL_CODE
      ? { devEnrolCode: process.env.COMGOV_DEV_ENROL_CODE }
      : {}),
  };
  child.postMessage(init);
  child.on('message', (message: EngineToMain) => void onEngineMessage(message));
  child.on('exit', (code) => {
    engine = null;
    if (quitting) return;
    appLog.error('the engine stopped; started again', { code });
    // Nothing is lost (the store is transactional); start again and reconnect the window.
    dialog.showErrorBox(texts.tooltip, texts.engineStopped);
    startEngine();
    window?.webContents.reload();
  });
}

async function onEngineMessage(message: EngineToMain): Promise<void> {
  switch (message.type) {
    case 'protectKey':
      saveProtectedKey(dataDir, safeStorage, new Uint8Array(Buffer.from(message.keyHex, 'hex')));
      send({ type: 'keyProtected', id: message.id });
      break;
    case 'chooseSavePath': {
      const options = {
        title: texts.saveTitle,
        defaultPath: path.join(app.getPath('downloads'), message.name),
      };
      const choice = window
        ? await dialog.showSaveDialog(window, options)
        : await dialog.showSaveDialog(options);
      send({
        type: 'savePathChosen',
        id: message.id,
        path: choice.canceled ? null : (choice.filePath ?? null),
      });
      break;
    }
    case 'notify': {
      if (!Notification.isSupported()) break;
      notifications.add({
        conversationId: message.conversationId,
        sender: message.sender,
        ...(message.group !== undefined ? { group: message.group } : {}),
        text: message.text,
        showText: message.showText,
        ...(message.classification ? { classification: message.classification } : {}),
      });
      break;
    }
    case 'storageProblem': {
      // The banner in the window says it too; a hidden window must not hide it.
      if (window?.isFocused() || !Notification.isSupported()) break;
      const notification = new Notification({
        title: texts.storageProblem,
        body: errorText(message.problem, policy?.defaultLanguage === 'en' ? 'en' : 'fr'),
      });
      notification.on('click', () => showWindow());
      notification.show();
      break;
    }
    case 'deviceRevoked': {
      if (window?.isFocused() || !Notification.isSupported()) break;
      const notification = new Notification({
        title: message.wiped ? texts.deviceWiped : texts.deviceRevoked,
        body: errorText(
          message.wiped ? 'DEVICE_WIPED' : 'DEVICE_REVOKED',
          policy?.defaultLanguage === 'en' ? 'en' : 'fr',
        ),
      });
      notification.on('click', () => showWindow());
      notification.show();
      break;
    }
    case 'status':
    case 'closed':
      break;
  }
}

async function start(): Promise<void> {
  const read = await readMachinePolicy();
  policy = read.policy;
  // For the ICT cell: a skipped setting says which, where and why.
  for (const notice of read.notices)
    appLog.warn(`policy: ${notice.message}`, { code: notice.code });
  appLog.info(`started, version ${app.getVersion()}`, { profile });
  texts = MAIN_TEXTS[policy.defaultLanguage] ?? MAIN_TEXTS.fr;
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, serveRenderer);
  ipcMain.on(REQUEST_PORT, (event) => {
    // Only the app's own page in the main window gets a door to the engine.
    if (!window || event.sender !== window.webContents || !isAppUrl(event.senderFrame?.url ?? '')) {
      return;
    }
    const { port1, port2 } = new MessageChannelMain();
    send({ type: 'connect' }, [port1]);
    event.sender.postMessage(PORT_MESSAGE, null, [port2]);
  });
  powerMonitor.on('lock-screen', () => send({ type: 'lockNow' }));
  powerMonitor.on('suspend', () => send({ type: 'lockNow' }));
  startEngine();
  createWindow();
  createTray();
  startUpdates();
}

function quit(): void {
  quitting = true;
  if (!engine) return app.quit();
  const stopping = engine;
  stopping.once('exit', () => app.quit());
  send({ type: 'shutdown' });
}

app.on('before-quit', () => {
  quitting = true;
});
app.on('window-all-closed', () => {
  if (!tray) app.quit();
});
