// Server ids: the id of each recipient device's copy of an envelope, by which the
// device acknowledges it. The relay gives them when a submission arrives, before
// its commit, so that the envelope can go to an online recipient at once (and, if
// that recipient acknowledges before the commit, need never be written: see
// commit-batcher.ts).
//
// A device keeps the server ids it has seen and drops a repeat (a redelivery after a
// lost ack). So an id that may have reached a device must never be given again to
// another envelope, even if the relay dies before committing it. Ids are therefore
// taken from a block whose end is recorded on disk first; a new run starts above
// the recorded end, and the next block is recorded by an ordinary commit well before
// the current one runs out. An id beyond the recorded end (a burst that outran the
// reservation) is shown to devices only after its own commit, which records it.
import type { RelayStore } from './store/store.js';

/** Ids per reservation: 2^32, so 2^21 (two million) runs before 2^53 (exact in a double). */
export const SERVER_ID_BLOCK = 2 ** 32;

export class ServerIds {
  private constructor(
    private readonly block: number,
    private next: number,
    /** Ids up to this one are recorded on disk as given or reservable. */
    private reservedUpTo: number,
    /** The reservation handed to commits, not yet known to be durable. */
    private requestedUpTo = 0,
  ) {}

  /** Reserves the run's first block above everything given before (one durable write). */
  static async open(store: RelayStore, block = SERVER_ID_BLOCK): Promise<ServerIds> {
    const first = (await store.serverIdFloor()) + 1;
    const reservedUpTo = first + block - 1;
    if (reservedUpTo > Number.MAX_SAFE_INTEGER) {
      throw new Error(
        'The relay has used up its server ids; restore the queue into a new data folder.',
      );
    }
    await store.reserveServerIds(reservedUpTo);
    return new ServerIds(block, first, reservedUpTo);
  }

  take(): number {
    return this.next++;
  }

  /** Whether this id is covered by a durable reservation (so it may be shown before its commit). */
  isReserved(serverId: number): boolean {
    return serverId <= this.reservedUpTo;
  }

  /**
   * The reservation the next commit should record, once half the block is used (it
   * covers every id given so far, and half a block more); undefined while none is needed.
   */
  reservationToCommit(): number | undefined {
    if (this.next + this.block / 2 <= this.reservedUpTo) return undefined;
    if (this.requestedUpTo < this.next + this.block / 2) {
      this.requestedUpTo = this.next + this.block;
    }
    return this.requestedUpTo;
  }

  /** A commit that carried `upTo` (and every id given before it) is durable. */
  committed(upTo: number): void {
    if (upTo > this.reservedUpTo) this.reservedUpTo = upTo;
  }
}
