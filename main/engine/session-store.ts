// Ratchet sessions per (user, device), stored encoded in the encrypted store.
// Writes happen inside the caller's transaction, together with what the new
// state produced (a decrypted message, or sealed ciphertexts in the outbox).
import {
  type SessionState,
  decodeSessionState,
  encodeSessionState,
} from '../../shared/crypto/index.js';
import type { Store } from './store/open-store.js';

export class SessionStore {
  private readonly select;
  private readonly upsert;

  constructor(private readonly db: Store) {
    this.select = db
      .prepare('SELECT state FROM sessions WHERE user_id = ? AND device_id = ?')
      .pluck();
    this.upsert = db.prepare(
      `INSERT INTO sessions (user_id, device_id, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    );
  }

  load(userId: string, deviceId: number): SessionState | null {
    const bytes = this.select.get(userId, deviceId) as Uint8Array | undefined;
    return bytes ? decodeSessionState(new Uint8Array(bytes)) : null;
  }

  save(userId: string, deviceId: number, state: SessionState, now = Date.now()): void {
    this.upsert.run(userId, deviceId, encodeSessionState(state), now);
  }

  delete(userId: string, deviceId: number): void {
    this.db
      .prepare('DELETE FROM sessions WHERE user_id = ? AND device_id = ?')
      .run(userId, deviceId);
  }
}
