// The BLAKE2b of each blob upload in progress, kept up to date as PATCH bodies are
// written, so that finalising a 256 MiB upload compares two hashes instead of reading
// the whole blob back from disk and hashing it (half a second or more, during which
// the sender waits).
//
// A running hash is only ever trusted for the exact bytes it has seen: it records the
// offset it reached, and finalisation uses it only when that offset is the blob's full
// length and the PATCH that fed it ended with the file at that same size. Anything
// else (a relay restart, a failed write, an upload evicted from this bounded table)
// drops the running hash and finalisation falls back to hashing the file.
import { Blake2bHasher } from '../../shared/crypto/index.js';

export interface RunningHash {
  /** Blob bytes [0, offset) have been hashed. */
  offset: number;
  readonly hasher: Blake2bHasher;
}

export class UploadHashes {
  private readonly running = new Map<string, RunningHash>();

  /** At most `capacity` uploads are followed at once; the oldest are dropped first. */
  constructor(private readonly capacity = 1024) {}

  /**
   * The running hash to feed with bytes appended at `offset`: the one left by the
   * previous PATCH when it stopped exactly there, a new one at offset 0, otherwise none.
   */
  resume(blobId: string, offset: number): RunningHash | undefined {
    const current = this.running.get(blobId);
    if (current && current.offset === offset) {
      // Re-inserted, so that the table's order is the order of last use.
      this.running.delete(blobId);
      this.running.set(blobId, current);
      return current;
    }
    this.forget(blobId);
    if (offset !== 0) return undefined;
    const fresh: RunningHash = { offset: 0, hasher: new Blake2bHasher(32) };
    this.running.set(blobId, fresh);
    while (this.running.size > this.capacity) {
      this.forget(this.running.keys().next().value!);
    }
    return fresh;
  }

  /** The digest of the whole blob when the running hash covers exactly `length` bytes. */
  finish(blobId: string, length: number): Uint8Array | undefined {
    const current = this.running.get(blobId);
    if (!current) return undefined;
    this.running.delete(blobId);
    if (current.offset !== length) {
      current.hasher.dispose();
      return undefined;
    }
    return current.hasher.digest();
  }

  forget(blobId: string): void {
    const current = this.running.get(blobId);
    if (!current) return;
    this.running.delete(blobId);
    current.hasher.dispose();
  }

  get size(): number {
    return this.running.size;
  }
}
