// Engine events arrive one per message. A catch-up of 5,000 messages into the open
// conversation was 5,000 state changes and as many renders: the last message showed
// 8.4 s after the reconnection, when the engine had it at 1.8 s, at about 10 frames a
// second (bench `ui-catch-up`). Gathered here, they change the state at most once per interval: the
// first of a quiet spell at once (a message typed by a colleague shows with no
// delay), those that follow it together at the end of the interval.

/** Keeps the newest copy of each item (by id) until they are applied together. */
export class Arrivals<T extends { readonly id: string }> {
  private readonly pending = new Map<string, T>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastApplied = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly apply: (items: readonly T[]) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** An item arrived: applied now after a quiet spell, else with the next batch. */
  add(item: T): void {
    this.pending.set(item.id, item);
    if (this.timer) return;
    const wait = this.lastApplied + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Applies what is waiting now (before anything that must see it in the state). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending.clear();
    this.lastApplied = this.now();
    this.apply(items);
  }
}
