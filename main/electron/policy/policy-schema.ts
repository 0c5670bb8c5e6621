// The settings an ICT cell pushes to every desktop, their validation, and the
// safe build defaults. Names: registry values (Group Policy) in PascalCase,
// policy.json keys in camelCase. docs/deployment.md lists them for the ICT cells.
import path from 'node:path';
import { UPDATE_CHANNEL_PATTERN } from '../../../shared/update/update-signature.js';

export interface MachinePolicy {
  /** https URL of the relay, e.g. https://relay.comgov.intra:8443 (null: the user is asked). */
  readonly relayUrl: string | null;
  /** The relay's Ed25519 public key, hex (pinned). */
  readonly relayPublicKey: string | null;
  /**
   * A file (PEM or DER) of the authority that issued the relay's TLS certificate, when
   * that is the ministry's own PKI, e.g. C:\ProgramData\COMGOV\relay-ca.pem. The
   * engine also trusts Windows' certificate store; this names one for it explicitly.
   */
  readonly relayCaFile: string | null;
  /** Base URL of the update feed (usually the relay URL); null: no update checks. */
  readonly updateUrl: string | null;
  readonly updateChannel: string;
  /** Accepted update signing keys, hex; two during a key rotation. */
  readonly updatePublicKeys: readonly string[];
  readonly autoUpdate: boolean;
  /** Minutes of inactivity before the app locks, 1–1440. */
  readonly lockDelayMinutes: number;
  /** Windows content protection (screenshots and screen sharing show a black window). */
  readonly contentProtection: boolean;
  readonly defaultLanguage: 'fr' | 'en';
  /**
   * Whether people on this PC may turn disappearing messages on (records to be archived:
   * 0). Turning them off stays possible; messages received with a timer still go.
   */
  readonly disappearingMessages: boolean;
}

export type PolicySetting = keyof MachinePolicy;

export const POLICY_SETTINGS: readonly PolicySetting[] = [
  'relayUrl',
  'relayPublicKey',
  'relayCaFile',
  'updateUrl',
  'updateChannel',
  'updatePublicKeys',
  'autoUpdate',
  'lockDelayMinutes',
  'contentProtection',
  'defaultLanguage',
  'disappearingMessages',
];

/** Registry value name of each setting under HKLM\SOFTWARE\Policies\COMGOV\Messenger. */
export const REGISTRY_VALUE_NAMES: Record<PolicySetting, string> = {
  relayUrl: 'RelayUrl',
  relayPublicKey: 'RelayPublicKey',
  relayCaFile: 'RelayCaFile',
  updateUrl: 'UpdateUrl',
  updateChannel: 'UpdateChannel',
  updatePublicKeys: 'UpdatePublicKey',
  autoUpdate: 'AutoUpdate',
  lockDelayMinutes: 'LockDelayMinutes',
  contentProtection: 'ContentProtection',
  defaultLanguage: 'DefaultLanguage',
  disappearingMessages: 'DisappearingMessages',
};

/** Safe defaults when nothing is configured: no relay, no updates, strict protection. */
export const SAFE_DEFAULTS: MachinePolicy = {
  relayUrl: null,
  relayPublicKey: null,
  relayCaFile: null,
  updateUrl: null,
  updateChannel: 'stable',
  updatePublicKeys: [],
  autoUpdate: false,
  lockDelayMinutes: 15,
  contentProtection: true,
  defaultLanguage: 'fr',
  disappearingMessages: true,
};

/** A raw value as read from a source: a string (REG_SZ, JSON), a number (REG_DWORD, JSON), a list, a boolean. */
export type RawValue = string | number | boolean | readonly string[];

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

function httpsUrl(raw: RawValue): Validated<string> {
  if (typeof raw !== 'string') return { ok: false, reason: 'must be a URL (text)' };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, reason: `"${raw}" is not a URL` };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'must start with https://' };
  if (url.username || url.password || url.search || url.hash) {
    return { ok: false, reason: 'must not carry a user name, password, query or fragment' };
  }
  return { ok: true, value: url.origin + url.pathname.replace(/\/+$/, '') };
}

function hexKey(raw: RawValue): Validated<string> {
  if (typeof raw !== 'string' || !HEX_KEY.test(raw.trim())) {
    return { ok: false, reason: 'must be 64 hexadecimal digits (an Ed25519 public key)' };
  }
  return { ok: true, value: raw.trim().toLowerCase() };
}

function hexKeys(raw: RawValue): Validated<string[]> {
  const parts =
    typeof raw === 'string'
      ? raw.split(/[\s,;]+/).filter((part) => part !== '')
      : Array.isArray(raw)
        ? raw.map((part) => part.trim()).filter((part) => part !== '')
        : undefined;
  if (parts === undefined || parts.length === 0 || parts.length > 4) {
    return { ok: false, reason: 'must hold one to four public keys (64 hexadecimal digits each)' };
  }
  const keys: string[] = [];
  for (const part of parts) {
    const key = hexKey(part);
    if (!key.ok) return key;
    keys.push(key.value);
  }
  return { ok: true, value: keys };
}

/** A full path, Windows (C:\…, \\server\share\…) or POSIX; the file is read when the app starts. */
function absolutePath(raw: RawValue): Validated<string> {
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (
    value === '' ||
    value.length > 1024 ||
    value.includes('\0') ||
    !(path.win32.isAbsolute(value) || path.posix.isAbsolute(value))
  ) {
    return {
      ok: false,
      reason: 'must be the full path of a file, such as C:\\ProgramData\\COMGOV\\relay-ca.pem',
    };
  }
  return { ok: true, value };
}

function flag(raw: RawValue): Validated<boolean> {
  if (raw === true || raw === 1) return { ok: true, value: true };
  if (raw === false || raw === 0) return { ok: true, value: false };
  return { ok: false, reason: 'must be 0 or 1 (true or false in policy.json)' };
}

const VALIDATORS: { [K in PolicySetting]: (raw: RawValue) => Validated<MachinePolicy[K]> } = {
  relayUrl: httpsUrl,
  relayPublicKey: hexKey,
  relayCaFile: absolutePath,
  updateUrl: httpsUrl,
  updateChannel: (raw) =>
    typeof raw === 'string' && UPDATE_CHANNEL_PATTERN.test(raw.trim())
      ? { ok: true, value: raw.trim() }
      : { ok: false, reason: 'must be a channel name such as stable or pilot' },
  updatePublicKeys: hexKeys,
  autoUpdate: flag,
  lockDelayMinutes: (raw) =>
    typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= 1440
      ? { ok: true, value: raw }
      : { ok: false, reason: 'must be a whole number of minutes from 1 to 1440' },
  contentProtection: flag,
  defaultLanguage: (raw) =>
    raw === 'fr' || raw === 'en'
      ? { ok: true, value: raw }
      : { ok: false, reason: 'must be fr or en' },
  disappearingMessages: flag,
};

export function validateSetting<K extends PolicySetting>(
  setting: K,
  raw: RawValue,
): Validated<MachinePolicy[K]> {
  return VALIDATORS[setting](raw);
}
