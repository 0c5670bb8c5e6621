// In-memory cache of users and their active devices, for the hot paths (stale
// device checks on every submission, HTTP authentication). Invalidated by the
// relay's own enrolments and revocations, and wholesale when another process
// (the CLI) changed the store.
import type { DeviceRecord, RelayStore, UserRecord } from './store/store.js';

export interface DirectoryEntry {
  readonly user: UserRecord | undefined;
  /** Active devices by id. */
  readonly devices: ReadonlyMap<number, DeviceRecord>;
}

export class DeviceDirectory {
  private readonly entries = new Map<string, DirectoryEntry>();
  private readonly loading = new Map<string, Promise<DirectoryEntry>>();
  private generation = 0;

  constructor(
    private readonly store: RelayStore,
    private readonly maxEntries = 100_000,
  ) {}

  peek(userId: string): DirectoryEntry | undefined {
    return this.entries.get(userId);
  }

  async get(userId: string): Promise<DirectoryEntry> {
    const cached = this.entries.get(userId);
    if (cached) return cached;
    const existing = this.loading.get(userId);
    if (existing) return existing;
    const generation = this.generation;
    const pending: Promise<DirectoryEntry> = (async () => {
      const [user, devices] = await Promise.all([
        this.store.getUser(userId),
        this.store.activeDevices(userId),
      ]);
      const entry: DirectoryEntry = {
        user,
        devices: new Map(
          user !== undefined && user.revokedAt === null
            ? devices.map((d) => [d.deviceId, d] as const)
            : [],
        ),
      };
      if (generation === this.generation) {
        if (this.entries.size >= this.maxEntries) this.entries.clear();
        this.entries.set(userId, entry);
      }
      return entry;
    })().finally(() => {
      if (this.loading.get(userId) === pending) this.loading.delete(userId);
    });
    this.loading.set(userId, pending);
    return pending;
  }

  async activeDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    return (await this.get(userId)).devices.get(deviceId);
  }

  invalidate(userId: string): void {
    this.generation++;
    this.entries.delete(userId);
    this.loading.delete(userId);
  }

  invalidateAll(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }
}
