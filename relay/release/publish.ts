// `comgov-relay release publish`: puts a signed installer into a channel of the
// relay's update feed. The installer (and its blockmap) are copied first; the new
// latest.yml replaces the old one last, in one rename, so a desktop never reads a
// feed that points at a file still being copied.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sign } from '../../shared/crypto/index.js';
import { updateSignedBytes } from '../../shared/update/update-signature.js';
import { toHex } from '../../shared/util/bytes.js';
import { LATEST_FILE, channelDir, isValidChannel, isValidFeedFileName } from './feed-layout.js';
import { readLatestYmlFields, renderLatestYml } from './latest-yml.js';
import { ReleaseError } from './release-error.js';
import { loadUpdateKey } from './update-key.js';
import { compareVersions, parseVersion } from './version.js';

export interface PublishOptions {
  /** Relay data folder. */
  readonly dataDir: string;
  /** Installer built by electron-builder (COMGOV-Messenger-Setup-<version>.exe). */
  readonly file: string;
  readonly version: string;
  readonly channel: string;
  /** 0–100; undefined publishes to everyone. */
  readonly stagingPercentage?: number;
  /** The update private key file made by `release keygen`. */
  readonly keyFile: string;
  /** Blockmap for differential downloads; default: `<file>.blockmap` when it exists. */
  readonly blockmap?: string;
  /** Publish even when the channel already holds a newer version (or the same version with another file). */
  readonly force?: boolean;
  readonly now?: () => Date;
}

export interface PublishResult {
  readonly channel: string;
  readonly version: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha512: string;
  readonly stagingPercentage?: number;
  readonly blockmap: boolean;
  /** Version that was in the channel before, if any. */
  readonly previousVersion?: string;
  readonly latestYml: string;
}

async function hashFile(file: string): Promise<{ sha512: Buffer; size: number }> {
  const hash = createHash('sha512');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha512: hash.digest(), size };
}

async function copyInto(source: string, target: string): Promise<void> {
  if (path.resolve(source) === path.resolve(target)) return;
  const temporary = `${target}.partial`;
  await copyFile(source, temporary);
  await rename(temporary, target);
}

function checkOptions(options: PublishOptions): void {
  if (!isValidChannel(options.channel)) {
    throw new ReleaseError(
      'BAD_ARGUMENT',
      `"${options.channel}" is not a channel name: use lower-case letters, digits and dashes, e.g. stable or pilot.`,
    );
  }
  if (!parseVersion(options.version)) {
    throw new ReleaseError(
      'BAD_ARGUMENT',
      `"${options.version}" is not a semantic version (e.g. 1.4.0 or 1.5.0-pilot.1).`,
    );
  }
  const staging = options.stagingPercentage;
  if (staging !== undefined && (!Number.isInteger(staging) || staging < 0 || staging > 100)) {
    throw new ReleaseError('BAD_ARGUMENT', '--staging must be a whole percentage from 0 to 100.');
  }
  const fileName = path.basename(options.file);
  if (!isValidFeedFileName(fileName)) {
    throw new ReleaseError(
      'BAD_ARGUMENT',
      `The installer name "${fileName}" may only hold letters, digits, dots, dashes and underscores; rename it (electron-builder's artifactName in electron-builder.yml does this).`,
    );
  }
  if (!fileName.includes(options.version)) {
    throw new ReleaseError(
      'BAD_ARGUMENT',
      `The installer name "${fileName}" does not contain the version ${options.version}; differential updates find the previous blockmap by that name. Check --version or rename the file.`,
    );
  }
}

export async function publishRelease(options: PublishOptions): Promise<PublishResult> {
  checkOptions(options);
  const key = await loadUpdateKey(options.keyFile);
  const fileName = path.basename(options.file);
  try {
    if (!(await stat(options.file)).isFile()) throw new Error('not a file');
  } catch {
    throw new ReleaseError('FILE_UNREADABLE', `Cannot read the installer ${options.file}.`);
  }
  const blockmapSource = options.blockmap ?? `${options.file}.blockmap`;
  if (options.blockmap !== undefined && !existsSync(options.blockmap)) {
    throw new ReleaseError('FILE_UNREADABLE', `Cannot read the blockmap ${options.blockmap}.`);
  }
  const hasBlockmap = existsSync(blockmapSource);
  const { sha512, size } = await hashFile(options.file);
  const sha512Base64 = sha512.toString('base64');

  const dir = channelDir(options.dataDir, options.channel);
  const latestPath = path.join(dir, LATEST_FILE);
  let previousVersion: string | undefined;
  if (existsSync(latestPath)) {
    const current = readLatestYmlFields(await readFile(latestPath, 'utf8'));
    previousVersion = current.get('version');
    const previous = previousVersion === undefined ? undefined : parseVersion(previousVersion);
    if (previous && !options.force) {
      const order = compareVersions(parseVersion(options.version)!, previous);
      if (order < 0) {
        throw new ReleaseError(
          'OLDER_VERSION',
          `Channel ${options.channel} already offers ${previousVersion}, newer than ${options.version}. Desktops never install an older version; publish a higher version, or add --force if you really mean to replace it.`,
        );
      }
      if (order === 0 && current.get('sha512') !== sha512Base64) {
        throw new ReleaseError(
          'VERSION_CONFLICT',
          `Channel ${options.channel} already offers ${previousVersion} with another installer. Give the new build a new version; add --force only if no desktop has downloaded the old one.`,
        );
      }
    }
  }

  await mkdir(dir, { recursive: true, mode: 0o755 });
  await copyInto(options.file, path.join(dir, fileName));
  if (hasBlockmap) await copyInto(blockmapSource, path.join(dir, `${fileName}.blockmap`));

  const signature = sign(
    key.secretKey,
    updateSignedBytes({
      channel: options.channel,
      version: options.version,
      fileName,
      size,
      sha512: new Uint8Array(sha512),
    }),
  );
  const latestYml = renderLatestYml({
    version: options.version,
    fileName,
    sha512: sha512Base64,
    size,
    releaseDate: (options.now?.() ?? new Date()).toISOString(),
    ...(options.stagingPercentage !== undefined
      ? { stagingPercentage: options.stagingPercentage }
      : {}),
    signature: toHex(signature),
    signatureKey: toHex(key.publicKey),
  });
  const temporary = `${latestPath}.partial`;
  await writeFile(temporary, latestYml, { mode: 0o644 });
  await rename(temporary, latestPath);
  return {
    channel: options.channel,
    version: options.version,
    fileName,
    size,
    sha512: sha512Base64,
    ...(options.stagingPercentage !== undefined
      ? { stagingPercentage: options.stagingPercentage }
      : {}),
    blockmap: hasBlockmap,
    ...(previousVersion !== undefined ? { previousVersion } : {}),
    latestYml,
  };
}
