// electron-updater's feed file (latest.yml), written by hand: its layout is
// small and fixed, and writing it ourselves keeps the relay free of a YAML
// dependency. Every string is single-quoted so YAML never reads "1.10" as a number.
import {
  UPDATE_SIGNATURE_FIELD,
  UPDATE_SIGNATURE_KEY_FIELD,
} from '../../shared/update/update-signature.js';

export interface LatestYml {
  readonly version: string;
  readonly fileName: string;
  /** base64, as electron-updater expects. */
  readonly sha512: string;
  readonly size: number;
  readonly releaseDate: string;
  /** 0–100; absent means everyone. */
  readonly stagingPercentage?: number;
  /** Ed25519 signature (hex) over updateSignedBytes(). */
  readonly signature: string;
  /** Public key (hex) that made it; informative only. */
  readonly signatureKey: string;
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function renderLatestYml(feed: LatestYml): string {
  const lines = [
    `version: ${quote(feed.version)}`,
    'files:',
    `  - url: ${quote(feed.fileName)}`,
    `    sha512: ${quote(feed.sha512)}`,
    `    size: ${feed.size}`,
    `path: ${quote(feed.fileName)}`,
    `sha512: ${quote(feed.sha512)}`,
    `releaseDate: ${quote(feed.releaseDate)}`,
  ];
  if (feed.stagingPercentage !== undefined) {
    lines.push(`stagingPercentage: ${feed.stagingPercentage}`);
  }
  lines.push(`${UPDATE_SIGNATURE_FIELD}: ${quote(feed.signature)}`);
  lines.push(`${UPDATE_SIGNATURE_KEY_FIELD}: ${quote(feed.signatureKey)}`);
  return `${lines.join('\n')}\n`;
}

/** The top-level scalar fields of a latest.yml (enough to know what is published). */
export function readLatestYmlFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z][A-Za-z0-9]*):\s*(.*?)\s*$/.exec(line);
    if (!match || match[2] === '') continue;
    let value = match[2]!;
    if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) {
      value = value.slice(1, -1).replaceAll("''", "'");
    } else if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    fields.set(match[1]!, value);
  }
  return fields;
}
