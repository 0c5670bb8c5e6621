// `npm start [-- --profile <name>] [--browser]`: the app on a development relay.
// The first run starts an embedded relay (SQLite under .tmp/dev-data) with a
// demonstration institution and enrols the profile automatically; a second
// `npm start -- --profile bernard` in another terminal opens a second profile on
// the same relay. Where the Electron binary cannot be had, the same profiles open
// in the browser harness and the address is printed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMain, buildRenderer } from './electron/bundle.js';
import {
  DEFAULT_DEV_RELAY_PORT,
  DEV_PASSPHRASE,
  type DevRelay,
  ensureDevRelay,
  inviteDevUser,
  openDevProfile,
  profileUserId,
} from './harness/dev-environment.js';
import { startHarness } from './harness/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RENDERER_DIST = path.join(ROOT, 'dist', 'renderer');

interface Options {
  profile: string;
  browser: boolean;
  dataRoot: string;
  relayPort: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    profile: 'amina',
    browser: false,
    dataRoot: process.env.COMGOV_DEV_DATA ?? path.join(ROOT, '.tmp', 'dev-data'),
    relayPort: Number(process.env.COMGOV_DEV_RELAY_PORT ?? DEFAULT_DEV_RELAY_PORT),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--profile') options.profile = argv[++i] ?? '';
    else if (arg.startsWith('--profile=')) options.profile = arg.slice('--profile='.length);
    else if (arg === '--browser') options.browser = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('Usage: npm start [-- --profile <name>] [--browser]');
      process.exit(0);
    } else {
      console.error(`Unknown option ${arg}. Usage: npm start [-- --profile <name>] [--browser]`);
      process.exit(2);
    }
  }
  profileUserId(options.profile);
  return options;
}

/** The newest modification time under a folder. */
function newest(folder: string): number {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

async function ensureRendererBuilt(): Promise<void> {
  const index = path.join(RENDERER_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(path.join(ROOT, 'renderer'))) return;
  console.log('Building the interface (a few seconds)…');
  await buildRenderer();
}

/** The Electron binary, when the electron package could download it. */
function electronBinary(): string | null {
  const packageDir = path.join(ROOT, 'node_modules', 'electron');
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

async function runElectron(binary: string, options: Options, relay: DevRelay): Promise<void> {
  await buildMain();
  const userId = profileUserId(options.profile);
  const enrolled = existsSync(path.join(options.dataRoot, 'profiles', userId, 'store-key.json'));
  const child = spawn(binary, [path.join(ROOT, 'dist', 'main', 'main.js'), '--profile', userId], {
    stdio: 'inherit',
    env: {
      ...process.env,
      COMGOV_DEV_DATA: options.dataRoot,
      COMGOV_DEV_RELAY_URL: relay.url,
      COMGOV_DEV_RELAY_KEY: relay.keyHex,
      COMGOV_DEV_PASSPHRASE: DEV_PASSPHRASE,
      ...(enrolled ? {} : { COMGOV_DEV_ENROL_CODE: await inviteDevUser(relay, userId) }),
    },
  });
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
}

async function runBrowser(options: Options, relay: DevRelay): Promise<() => Promise<void>> {
  const host = await openDevProfile(options.dataRoot, relay, options.profile);
  const harness = await startHarness({ host, rendererDir: RENDERER_DIST });
  const account = host.current ? await host.current.account() : null;
  const who = account?.ok
    ? `${account.value.displayName} (${account.value.userId})`
    : options.profile;
  console.log(`\nProfile ${who} — open this address in Chromium or Firefox:\n\n  ${harness.url}\n`);
  console.log(`Passphrase of the lock screen: "${DEV_PASSPHRASE}".`);
  if (relay.running) {
    console.log(
      `A second profile on the same relay, in another terminal: npm start -- --profile ${options.profile === 'bernard' ? 'amina' : 'bernard'}`,
    );
  }
  console.log('Ctrl+C stops it; messages and profiles stay in .tmp/dev-data.');
  return async () => {
    await harness.close();
    await host.close();
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await ensureRendererBuilt();
  const relay = await ensureDevRelay(options.dataRoot, options.relayPort);
  console.log(
    relay.running
      ? `Development relay started at ${relay.url} (data in ${path.relative(ROOT, relay.dataDir)}).`
      : `Using the development relay already running at ${relay.url}.`,
  );
  const stopRelay = async () => relay.running?.close();
  const binary = options.browser ? null : electronBinary();
  if (binary) {
    await runElectron(binary, options, relay);
    await stopRelay();
    return;
  }
  if (!options.browser) {
    console.log(
      'The Electron binary is not installed on this machine, so the app opens in the browser harness instead, with the same engine and profiles.',
    );
  }
  const stop = await runBrowser(options, relay);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop()
      .then(stopRelay)
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
