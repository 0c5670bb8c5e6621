// How much of a download's part file is on disk, for a save that decrypts the file
// while it arrives (attachments.ts, `fetchAndSave`). The downloader reports the part's
// length after each write; a follower reads only below that length. A length going
// down means the part was cut short or deleted (a damaged part fetched again from the
// start): what a follower read from it may be other bytes than the ones finally
// verified, so the follower is told and starts over from the verified file.
import { Watermark } from './file-tail.js';

/** Why a follower cannot read further in the part. */
export class PartUnavailable extends Error {
  constructor(readonly reason: 'reset' | 'ended') {
    super(
      reason === 'reset'
        ? 'The partial download was started over.'
        : 'The download ended before these bytes arrived.',
    );
  }
}

/** One follower's view of a part file. */
export class PartWatch {
  constructor(private readonly mark: Watermark) {}

  /** Resolves once the part's first `bytes` bytes are on disk. */
  reach(bytes: number): Promise<void> {
    return this.mark.reach(bytes);
  }

  /** Whether the part was started over since this watch began. */
  get reset(): boolean {
    return this.mark.error instanceof PartUnavailable && this.mark.error.reason === 'reset';
  }
}

export class PartWatches {
  /** The length last reported for each download under way. */
  private readonly lengths = new Map<string, number>();
  private readonly marks = new Map<string, Watermark>();

  /** The downloader's report: the part of `id` holds `bytes` bytes on disk. */
  written(id: string, bytes: number): void {
    this.lengths.set(id, bytes);
    const mark = this.marks.get(id);
    if (!mark) return;
    if (bytes < mark.position) {
      mark.fail(new PartUnavailable('reset'));
      this.marks.delete(id);
    } else mark.advance(bytes);
  }

  /** The download of `id` stopped running (done, failed or stopped). */
  ended(id: string): void {
    this.lengths.delete(id);
    this.marks.get(id)?.fail(new PartUnavailable('ended'));
    this.marks.delete(id);
  }

  /** A watch on the part of `id`, from the length last reported. */
  follow(id: string): PartWatch {
    let mark = this.marks.get(id);
    if (!mark) {
      mark = new Watermark();
      mark.advance(this.lengths.get(id) ?? 0);
      this.marks.set(id, mark);
    }
    return new PartWatch(mark);
  }
}
