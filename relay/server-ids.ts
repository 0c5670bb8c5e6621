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
//
// A run also starts no lower than a thousand ids per millisecond of the clock. So a
// relay restored from an older backup (whose recorded end is behind what devices have
// seen since) still gives ids above every id of the run that was lost: ids stay
// within about one block (a second's worth) of the clock, and a restore takes longer
// than that. In 2026 that is about 1.8e15, exact in a double (2^53 ≈ 9e15) until the
// year 2255.
import type { RelayStore } from './store/store.js';

/** Ids per reservation: about a second of the clock's thousand per millisecond. */
export const SERVER_ID_BLOCK = 2 ** 20;

/** The lowest id a run started at `now` (ms since 1970) may give. */
export const clockFloor = (now: number) => Math.floor(now) * 1000;

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
  static async open(
    store: RelayStore,
    now = Date.now(),
    block = SERVER_ID_BLOCK,
  ): Promise<ServerIds> {
    const first = Math.max((await store.serverIdFloor()) + 1, clockFloor(now));
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
