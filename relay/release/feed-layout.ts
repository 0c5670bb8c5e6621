// Where the update feed lives in the relay's data folder and which names are
// allowed in it. `comgov-relay release publish` writes here; the relay serves
// it read-only under /updates/<channel>/.
//
//   <data>/updates/<channel>/latest.yml                       electron-updater's feed file
//   <data>/updates/<channel>/COMGOV-Messenger-Setup-1.2.0.exe installers (all versions kept)
//   <data>/updates/<channel>/COMGOV-Messenger-Setup-1.2.0.exe.blockmap
import path from 'node:path';
import { UPDATE_CHANNEL_PATTERN } from '../../shared/update/update-signature.js';

export const UPDATES_DIR = 'updates';
export const LATEST_FILE = 'latest.yml';

/** File names served and published: no path separators, no leading dot, no quotes. */
export const FEED_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isValidChannel(channel: string): boolean {
  return UPDATE_CHANNEL_PATTERN.test(channel);
}

export function isValidFeedFileName(name: string): boolean {
  return FEED_FILE_PATTERN.test(name) && !name.includes('..');
}

export function updatesRoot(dataDir: string): string {
  return path.join(dataDir, UPDATES_DIR);
}

export function channelDir(dataDir: string, channel: string): string {
  if (!isValidChannel(channel)) throw new Error(`invalid channel ${channel}`);
  return path.join(updatesRoot(dataDir), channel);
}
