// The app's check of an update installer against the agency's Ed25519 update
// key(s), pinned in the build or the machine policy. It replaces electron-updater's
// Authenticode check, which accepts any update when PowerShell cannot run
// (docs/deployment.md, "Mises à jour signées"). Plain Node: tested without Electron.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { type Ed25519PublicKey, verify } from '../../../shared/crypto/index.js';
import {
  UPDATE_SIGNATURE_FIELD,
  updateSignedBytes,
} from '../../../shared/update/update-signature.js';
import { fromHex } from '../../../shared/util/bytes.js';

/** What the feed (latest.yml) says about the release being installed. */
export interface FeedRelease {
  readonly version: string;
  readonly files: readonly {
    readonly url: string;
    readonly sha512: string;
    readonly size?: number;
  }[];
  readonly [field: string]: unknown;
}

export interface InstallerCheck {
  readonly channel: string;
  /** Accepted update public keys (32 bytes each): one, or two during a key rotation. */
  readonly publicKeys: readonly Uint8Array[];
}

/** Why an installer is refused; null when it is signed by one of the pinned keys. */
export type InstallerVerdict = string | null;

function installerEntry(release: FeedRelease) {
  return release.files.find((file) => file.url.toLowerCase().endsWith('.exe'));
}

/** Checks a file's SHA-512 and size against the signed feed entry (hash already computed). */
export function checkInstallerDigest(
  release: FeedRelease,
  check: InstallerCheck,
  digest: { sha512: Uint8Array; size: number },
): InstallerVerdict {
  if (check.publicKeys.length === 0) {
    return 'no update public key is configured (build or machine policy): updates are refused';
  }
  const entry = installerEntry(release);
  if (!entry) return 'the update feed lists no .exe installer';
  const signatureHex = release[UPDATE_SIGNATURE_FIELD];
  if (typeof signatureHex !== 'string' || !/^[0-9a-f]{128}$/i.test(signatureHex)) {
    return `the update ${release.version} carries no agency signature (${UPDATE_SIGNATURE_FIELD})`;
  }
  const fileName = entry.url.split('/').pop() ?? entry.url;
  const signed = updateSignedBytes({
    channel: check.channel,
    version: release.version,
    fileName,
    size: digest.size,
    sha512: digest.sha512,
  });
  const signature = fromHex(signatureHex);
  const ok = check.publicKeys.some((key) => verify(key as Ed25519PublicKey, signed, signature));
  return ok
    ? null
    : `the update ${release.version} (${fileName}, channel ${check.channel}) is not signed by the agency's update key, or the file was changed`;
}

/** Hashes the downloaded installer and checks it (electron-updater's verifyUpdateCodeSignature). */
export async function verifyInstallerFile(
  file: string,
  release: FeedRelease,
  check: InstallerCheck,
): Promise<InstallerVerdict> {
  const hash = createHash('sha512');
  let size = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    return `the downloaded installer cannot be read: ${(error as Error).message}`;
  }
  return checkInstallerDigest(release, check, { sha512: new Uint8Array(hash.digest()), size });
}

/** The same check, synchronous: run again just before the installer is started. */
export function verifyInstallerFileSync(
  file: string,
  release: FeedRelease,
  check: InstallerCheck,
): InstallerVerdict {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return `the downloaded installer cannot be read: ${(error as Error).message}`;
  }
  const sha512 = new Uint8Array(createHash('sha512').update(bytes).digest());
  return checkInstallerDigest(release, check, { sha512, size: bytes.length });
}

/** Parses hex public keys (policy or build); throws a sentence for a malformed one. */
export function parseUpdatePublicKeys(hexKeys: readonly string[]): Uint8Array[] {
  return hexKeys.map((hex) => {
    if (!/^[0-9a-f]{64}$/i.test(hex)) {
      throw new Error(`"${hex}" is not an update public key (64 hexadecimal digits).`);
    }
    return fromHex(hex);
  });
}
