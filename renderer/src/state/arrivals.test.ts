import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Arrivals } from './arrivals.js';

interface Item {
  readonly id: string;
  readonly v: number;
}

describe('Arrivals', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const setUp = () => {
    const batches: string[][] = [];
    const arrivals = new Arrivals<Item>(
      (items) => batches.push(items.map((i) => `${i.id}${i.v}`)),
      100,
      () => Date.now(),
    );
    return { batches, arrivals };
  };

  it('applies the first after a quiet spell at once, and gathers those that follow', () => {
    const { batches, arrivals } = setUp();
    arrivals.add({ id: 'a', v: 1 });
    expect(batches).toEqual([['a1']]);
    arrivals.add({ id: 'b', v: 1 });
    arrivals.add({ id: 'c', v: 1 });
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(99);
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([['a1'], ['b1', 'c1']]);
    // Quiet again: the next one goes at once.
    vi.advanceTimersByTime(500);
    arrivals.add({ id: 'd', v: 1 });
    expect(batches).toEqual([['a1'], ['b1', 'c1'], ['d1']]);
  });

  it('keeps the newest copy of an item, in the place of its first arrival', () => {
    const { batches, arrivals } = setUp();
    arrivals.add({ id: 'x', v: 0 });
    arrivals.add({ id: 'a', v: 1 });
    arrivals.add({ id: 'b', v: 1 });
    arrivals.add({ id: 'a', v: 2 });
    vi.advanceTimersByTime(100);
    expect(batches).toEqual([['x0'], ['a2', 'b1']]);
  });

  it('flush applies what waits now and cancels the timer', () => {
    const { batches, arrivals } = setUp();
    arrivals.add({ id: 'a', v: 1 });
    arrivals.add({ id: 'b', v: 1 });
    arrivals.flush();
    expect(batches).toEqual([['a1'], ['b1']]);
    vi.advanceTimersByTime(1000);
    expect(batches).toHaveLength(2);
    arrivals.flush();
    expect(batches).toHaveLength(2);
  });
});
