// Ratchet sessions held in memory for one inbox batch that is committed or rolled back
// as a whole (Inbox.processAll): each sender device's session is read from the store
// once and written back once, at the end of the batch, instead of once per envelope
// (a catch-up brings hundreds of envelopes from the same few devices). If any envelope
// of the batch is refused, the whole transaction is rolled back and this copy dropped,
// so nothing here can outlive a state the store did not keep.
import type { SessionState } from '../../shared/crypto/index.js';
import type { SessionStore } from './session-store.js';

/** What the inbox needs of a session store. */
export type SessionAccess = Pick<SessionStore, 'load' | 'save'>;

export class BatchSessions implements SessionAccess {
  private readonly held = new Map<
    string,
    { userId: string; deviceId: number; state: SessionState | null; changed: boolean }
  >();

  constructor(private readonly store: SessionStore) {}

  load(userId: string, deviceId: number): SessionState | null {
    const key = `${deviceId}:${userId}`;
    let entry = this.held.get(key);
    if (!entry) {
      entry = { userId, deviceId, state: this.store.load(userId, deviceId), changed: false };
      this.held.set(key, entry);
    }
    return entry.state;
  }

  save(userId: string, deviceId: number, state: SessionState): void {
    this.held.set(`${deviceId}:${userId}`, { userId, deviceId, state, changed: true });
  }

  /** Writes the sessions that changed, inside the batch's transaction. */
  writeBack(now = Date.now()): void {
    for (const { userId, deviceId, state, changed } of this.held.values()) {
      if (changed && state) this.store.save(userId, deviceId, state, now);
    }
  }
}
