// What the health dashboard shows, as one JSON document: content-free figures an ICT
// cell can read at a glance (is it up, are messages flowing, is anything piling up,
// is the disk filling, is the certificate about to expire, who was revoked or wiped).
// Taken from the relay's own metrics, its in-memory queue accounting and cheap store
// queries; never a user id, a name, an address or anything a message carries.
import { statfs } from 'node:fs/promises';
import type { RelayContext } from '../context.js';
import type { HealthFigures } from '../store/store.js';

export interface DashboardStatus {
  readonly now: number;
  readonly startedAt: number;
  readonly connections: { readonly devices: number; readonly sockets: number };
  readonly queue: {
    readonly envelopes: number;
    readonly bytes: number;
    /** When the oldest envelope still waiting arrived (ms); null when none waits. */
    readonly oldestQueuedAt: number | null;
  };
  readonly traffic: {
    readonly envelopesIn: number;
    readonly envelopesOut: number;
    readonly envelopesAcked: number;
    readonly envelopesExpired: number;
    readonly blobBytesIn: number;
    readonly blobBytesOut: number;
  };
  /** Submission → push to an online device, since the relay started (bucket upper bounds). */
  readonly delivery: {
    readonly count: number;
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
  };
  readonly errors: readonly { readonly code: string; readonly count: number }[];
  readonly directory: Pick<
    HealthFigures,
    | 'users'
    | 'revokedUsers'
    | 'devices'
    | 'revokedDevices'
    | 'wipesPending'
    | 'wipesDelivered'
    | 'idleDevices'
  >;
  readonly storage: Pick<HealthFigures, 'blobs' | 'blobBytes'> & {
    /** Free and total bytes of the file system holding the data folder (null if unknown). */
    readonly diskFreeBytes: number | null;
    readonly diskTotalBytes: number | null;
  };
  /** When the TLS certificate in service expires (ms); null without TLS. */
  readonly tlsExpiresAt: number | null;
  readonly adminLog: { readonly entries: number; readonly lastChangeAt: number | null };
}

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number | undefined>;
  readonly metricName?: string;
}

/** The smallest bucket bound under which `q` of the observations fall, in ms. */
export function quantileFromBuckets(
  buckets: readonly { readonly le: number; readonly count: number }[],
  q: number,
): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const wanted = q * total;
  for (const bucket of buckets) {
    if (bucket.count >= wanted) return Number.isFinite(bucket.le) ? bucket.le * 1000 : null;
  }
  return null;
}

const sum = (values: readonly MetricValue[]) => values.reduce((s, v) => s + v.value, 0);

export async function dashboardStatus(
  ctx: RelayContext,
  dataDir: string,
  startedAt: number,
): Promise<DashboardStatus> {
  const { metrics } = ctx;
  const figures = await ctx.store.healthFigures(ctx.now());
  const valuesOf = async (metric: { get(): Promise<{ values: MetricValue[] }> }) =>
    (await metric.get()).values;
  const latency = await valuesOf(metrics.deliveryLatency);
  const buckets = latency
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
    .sort((a, b) => a.le - b.le);
  const blobBytes = await valuesOf(metrics.blobBytes);
  const bytesIn = blobBytes.filter((v) => v.labels.direction === 'in');
  const bytesOut = blobBytes.filter((v) => v.labels.direction === 'out');
  const errors = (await valuesOf(metrics.errors))
    .filter((v) => v.value > 0)
    .map((v) => ({ code: String(v.labels.code), count: v.value }))
    .sort((a, b) => b.count - a.count);
  const tls = sum(await valuesOf(metrics.tlsCertificateExpiry));
  const disk = await statfs(dataDir).then(
    (fs) => ({ free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize }),
    () => null,
  );
  return {
    now: ctx.now(),
    startedAt,
    connections: {
      devices: ctx.router.onlineCount,
      sockets: sum(await valuesOf(metrics.openSockets)),
    },
    queue: {
      envelopes: ctx.accounting.totalCount,
      bytes: ctx.accounting.totalBytes,
      oldestQueuedAt: figures.oldestQueuedAt,
    },
    traffic: {
      envelopesIn: sum(await valuesOf(metrics.envelopesIn)),
      envelopesOut: sum(await valuesOf(metrics.envelopesOut)),
      envelopesAcked: sum(await valuesOf(metrics.envelopesAcked)),
      envelopesExpired: sum(await valuesOf(metrics.envelopesExpired)),
      blobBytesIn: sum(bytesIn),
      blobBytesOut: sum(bytesOut),
    },
    delivery: {
      count: buckets.at(-1)?.count ?? 0,
      p50Ms: quantileFromBuckets(buckets, 0.5),
      p99Ms: quantileFromBuckets(buckets, 0.99),
    },
    errors,
    directory: {
      users: figures.users,
      revokedUsers: figures.revokedUsers,
      devices: figures.devices,
      revokedDevices: figures.revokedDevices,
      wipesPending: figures.wipesPending,
      wipesDelivered: figures.wipesDelivered,
      idleDevices: figures.idleDevices,
    },
    storage: {
      blobs: figures.blobs,
      blobBytes: figures.blobBytes,
      diskFreeBytes: disk?.free ?? null,
      diskTotalBytes: disk?.total ?? null,
    },
    tlsExpiresAt: tls > 0 ? tls * 1000 : null,
    adminLog: { entries: figures.adminLogEntries, lastChangeAt: figures.lastAdminChangeAt },
  };
}
