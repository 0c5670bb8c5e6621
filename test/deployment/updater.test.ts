// electron-updater's NsisUpdater (generic provider) against the relay's real
// /updates/ feed over HTTPS on loopback, with our Ed25519 check in
// verifyUpdateCodeSignature. Each test names the behaviour it protects.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NsisUpdater } from 'electron-updater';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, ready } from '../../shared/crypto/index.js';
import { UPDATE_SIGNATURE_FIELD } from '../../shared/update/update-signature.js';
import { publishRelease } from '../../relay/release/publish.js';
import { channelDir } from '../../relay/release/feed-layout.js';
import {
  SignedNsisUpdater,
  channelFeedUrl,
} from '../../main/electron/updater/signed-nsis-updater.js';
import type { InstallerVerdict } from '../../main/electron/updater/installer-signature.js';
import {
  TestHttpExecutor,
  UPDATER_CACHE_DIR_NAME,
  UpdateFeedFixture,
  installerBytes,
} from './update-feed-fixture.js';

let feed: UpdateFeedFixture;
let v100: string;
let v110: string;
let v100Bytes: Buffer;
let v110Bytes: Buffer;

interface Desktop {
  updater: SignedNsisUpdater;
  executor: TestHttpExecutor;
  checks: { version: string; verdict: InstallerVerdict }[];
  errors: Error[];
  cacheDir: string;
}

function desktop(
  version: string,
  options: {
    channel?: string;
    differential?: boolean;
    publisherName?: boolean;
    publicKeys?: Uint8Array[];
  } = {},
): Desktop {
  const app = feed.makeApp(version, { publisherName: options.publisherName ?? true });
  const executor = new TestHttpExecutor(feed.ca);
  const checks: Desktop['checks'] = [];
  const updater = new SignedNsisUpdater({
    updateUrl: feed.relay.url,
    channel: options.channel ?? 'stable',
    publicKeys: options.publicKeys ?? [feed.publicKey],
    app,
    onSignatureChecked: (v, verdict) => checks.push({ version: v, verdict }),
    testRuntime: { httpExecutor: executor, differentialDownload: options.differential ?? false },
  });
  updater.logger = null;
  updater.autoDownload = false;
  const errors: Error[] = [];
  updater.on('error', (error: Error) => errors.push(error));
  return {
    updater,
    executor,
    checks,
    errors,
    cacheDir: path.join(app.baseCachePath, UPDATER_CACHE_DIR_NAME),
  };
}

/** Check, then download; resolves with the downloaded files or rejects with electron-updater's error. */
async function checkAndDownload(d: Desktop) {
  const result = await d.updater.checkForUpdates();
  if (!result?.isUpdateAvailable) return { offered: false as const, result };
  const files = await d.updater.downloadUpdate();
  return { offered: true as const, result, files };
}

async function publish(file: string, version: string, channel = 'stable', staging?: number) {
  return publishRelease({
    dataDir: feed.dataDir,
    file,
    version,
    channel,
    keyFile: feed.keyFile,
    force: true,
    ...(staging !== undefined ? { stagingPercentage: staging } : {}),
  });
}

beforeAll(async () => {
  await ready();
  feed = await UpdateFeedFixture.start();
  v100Bytes = installerBytes();
  // 1.1.0 differs from 1.0.0 in one 64 KiB stretch in the middle: a differential
  // download needs that stretch (and its neighbouring blocks), not the whole file.
  v110Bytes = Buffer.from(v100Bytes);
  installerBytes(64 * 1024).copy(v110Bytes, 400 * 1024);
  v100 = await feed.makeInstaller('1.0.0', v100Bytes);
  v110 = await feed.makeInstaller('1.1.0', v110Bytes);
  await publish(v100, '1.0.0');
  await publish(v110, '1.1.0');
});

afterAll(async () => {
  await feed?.close();
});

