// The development environment of `npm start`: an embedded relay in a local
// folder (SQLite) with a demonstration institution, and profiles enrolled on it
// automatically, so a newcomer can chat between two windows at once. A second
// `npm start -- --profile <name>` finds the relay the first one started.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { mergeConfig } from '../../relay/config.js';
import { PUBLIC_KEY_FILE, initDataDir, openStore } from '../../relay/data-dir.js';
import { hashEnrolmentCode } from '../../relay/http/directory-routes.js';
import { type RunningRelay, startRelay } from '../../relay/server.js';
import { ready } from '../../shared/crypto/index.js';
import { generateEnrolmentCode, normaliseEnrolmentCode } from '../../shared/wire/index.js';
import { EngineHost } from './engine-host.js';

export const DEV_INSTITUTION = 'Ministère de la Démonstration';
/** The passphrase of development profiles (shown on the console; the lock screen asks for it). */
export const DEV_PASSPHRASE = 'demo comgov';
export const DEFAULT_DEV_RELAY_PORT = 47800;

const DEMO_PEOPLE: Record<string, { name: string; title: string }> = {
  amina: { name: 'Amina Ndayishimiye', title: 'Directrice de cabinet' },
  bernard: { name: 'Bernard Niyonzima', title: 'Conseiller juridique' },
  claire: { name: 'Claire Irakoze', title: 'Cheffe de la cellule TIC' },
};

export interface DevRelay {
  readonly url: string;
  readonly keyHex: string;
  readonly dataDir: string;
  /** Set when this process runs the relay. */
  readonly running: RunningRelay | null;
}

interface RelayNote {
  readonly url: string;
  readonly pid: number;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Uses the relay another `npm start` runs, or starts one in this process. */
export async function ensureDevRelay(
  root: string,
  port = DEFAULT_DEV_RELAY_PORT,
): Promise<DevRelay> {
  const dataDir = path.join(root, 'relay');
  const notePath = path.join(root, 'relay-running.json');
  if (!existsSync(path.join(dataDir, PUBLIC_KEY_FILE))) {
    mkdirSync(root, { recursive: true });
    await initDataDir(dataDir);
  }
  const keyHex = readFileSync(path.join(dataDir, PUBLIC_KEY_FILE), 'utf8').trim();
  if (existsSync(notePath)) {
    const note = JSON.parse(readFileSync(notePath, 'utf8')) as RelayNote;
    if (await answers(note.url)) return { url: note.url, keyHex, dataDir, running: null };
  }
  const running = await startRelay({
    dataDir,
    config: mergeConfig({}),
    host: '127.0.0.1',
    port,
    logger: pino({ level: process.env.RELAY_LOG ?? 'warn' }),
  });
  writeFileSync(
    notePath,
    JSON.stringify({ url: running.url, pid: process.pid } satisfies RelayNote),
  );
  return { url: running.url, keyHex, dataDir, running };
}

/** Like `comgov-relay invite`: a one-time code for this person, valid one hour. */
export async function inviteDevUser(relay: DevRelay, userId: string): Promise<string> {
  await ready();
  const person = DEMO_PEOPLE[userId] ?? {
    name: userId.charAt(0).toUpperCase() + userId.slice(1),
    title: 'Agent',
  };
  const store = openStore(relay.dataDir);
  try {
    const code = generateEnrolmentCode();
    const now = Date.now();
    await store.inviteUser(
      { userId, displayName: person.name, institution: DEV_INSTITUTION, title: person.title },
      hashEnrolmentCode(normaliseEnrolmentCode(code)!),
      now,
      now + 3_600_000,
    );
    return code;
  } finally {
    store.close();
  }
}

/** A profile name is also its user id on the development relay. */
export function profileUserId(profile: string): string {
  const id = profile
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9._-]/g, '');
  if (!/^[a-z0-9._-]{1,64}$/.test(id)) {
    throw new Error(`"${profile}" cannot be a profile name: use letters and digits.`);
  }
  return id;
}

/**
 * The engine host of a development profile: enrolled on the development relay the
 * first time (through the same `enrol` call as the enrolment screen), unlocked
 * with the development passphrase afterwards.
 */
export async function openDevProfile(
  root: string,
  relay: DevRelay,
  profile: string,
): Promise<EngineHost> {
  const userId = profileUserId(profile);
  const host = new EngineHost({
    profile,
    dataDir: path.join(root, 'profiles', userId),
    relay: { url: relay.url, key: relay.keyHex, fixedByPolicy: false },
    autoUnlockPassphrase: DEV_PASSPHRASE,
  });
  const status = await host.start();
  if (status.phase === 'enrol') {
    const code = await inviteDevUser(relay, userId);
    const enrolled = await host.call('enrol', [
      { relayUrl: relay.url, relayKey: relay.keyHex, code, passphrase: DEV_PASSPHRASE },
    ]);
    if (!enrolled.ok) {
      throw new Error(`Enrolling the profile "${profile}" failed: ${enrolled.error.message}`);
    }
  }
  return host;
}
