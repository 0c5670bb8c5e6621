// Flushing a large file to disk while it is being written, not all at the end.
//
// A transfer of a few hundred MiB ends with an fsync (nothing is declared complete
// before its bytes are on disk). Left to the end, that fsync writes everything at
// once while the person waits (about 0.1 s per 256 MiB here, much more on a slow
// disk). Starting an fdatasync in the background after every `every` bytes lets the
// disk work while the transfer goes on, so the final fsync has little left to do.
// One flush at a time; a failed one is ignored here because the final fsync, which
// the caller always makes, reports it.
export class ProgressiveFlush {
  private since = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly flush: () => Promise<void>,
    private readonly every = 32 * 1024 * 1024,
  ) {}

  /** Counts bytes just written; starts a background flush when enough have piled up. */
  wrote(bytes: number): void {
    this.since += bytes;
    if (this.since < this.every || this.running) return;
    this.since = 0;
    this.running = this.flush()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Waits for the flush in progress, if any (before closing the file). */
  async settle(): Promise<void> {
    await this.running;
  }
}
