// When each device was last connected, for the ICT cell: `comgov-relay users` shows it,
// and the dashboard counts devices idle for 30 days (a colleague who left, a computer
// in a drawer: candidates for revocation). Noted in memory when a device authenticates
// and when its socket closes, written in one transaction a minute and at shutdown: a
// relay restart that reconnects 10,000 devices must not cost 10,000 fsyncs.
import type { DeviceAddress, RelayStore } from './store/store.js';

export class LastSeen {
  private readonly pending = new Map<string, DeviceAddress & { at: number }>();

  constructor(private readonly store: RelayStore) {}

  note(device: DeviceAddress, at: number): void {
    this.pending.set(`${device.userId}/${device.deviceId}`, {
      userId: device.userId,
      deviceId: device.deviceId,
      at,
    });
  }

  /** Writes what was noted since the last flush (one transaction). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    await this.store.recordLastSeen(entries);
  }
}
