// What every part of a running relay shares.
import type { Logger } from 'pino';
import type { Ed25519KeyPair } from '../shared/crypto/index.js';
import type { CommitBatcher } from './commit-batcher.js';
import type { RelayConfig } from './config.js';
import type { DeviceDirectory } from './device-directory.js';
import type { LastSeen } from './last-seen.js';
import type { RelayMetrics } from './metrics.js';
import type { QueueAccounting } from './queue-accounting.js';
import type { Router } from './router.js';
import type { ServerIds } from './server-ids.js';
import type { RelayStore } from './store/store.js';

export interface RelayContext {
  readonly config: RelayConfig;
  readonly relayKey: Ed25519KeyPair;
  readonly store: RelayStore;
  readonly batcher: CommitBatcher;
  readonly directory: DeviceDirectory;
  readonly accounting: QueueAccounting;
  readonly metrics: RelayMetrics;
  readonly log: Logger;
  readonly router: Router;
  readonly serverIds: ServerIds;
  /** When devices were last connected (written a minute at a time). */
  readonly lastSeen: LastSeen;
  readonly blobDir: string;
  readonly now: () => number;
}