describe('signed update feed served by the relay', () => {
  it('serves latest.yml with the signature field and the installer with byte ranges', async () => {
    const executor = new TestHttpExecutor(feed.ca);
    const yml = await executor.downloadToBuffer(
      new URL('latest.yml', channelFeedUrl(feed.relay.url, 'stable')),
      {
        headers: {},
        cancellationToken: new (await import('builder-util-runtime')).CancellationToken(),
      },
    );
    expect(yml.toString()).toContain(`${UPDATE_SIGNATURE_FIELD}: '`);
    expect(yml.toString()).toContain("version: '1.1.0'");
    const response = await new Promise<{ status: number; body: Buffer; range: string }>(
      (resolve, reject) => {
        const request = executor.createRequest(
          {
            protocol: 'https:',
            hostname: '127.0.0.1',
            port: feed.relay.port,
            path: '/updates/stable/COMGOV-Messenger-Setup-1.1.0.exe',
            method: 'GET',
            headers: { range: 'bytes=10-19' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks),
                range: String(res.headers['content-range']),
              }),
            );
          },
        );
        request.on('error', reject);
        request.end();
      },
    );
    expect(response.status).toBe(206);
    expect(response.range).toBe(`bytes 10-19/${v110Bytes.length}`);
    expect(response.body.equals(v110Bytes.subarray(10, 20))).toBe(true);
  });

  it('downloads a good update and accepts it after the Ed25519 check ran', async () => {
    const d = desktop('1.0.0');
    const outcome = await checkAndDownload(d);
    expect(outcome.offered).toBe(true);
    expect(d.checks).toEqual([{ version: '1.1.0', verdict: null }]);
    const downloaded = readFileSync(outcome.files![0]!);
    expect(downloaded.equals(v110Bytes)).toBe(true);
    expect(d.errors).toEqual([]);
  });

  it('refuses a tampered installer on its SHA-512 before our check is even reached', async () => {
    const dir = channelDir(feed.dataDir, 'tampered');
    await publish(v110, '1.1.0', 'tampered');
    const bad = Buffer.from(v110Bytes);
    bad[500_000] = bad[500_000]! ^ 0xff;
    writeFileSync(path.join(dir, path.basename(v110)), bad);
    const d = desktop('1.0.0', { channel: 'tampered' });
    await expect(checkAndDownload(d)).rejects.toMatchObject({ code: 'ERR_CHECKSUM_MISMATCH' });
    expect(d.checks).toEqual([]);
  });

  describe('a correct SHA-512 without a valid agency signature is refused', () => {
    async function feedWith(channel: string, edit: (yml: string) => string) {
      await publish(v110, '1.1.0', channel);
      const latest = path.join(channelDir(feed.dataDir, channel), 'latest.yml');
      writeFileSync(latest, edit(readFileSync(latest, 'utf8')));
    }

    it('missing signature', async () => {
      await feedWith('unsigned', (yml) =>
        yml
          .split('\n')
          .filter((line) => !line.startsWith(`${UPDATE_SIGNATURE_FIELD}:`))
          .join('\n'),
      );
      const d = desktop('1.0.0', { channel: 'unsigned' });
      await expect(checkAndDownload(d)).rejects.toMatchObject({
        code: 'ERR_UPDATER_INVALID_SIGNATURE',
      });
      expect(d.checks).toHaveLength(1);
      expect(d.checks[0]!.verdict).toMatch(/carries no agency signature/);
    });

    it('signature by another key', async () => {
      const d = desktop('1.0.0', { publicKeys: [generateEd25519KeyPair().publicKey] });
      await expect(checkAndDownload(d)).rejects.toMatchObject({
        code: 'ERR_UPDATER_INVALID_SIGNATURE',
      });
      expect(d.checks[0]!.verdict).toMatch(/not signed by the agency's update key/);
    });

    it('signature made for another channel (a pilot build copied into stable)', async () => {
      await publish(v110, '1.1.0', 'pilot');
      const pilot = channelDir(feed.dataDir, 'pilot');
      const copy = channelDir(feed.dataDir, 'copied');
      mkdirSync(copy, { recursive: true });
      for (const file of ['latest.yml', path.basename(v110)]) {
        copyFileSync(path.join(pilot, file), path.join(copy, file));
      }
      const d = desktop('1.0.0', { channel: 'copied' });
      await expect(checkAndDownload(d)).rejects.toMatchObject({
        code: 'ERR_UPDATER_INVALID_SIGNATURE',
      });
    });

    it('still refused when app-update.yml lacks publisherName (our guard, not electron-updater, runs the check)', async () => {
      const d = desktop('1.0.0', {
        publisherName: false,
        publicKeys: [generateEd25519KeyPair().publicKey],
      });
      await expect(checkAndDownload(d)).rejects.toMatchObject({
        code: 'ERR_UPDATER_INVALID_SIGNATURE',
      });
      expect(d.checks).toHaveLength(1);
    });
  });

  it('shows the trap: a plain NsisUpdater never calls verifyUpdateCodeSignature without publisherName', async () => {
    async function plain(publisherName: boolean) {
      const app = feed.makeApp('1.0.0', { publisherName });
      const updater = new NsisUpdater(null, app);
      const internals = updater as unknown as Record<string, unknown>;
      internals['httpExecutor'] = new TestHttpExecutor(feed.ca);
      internals['_testOnlyOptions'] = { platform: 'win32', isUseDifferentialDownload: false };
      updater.logger = null;
      updater.autoDownload = false;
      updater.on('error', () => undefined);
      let hookCalls = 0;
      updater.verifyUpdateCodeSignature = async () => {
        hookCalls++;
        return 'refused by the test hook';
      };
      updater.setFeedURL({
        provider: 'generic',
        url: channelFeedUrl(feed.relay.url, 'stable'),
        useMultipleRangeRequest: false,
      });
      await updater.checkForUpdates();
      const downloaded = await updater.downloadUpdate().then(
        () => true,
        () => false,
      );
      return { hookCalls, downloaded };
    }
    expect(await plain(false)).toEqual({ hookCalls: 0, downloaded: true });
    expect(await plain(true)).toEqual({ hookCalls: 1, downloaded: false });
  });

  it('re-checks the installer just before starting it and refuses a swapped file', async () => {
    const d = desktop('1.0.0');
    const outcome = await checkAndDownload(d);
    expect(outcome.offered).toBe(true);
    const file = outcome.files![0]!;
    const swapped = Buffer.from(readFileSync(file));
    swapped[1000] = swapped[1000]! ^ 1;
    writeFileSync(file, swapped);
    d.updater.quitAndInstall(true, false);
    expect(d.checks.at(-1)!.verdict).toMatch(/not signed|changed/);
    expect(d.errors.at(-1)!.message).toMatch(/Update not installed/);
  });

  describe('staged rollout', () => {
    it('0 % is offered to nobody, 100 % to everybody', async () => {
      await publish(v110, '1.1.0', 'staged-0', 0);
      await publish(v110, '1.1.0', 'staged-100', 100);
      for (let i = 0; i < 5; i++) {
        const none = await desktop('1.0.0', { channel: 'staged-0' }).updater.checkForUpdates();
        expect(none?.isUpdateAvailable).toBe(false);
        const all = await desktop('1.0.0', { channel: 'staged-100' }).updater.checkForUpdates();
        expect(all?.isUpdateAvailable).toBe(true);
      }
    });
  });

  it('a desktop on another channel is not offered the release (the channel has no feed)', async () => {
    const d = desktop('1.0.0', { channel: 'no-such-channel' });
    await expect(d.updater.checkForUpdates()).rejects.toMatchObject({
      code: 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND',
    });
  });

  it('an older version than the installed one is not offered', async () => {
    const d = desktop('1.2.0');
    const result = await d.updater.checkForUpdates();
    expect(result?.isUpdateAvailable).toBe(false);
    expect(result?.updateInfo.version).toBe('1.1.0');
  });

  it('a differential download fetches less than the whole installer and still passes both checks', async () => {
    const d = desktop('1.0.0', { differential: true });
    // The NSIS installer leaves a copy of itself here (electron-updater's "installer.exe").
    mkdirSync(d.cacheDir, { recursive: true });
    writeFileSync(path.join(d.cacheDir, 'installer.exe'), v100Bytes);
    const outcome = await checkAndDownload(d);
    expect(outcome.offered).toBe(true);
    expect(readFileSync(outcome.files![0]!).equals(v110Bytes)).toBe(true);
    expect(d.checks).toEqual([{ version: '1.1.0', verdict: null }]);
    expect(d.executor.requests.some((r) => r.includes('1.0.0.exe.blockmap'))).toBe(true);
    expect(d.executor.installerBytes).toBeGreaterThan(0);
    expect(d.executor.installerBytes).toBeLessThan(v110Bytes.length / 4);
  });
});
