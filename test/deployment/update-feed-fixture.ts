// A real relay serving its update feed over HTTPS on 127.0.0.1 (self-signed
// certificate made with the openssl CLI), installers that look like installers,
// blockmaps made by electron-builder's own code, and a stand-in for Electron's
// `app` so electron-updater's NsisUpdater runs under plain Node.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBlockMap } from 'app-builder-lib/out/targets/blockmap/blockmap.js';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import { ElectronHttpExecutor } from 'electron-updater/out/electronHttpExecutor.js';
import { pino } from 'pino';
import { mergeConfig } from '../../relay/config.js';
import { initDataDir } from '../../relay/data-dir.js';
import { type RunningRelay, startRelay } from '../../relay/server.js';
import { generateUpdateKey, UPDATE_PRIVATE_KEY_FILE } from '../../relay/release/update-key.js';
import { makeCertificate } from '../relay/certificate.js';

export const UPDATER_CACHE_DIR_NAME = 'comgov-messenger-updater';

/** electron-updater's own download code, over Node https trusting the test CA; counts installer bytes. */
export class TestHttpExecutor extends ElectronHttpExecutor {
  installerBytes = 0;
  readonly requests: string[] = [];

  constructor(private readonly ca: Buffer) {
    super(undefined);
  }

  override createRequest(
    options: RequestOptions,
    callback: (response: IncomingMessage) => void,
  ): Electron.ClientRequest {
    const range = (options.headers as Record<string, string> | undefined)?.range;
    this.requests.push(`${options.method ?? 'GET'} ${options.path}${range ? ` ${range}` : ''}`);
    const counts = typeof options.path === 'string' && /\.exe(\?|$)/.test(options.path);
    // Node's ClientRequest stands in for Electron's net request, as in electron-builder's tests.
    return https.request({ ...options, ca: this.ca }, (response: IncomingMessage) => {
      if (counts) response.on('data', (chunk: Buffer) => (this.installerBytes += chunk.length));
      callback(response);
    }) as unknown as Electron.ClientRequest;
  }
}

export class UpdateFeedFixture {
  private constructor(
    readonly root: string,
    readonly dataDir: string,
    readonly relay: RunningRelay,
    readonly ca: Buffer,
    readonly keyFile: string,
    readonly publicKey: Uint8Array,
  ) {}

  static async start(): Promise<UpdateFeedFixture> {
    const root = mkdtempSync(path.join(tmpdir(), 'comgov-updates-'));
    const dataDir = path.join(root, 'relay');
    await initDataDir(dataDir);
    const tls = makeCertificate(root);
    const relay = await startRelay({
      dataDir,
      config: mergeConfig({ tlsCertFile: tls.cert, tlsKeyFile: tls.key }),
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: process.env.RELAY_LOG ?? 'silent' }),
      processMetrics: false,
    });
    const keyDir = path.join(root, 'signing');
    const publicKey = await generateUpdateKey(keyDir);
    const { readFileSync } = await import('node:fs');
    return new UpdateFeedFixture(
      root,
      dataDir,
      relay,
      readFileSync(tls.cert),
      path.join(keyDir, UPDATE_PRIVATE_KEY_FILE),
      publicKey,
    );
  }

  /** Writes an installer-like file (PE magic, then bytes) and its blockmap; returns its path. */
  async makeInstaller(version: string, content: Buffer): Promise<string> {
    const dir = path.join(this.root, 'build', version);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `COMGOV-Messenger-Setup-${version}.exe`);
    writeFileSync(file, content);
    await buildBlockMap(file, 'gzip', `${file}.blockmap`);
    return file;
  }

  /** A stand-in for Electron's app: a packaged app of `version` with its own cache and app-update.yml. */
  makeApp(
    version: string,
    options: { publisherName?: boolean } = {},
  ): AppAdapter & { dir: string } {
    const dir = mkdtempSync(path.join(this.root, 'desktop-'));
    const appUpdateConfigPath = path.join(dir, 'app-update.yml');
    // What electron-builder writes into resources/app-update.yml from electron-builder.yml.
    const lines = [
      'provider: generic',
      `url: ${this.relay.url}/updates/stable/`,
      'useMultipleRangeRequest: false',
      `updaterCacheDirName: ${UPDATER_CACHE_DIR_NAME}`,
    ];
    if (options.publisherName !== false) lines.push('publisherName:', '  - COMGOV');
    writeFileSync(appUpdateConfigPath, `${lines.join('\n')}\n`);
    return {
      dir,
      version,
      name: 'COMGOV Messenger',
      isPackaged: true,
      appUpdateConfigPath,
      userDataPath: path.join(dir, 'user-data'),
      baseCachePath: path.join(dir, 'cache'),
      whenReady: () => Promise.resolve(),
      relaunch: () => {
        throw new Error('a test must never relaunch');
      },
      quit: () => {
        throw new Error('a test must never quit');
      },
      onQuit: () => undefined,
    };
  }

  async close(): Promise<void> {
    await this.relay.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** 1 MiB of installer-like bytes: "MZ", then random data. */
export function installerBytes(size = 1024 * 1024): Buffer {
  const bytes = nodeRandomBytes(size);
  bytes[0] = 0x4d;
  bytes[1] = 0x5a;
  return bytes;
}
