// A small observable store for React (useSyncExternalStore): one immutable state
// object, replaced on each change; components read slices with a selector.
import { useSyncExternalStore } from 'react';

export class Store<S> {
  private listeners = new Set<() => void>();

  constructor(private state: S) {}

  get = (): S => this.state;

  set(change: Partial<S> | ((state: S) => Partial<S>)): void {
    const patch = typeof change === 'function' ? change(this.state) : change;
    // Nothing changed: no new state, and no listener runs (an event per message in a
    // catch-up often changes nothing here).
    if (Object.keys(patch).length === 0) return;
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

/** Re-renders when the selected slice changes (compared with Object.is). */
export function useStore<S, T>(store: Store<S>, select: (state: S) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.get()));
}
