// Relay settings: defaults, overridden by <data>/relay.json (written by `init`),
// overridden by command-line flags. Every limit is documented in docs/relay.md.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_ENVELOPE_TTL_MS } from '../shared/wire/index.js';
import { dashboardAllowList } from './dashboard/allow-list.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface RelayLimits {
  /** Envelopes waiting for one device before submissions to it are refused (QUEUE_FULL). */
  queueMaxEnvelopes: number;
  /** Ciphertext bytes waiting for one device before submissions to it are refused. */
  queueMaxBytes: number;
  /** Queued envelopes older than this are deleted (counted in relay_envelopes_expired_total). */
  envelopeTtlMs: number;
  /** Largest blob. */
  blobMaxBytes: number;
  /** Declared bytes of all blobs of one user. */
  blobQuotaBytes: number;
  /** An upload not finalised within this time is deleted. */
  blobUploadTtlMs: number;
  /**
   * A finalised blob is deleted this long after its upload, or `envelopeTtlMs` after the
   * last submission naming it if that is later (its message may wait that long).
   */
  blobTtlMs: number;
  /**
   * A finalised blob that no submission has named by then is deleted: its message was
   * never sent (the app crashed, or the person gave up).
   */
  blobUnreferencedTtlMs: number;
  /** An upload (PATCH) that receives no byte for this long is cut, freeing the blob. */
  blobIdleTimeoutMs: number;
  /**
   * Blob downloads one device may have running at once; more get RATE_LIMITED (the
   * app waits and tries again), so that one device cannot take the relay's disk and
   * link from everyone else.
   */
  blobDownloadsPerDevice: number;
  /** Enrolment codes expire after this time. */
  enrolmentCodeTtlMs: number;
  /** Per-device WebSocket frames per second (token bucket refill) and burst. */
  framesPerSecond: number;
  frameBurst: number;
  /** Per-IP HTTP requests per second and burst (enrolment, directory, blobs). */
  httpRequestsPerSecond: number;
  httpBurst: number;
  /** A socket that has not authenticated within this time is closed (AUTH_TIMEOUT). */
  authTimeoutMs: number;
  /** Below this many one-time prekeys the device gets a PrekeysLow frame. */
  prekeyLowThreshold: number;
  /**
   * How long a submission waits before it is written, for its online recipients to
   * acknowledge it first (a copy they acknowledge is on their disk and is never
   * written here). The sender is answered after that wait at most, plus the commit.
   */
  handOffWaitMs: number;
  /**
   * Submissions per second from which the relay waits for acks as above; below, it is
   * not busy and commits each at once, so the sender is answered sooner.
   */
  handOffFromPerSecond: number;
  /** Envelopes pushed and not yet acknowledged, per device, before pushing pauses. */
  deliveryWindow: number;
  /** Most simultaneous WebSocket connections. */
  maxConnections: number;
  /** How often expired envelopes and stale blobs are cleaned up. */
  cleanupIntervalMs: number;
  /** How often the store is checked for changes by other processes (CLI revoke). */
  externalChangePollMs: number;
  /** WebSocket ping interval; a socket that misses one pong is closed. */
  heartbeatMs: number;
}

export interface RelayConfig {
  host: string;
  port: number;
  /** PEM files; when both are set the relay serves HTTPS and WSS. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  logLevel: string;
  limits: RelayLimits;
  /**
   * Addresses or networks (CIDR) allowed to open the health dashboard (/dashboard).
   * Default: this machine only (reach it through an SSH tunnel).
   */
  dashboardAllow: string[];
}

export const DEFAULT_LIMITS: RelayLimits = {
  queueMaxEnvelopes: 50_000,
  queueMaxBytes: 512 * MiB,
  envelopeTtlMs: 30 * DAY,
  blobMaxBytes: 2 * GiB,
  blobQuotaBytes: 20 * GiB,
  blobUploadTtlMs: DAY,
  blobTtlMs: 30 * DAY,
  blobUnreferencedTtlMs: DAY,
  blobIdleTimeoutMs: 60_000,
  blobDownloadsPerDevice: 6,
  enrolmentCodeTtlMs: 7 * DAY,
  framesPerSecond: 1000,
  frameBurst: 5000,
  httpRequestsPerSecond: 200,
  httpBurst: 1000,
  authTimeoutMs: 10_000,
  prekeyLowThreshold: 20,
  handOffWaitMs: 5,
  handOffFromPerSecond: 1000,
  deliveryWindow: 1000,
  maxConnections: 50_000,
  cleanupIntervalMs: HOUR,
  externalChangePollMs: 500,
  heartbeatMs: 30_000,
};

export const DEFAULT_CONFIG: RelayConfig = {
  host: '127.0.0.1',
  port: 8443,
  logLevel: 'info',
  limits: DEFAULT_LIMITS,
  dashboardAllow: ['127.0.0.1', '::1'],
};

export const CONFIG_FILE = 'relay.json';

/** Reads <dataDir>/relay.json over the defaults; unknown keys are refused so typos do not pass silently. */
export function loadConfig(dataDir: string): RelayConfig {
  const file = path.join(dataDir, CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(DEFAULT_CONFIG);
    throw new Error(`Cannot read ${file}: ${(error as Error).message}. Fix or delete the file.`, {
      cause: error,
    });
  }
  return mergeConfig(raw, file);
}

export function mergeConfig(raw: unknown, where = 'the configuration'): RelayConfig {
  const config = structuredClone(DEFAULT_CONFIG);
  if (typeof raw !== 'object' || raw === null) {
    throw new Error(`${where} must hold a JSON object.`);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'limits') {
      if (typeof value !== 'object' || value === null) {
        throw new Error(`"limits" in ${where} must be an object.`);
      }
      for (const [limit, n] of Object.entries(value)) {
        if (!(limit in DEFAULT_LIMITS)) {
          throw new Error(`Unknown limit "${limit}" in ${where}; see docs/relay.md for the list.`);
        }
        if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
          throw new Error(`The limit "${limit}" in ${where} must be a positive number.`);
        }
        if (limit === 'envelopeTtlMs' && n > MAX_ENVELOPE_TTL_MS) {
          throw new Error(
            `The limit "envelopeTtlMs" in ${where} must be at most ${MAX_ENVELOPE_TTL_MS} (365 days): devices forget the envelopes they processed after 400 days.`,
          );
        }
        config.limits[limit as keyof RelayLimits] = n;
      }
    } else if (
      key === 'host' ||
      key === 'logLevel' ||
      key === 'tlsCertFile' ||
      key === 'tlsKeyFile'
    ) {
      if (typeof value !== 'string') throw new Error(`"${key}" in ${where} must be a string.`);
      config[key] = value;
    } else if (key === 'dashboardAllow') {
      if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
        throw new Error(`"dashboardAllow" in ${where} must be a list of addresses or networks.`);
      }
      dashboardAllowList(value); // refuses a malformed entry with a sentence
      config.dashboardAllow = value;
    } else if (key === 'port') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
        throw new Error(`"port" in ${where} must be an integer from 0 to 65535.`);
      }
      config.port = value;
    } else {
      throw new Error(`Unknown setting "${key}" in ${where}; see docs/relay.md for the list.`);
    }
  }
  return config;
}
