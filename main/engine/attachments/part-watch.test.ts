import { describe, expect, it } from 'vitest';
import { PartUnavailable, PartWatches } from './part-watch.js';

describe('PartWatches', () => {
  it('lets a follower read what is written, from the length reported before it came', async () => {
    const parts = new PartWatches();
    parts.written('a', 100);
    const watch = parts.follow('a');
    await watch.reach(100);
    let reached = false;
    const waiting = watch.reach(250).then(() => (reached = true));
    parts.written('a', 200);
    await Promise.resolve();
    expect(reached).toBe(false);
    parts.written('a', 300);
    await waiting;
    expect(watch.reset).toBe(false);
  });

  it('tells followers when the part goes back, and starts a fresh watch after', async () => {
    const parts = new PartWatches();
    const first = parts.follow('a');
    parts.written('a', 500);
    const waiting = first.reach(1000);
    parts.written('a', 0);
    await expect(waiting).rejects.toBeInstanceOf(PartUnavailable);
    expect(first.reset).toBe(true);
    const second = parts.follow('a');
    expect(second.reset).toBe(false);
    parts.written('a', 10);
    await second.reach(10);
  });

  it('ends the waits of a download that stopped, without calling it a reset', async () => {
    const parts = new PartWatches();
    const watch = parts.follow('a');
    parts.written('a', 50);
    const waiting = watch.reach(100);
    parts.ended('a');
    await expect(waiting).rejects.toMatchObject({ reason: 'ended' });
    expect(watch.reset).toBe(false);
    // Another part is not touched.
    const other = parts.follow('b');
    parts.written('b', 5);
    await other.reach(5);
  });
});
