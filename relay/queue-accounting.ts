// Envelopes and bytes waiting per device, kept in memory so that the per-device
// limits can be checked without a query per submission. Loaded from the store at
// start and whenever another process changed it; reserved before a commit and
// released if the commit fails.
import type { DeviceAddress, QueueUsage, QueuedEntry } from './store/store.js';

interface Usage {
  count: number;
  bytes: number;
}

export function deviceKey(userId: string, deviceId: number): string {
  return `${userId}/${deviceId}`;
}

export class QueueAccounting {
  private usage = new Map<string, Usage>();
  totalCount = 0;
  totalBytes = 0;

  constructor(
    private readonly maxEnvelopes: number,
    private readonly maxBytes: number,
  ) {}

  load(rows: readonly QueueUsage[]): void {
    this.usage.clear();
    this.totalCount = 0;
    this.totalBytes = 0;
    for (const row of rows) this.adjust(row.userId, row.deviceId, row.count, row.bytes);
  }

  get(device: DeviceAddress): Usage {
    return this.usage.get(deviceKey(device.userId, device.deviceId)) ?? { count: 0, bytes: 0 };
  }

  /** The first device that could not take `additions` (count, bytes per device), or undefined. */
  overLimit(additions: ReadonlyMap<string, Usage & DeviceAddress>): DeviceAddress | undefined {
    for (const [key, add] of additions) {
      const current = this.usage.get(key) ?? { count: 0, bytes: 0 };
      if (
        current.count + add.count > this.maxEnvelopes ||
        current.bytes + add.bytes > this.maxBytes
      ) {
        return add;
      }
    }
    return undefined;
  }

  adjust(userId: string, deviceId: number, count: number, bytes: number): void {
    const key = deviceKey(userId, deviceId);
    const current = this.usage.get(key) ?? { count: 0, bytes: 0 };
    current.count += count;
    current.bytes += bytes;
    this.totalCount += count;
    this.totalBytes += bytes;
    if (current.count <= 0) this.usage.delete(key);
    else this.usage.set(key, current);
  }

  removeEntries(entries: readonly QueuedEntry[]): void {
    for (const e of entries) this.adjust(e.userId, e.deviceId, -1, -e.size);
  }
}
