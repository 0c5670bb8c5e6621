// `npm run package:check`: packages the Windows app offline (electron-builder
// --win --x64 --dir) against a stand-in Electron made here, then checks what would
// ship: the asar holds the main, engine and renderer bundles and nothing else, the
// native module is unpacked, the fuses read back as configured, the asar integrity
// is embedded, app-update.yml names a publisher, and the app stays under budget.
// `--release` also requires the native module to be a Windows PE (on a Windows host);
// `--stage-only` only prepares out/package-check/app for `npm run dist:win`.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { getRawHeader, listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { build as esbuild } from 'esbuild';
import { Arch, Platform, build } from 'electron-builder';
import yaml from 'js-yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'out', 'package-check');
const stage = path.join(out, 'app');
const electronDist = path.join(out, 'electron-dist');
const release = process.argv.includes('--release');
/** App without Electron: app.asar + app.asar.unpacked. */
const SIZE_BUDGET_BYTES = 40 * 1024 * 1024;
const ELECTRON_VERSION = JSON.parse(
  readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8'),
).version as string;
const NATIVE = 'better-sqlite3-multiple-ciphers';
const notes: string[] = [];
const failures: string[] = [];

function check(condition: boolean, what: string): void {
  if (!condition) failures.push(what);
}

async function bundle(entry: string, outfile: string): Promise<void> {
  await esbuild({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron', NATIVE],
    // CommonJS has no import.meta: without this, esbuild empties it and
    // `import.meta.url` (main.ts finds the renderer with it) is undefined at run time.
    define: { 'import.meta': 'IMPORT_META' },
    banner: {
      js: `"use strict";\nvar IMPORT_META = { url: require('node:url').pathToFileURL(__filename).href };`,
    },
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

/** The app folder electron-builder packages: bundles, a minimal package.json, the native module. */
async function stageApp(): Promise<void> {
  const dist = path.join(stage, 'dist');
  const mainEntry = path.join(root, 'main/electron/main.ts');
  if (existsSync(mainEntry)) await bundle(mainEntry, path.join(dist, 'main/main.js'));
  else {
    notes.push(
      'main/electron/main.ts does not exist yet: bundled scripts/package-stand-in/main.ts instead',
    );
    await bundle(
      path.join(root, 'scripts/package-stand-in/main.ts'),
      path.join(dist, 'main/main.js'),
    );
  }
  const preload = path.join(root, 'main/electron/preload.ts');
  if (existsSync(preload)) await bundle(preload, path.join(dist, 'main/preload.js'));
  else {
    notes.push('main/electron/preload.ts does not exist yet: empty stand-in preload');
    mkdirSync(path.join(dist, 'main'), { recursive: true });
    writeFileSync(path.join(dist, 'main/preload.js'), '"use strict";\n');
  }
  // The engine's utilityProcess entry (main.ts starts dist/engine/engine.js).
  await bundle(
    path.join(root, 'main/electron/engine-process.ts'),
    path.join(dist, 'engine/engine.js'),
  );
  // The attachment worker thread, loaded by the engine from beside its bundle.
  await bundle(
    path.join(root, 'main/engine/attachments/crypto-worker.ts'),
    path.join(dist, 'engine/crypto-worker.js'),
  );
  const renderer = path.join(root, 'dist/renderer');
  if (existsSync(path.join(renderer, 'index.html')))
    cpSync(renderer, path.join(dist, 'renderer'), { recursive: true });
  else {
    notes.push('dist/renderer/index.html does not exist yet (npm run build): stand-in page');
    mkdirSync(path.join(dist, 'renderer'), { recursive: true });
    writeFileSync(
      path.join(dist, 'renderer/index.html'),
      '<!doctype html><title>COMGOV Messenger</title>\n',
    );
  }
  const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const nativePackage = JSON.parse(
    readFileSync(path.join(root, 'node_modules', NATIVE, 'package.json'), 'utf8'),
  );
  writeFileSync(
    path.join(stage, 'package.json'),
    JSON.stringify(
      {
        name: rootPackage.name,
        productName: rootPackage.productName,
        version: rootPackage.version,
        description: rootPackage.description,
        author: 'COMGOV',
        license: rootPackage.license,
        main: 'dist/main/main.js',
        dependencies: { [NATIVE]: nativePackage.version },
      },
      null,
      2,
    ),
  );
  // Only what the native module needs at run time (not its C sources, deps or prebuild-install).
  const target = path.join(stage, 'node_modules', NATIVE);
  mkdirSync(path.join(target, 'build/Release'), { recursive: true });
  cpSync(path.join(root, 'node_modules', NATIVE, 'lib'), path.join(target, 'lib'), {
    recursive: true,
  });
  cpSync(
    path.join(root, 'node_modules', NATIVE, 'build/Release/better_sqlite3.node'),
    path.join(target, 'build/Release/better_sqlite3.node'),
  );
  writeFileSync(
    path.join(target, 'package.json'),
    JSON.stringify(
      {
        ...nativePackage,
        dependencies: { bindings: nativePackage.dependencies.bindings },
        scripts: {},
        devDependencies: {},
      },
      null,
      2,
    ),
  );
  for (const dep of ['bindings', 'file-uri-to-path']) {
    cpSync(path.join(root, 'node_modules', dep), path.join(stage, 'node_modules', dep), {
      recursive: true,
    });
  }
}

/** A stand-in Windows Electron: a small real x64 PE with version info (7-Zip's, vendored by electron-winstaller) with Electron's fuse wire (9 fuses, v1) appended. */
function makeElectronDist(): void {
  mkdirSync(electronDist, { recursive: true });
  const pe = readFileSync(path.join(root, 'node_modules/electron-winstaller/vendor/7z-x64.exe'));
  // Electron's defaults: RunAsNode, NODE_OPTIONS, inspect and file:// privileges on; the rest off.
  const wire = Buffer.from('101100001', 'latin1');
  const fuse = Buffer.concat([
    Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'latin1'),
    Buffer.from([1, wire.length]),
    wire,
  ]);
  writeFileSync(path.join(electronDist, 'electron.exe'), Buffer.concat([pe, fuse]));
  writeFileSync(path.join(electronDist, 'LICENSE'), 'stand-in\n');
  writeFileSync(path.join(electronDist, 'version'), `${ELECTRON_VERSION}\n`);
  mkdirSync(path.join(electronDist, 'resources'), { recursive: true });
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(full) : statSync(full).size;
  }
  return total;
}

/** Whether the executable embeds our icon: the largest image of build/icon.ico, byte for byte. */
function exeHasOurIcon(exe: string): boolean {
  const icon = readFileSync(path.join(root, 'build/icon.ico'));
  const count = icon.readUInt16LE(4);
  const entry = 6 + 16 * (count - 1);
  const length = icon.readUInt32LE(entry + 8);
  const offset = icon.readUInt32LE(entry + 12);
  return readFileSync(exe).includes(icon.subarray(offset, offset + length));
}

/**
 * Starts the bundled attachment worker as the engine does and waits for its 'ready'
 * (code loaded, crypto library initialised): a bundle that cannot load fails here,
 * not on an official's PC.
 */
async function checkWorkerBundle(file: string): Promise<void> {
  const worker = new Worker(file);
  try {
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no answer within 20 s'), 20_000);
      worker.on('message', (message: { type?: string }) => {
        clearTimeout(timer);
        resolve(message.type === 'ready' ? 'ready' : `unexpected message ${message.type}`);
      });
      worker.on('error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
    });
    check(outcome === 'ready', `the bundled attachment worker does not start: ${outcome}`);
  } finally {
    await worker.terminate();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });
  await stageApp();
  await checkWorkerBundle(path.join(stage, 'dist/engine/crypto-worker.js'));
  // esbuild empties import.meta in CommonJS; the banner shim must have replaced every use.
  for (const bundle of ['main/main.js', 'engine/engine.js', 'engine/crypto-worker.js']) {
    const code = readFileSync(path.join(stage, 'dist', bundle), 'utf8');
    check(!/var import_meta\d* = \{\};/.test(code), `dist/${bundle} has an empty import.meta`);
  }
  if (process.argv.includes('--stage-only')) {
    if (failures.length > 0) {
      for (const failure of failures) console.error(`FAIL: ${failure}`);
      process.exit(1);
    }
    console.log(`staged the app in ${stage}`);
    return;
  }
  makeElectronDist();
  const config = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<
    string,
    unknown
  >;
  process.env.ELECTRON_BUILDER_OFFLINE = 'true';
  process.env.CSC_IDENTITY_AUTO_DISCOVERY = 'false';
  await build({
    projectDir: root,
    targets: Platform.WINDOWS.createTarget('dir', Arch.x64),
    publish: 'never',
    config: {
      ...config,
      electronDist,
      electronVersion: ELECTRON_VERSION,
      directories: {
        ...(config.directories as object),
        app: stage,
        output: path.join(out, 'release'),
      },
    },
  });

  const unpacked = path.join(out, 'release', 'win-unpacked');
  const resources = path.join(unpacked, 'resources');
  const asarPath = path.join(resources, 'app.asar');
  const files = listPackage(asarPath, { isPack: false }).map((f) => f.replaceAll('\\', '/'));
  for (const required of [
    '/package.json',
    '/dist/main/main.js',
    '/dist/main/preload.js',
    '/dist/engine/engine.js',
    '/dist/engine/crypto-worker.js',
    '/dist/renderer/index.html',
  ]) {
    check(files.includes(required), `app.asar lacks ${required}`);
  }
  // The tray needs PNG (Windows shows no SVG there); checked when the real renderer was built.
  if (files.includes('/dist/renderer/favicon.svg')) {
    for (const tray of ['/dist/renderer/tray.png', '/dist/renderer/tray@2x.png']) {
      check(files.includes(tray), `app.asar lacks ${tray} (npm run icons, then npm run build)`);
    }
  }
  const allowedModules = [
    `/node_modules/${NATIVE}`,
    '/node_modules/bindings',
    '/node_modules/file-uri-to-path',
  ];
  for (const file of files) {
    if (/\.(ts|tsx|map)$/.test(file) && !file.endsWith('.d.ts'))
      failures.push(`app.asar ships a source or source map: ${file}`);
    if (/(^|\/)(test|tests|__tests__)\/|\.test\.[cm]?js$/.test(file))
      failures.push(`app.asar ships a test: ${file}`);
    if (
      file.startsWith('/node_modules/') &&
      file.split('/').length > 3 &&
      !allowedModules.some((m) => file === m || file.startsWith(`${m}/`))
    ) {
      failures.push(`app.asar ships a dependency outside the bundles: ${file}`);
    }
    if (/\/(src|deps)\//.test(file) || /\.(gyp|cc|c|h|o|obj|mk)$/.test(file))
      failures.push(`app.asar ships native build intermediates: ${file}`);
  }
  const nativeFile = path.join(
    resources,
    'app.asar.unpacked/node_modules',
    NATIVE,
    'build/Release/better_sqlite3.node',
  );
  check(existsSync(nativeFile), 'the native module is not unpacked next to app.asar');
  if (existsSync(nativeFile)) {
    const magic = readFileSync(nativeFile).subarray(0, 2).toString('latin1');
    if (magic !== 'MZ') {
      (release ? failures : notes).push(
        `${path.basename(nativeFile)} is not a Windows PE (starts with ${JSON.stringify(magic)}): rebuild it for Electron on Windows (electron-builder install-app-deps)`,
      );
    }
  }
  const exe = path.join(unpacked, 'COMGOV Messenger.exe');
  check(
    exeHasOurIcon(exe),
    'COMGOV Messenger.exe does not carry build/icon.ico (win.icon in electron-builder.yml)',
  );
  const fuses = await getCurrentFuseWire(exe);
  const DISABLE = 0x30; // '0'
  const ENABLE = 0x31; // '1'
  const expected: [FuseV1Options, number][] = [
    [FuseV1Options.RunAsNode, DISABLE],
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable, DISABLE],
    [FuseV1Options.EnableNodeCliInspectArguments, DISABLE],
    [FuseV1Options.EnableCookieEncryption, ENABLE],
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation, ENABLE],
    [FuseV1Options.OnlyLoadAppFromAsar, ENABLE],
  ];
  for (const [option, state] of expected) {
    check(
      (fuses as Record<number, number>)[option] === state,
      `fuse ${FuseV1Options[option]} is ${String.fromCharCode((fuses as Record<number, number>)[option] ?? 63)}, expected ${String.fromCharCode(state)}`,
    );
  }
  // Embedded asar integrity: the SHA-256 of the asar header, in the exe's resources.
  const headerHash = createHash('sha256').update(getRawHeader(asarPath).headerString).digest('hex');
  check(
    readFileSync(exe).includes(Buffer.from(headerHash, 'latin1')) ||
      readFileSync(exe).includes(Buffer.from(headerHash, 'utf16le')),
    'the asar integrity hash is not embedded in the executable',
  );
  // electron-builder writes resources/app-update.yml for the nsis target only (not --dir):
  // check the configuration it is written from.
  const win = config.win as { signtoolOptions?: { publisherName?: unknown } } | undefined;
  const publisher = win?.signtoolOptions?.publisherName;
  check(
    Array.isArray(publisher) && publisher.length > 0,
    'win.signtoolOptions.publisherName is empty: app-update.yml would have no publisherName and electron-updater would skip verifyUpdateCodeSignature',
  );
  const publish = config.publish as
    { provider?: string; useMultipleRangeRequest?: boolean } | undefined;
  check(
    publish?.provider === 'generic' && publish.useMultipleRangeRequest === false,
    'publish must be the generic provider with useMultipleRangeRequest: false (the relay serves one range per request)',
  );
  const appUpdatePath = path.join(resources, 'app-update.yml');
  if (existsSync(appUpdatePath)) {
    const appUpdate = yaml.load(readFileSync(appUpdatePath, 'utf8')) as Record<string, unknown>;
    check(
      Array.isArray(appUpdate.publisherName) && appUpdate.publisherName.length > 0,
      'app-update.yml has no publisherName',
    );
  } else {
    notes.push(
      'resources/app-update.yml is written by the nsis target only; checked electron-builder.yml instead',
    );
  }
  const size = statSync(asarPath).size + dirSize(path.join(resources, 'app.asar.unpacked'));
  check(
    size <= SIZE_BUDGET_BYTES,
    `the app is ${(size / 1048576).toFixed(1)} MiB, over the ${SIZE_BUDGET_BYTES / 1048576} MiB budget`,
  );

  for (const note of notes) console.log(`note: ${note}`);
  console.log(
    `app.asar: ${files.length} entries; app without Electron: ${(size / 1048576).toFixed(2)} MiB (budget ${SIZE_BUDGET_BYTES / 1048576} MiB); ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (failures.length > 0) {
    for (const failure of failures) console.error(`FAIL: ${failure}`);
    // Exit now: electron-builder's temp-file cleanup (async-exit-hook) calls
    // process.exit(0) on 'beforeExit', which would turn a failed check into a pass.
    process.exit(1);
  } else {
    console.log('package:check passed');
  }
}

await main();
