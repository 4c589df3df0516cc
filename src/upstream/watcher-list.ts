// The attempts waiting on one upstream and model that want to hear at once
// when its breaker opens: an array in which each watcher knows its own slot,
// so adding and removing (once per request) cost a push and a swap.
//
// Not a JavaScript `Set`. V8 replaces a Set's (or Map's) hash table when
// deleted entries fill it, every few dozen requests here, and links the old
// table to its replacement for iterators still walking it. A table that is in
// the old generation (any table live during a full collection) thereby keeps
// every later table reachable in the young-generation collector's view, and
// with them every attempt ever added and each one's whole request: all of it
// was copied and promoted at each scavenge until the next full collection.
// Measured with `--trace-gc-nvp` at 64 requests in flight: after the first
// full collection under load, ~1.9 MB promoted a scavenge instead of ~70 KB,
// scavenges of ~4.6 ms instead of ~1.1, and ~58 us of CPU a JSON request
// instead of ~43 (docs/benchmarks.md, "What each optimisation bought").

/** A list member: its index in the list it is on, -1 when on none. */
export interface Slotted {
  watchSlot: number;
}

export class WatcherList<T extends Slotted> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Adds `item` unless it is already on a list. */
  add(item: T): void {
    if (item.watchSlot >= 0) return;
    item.watchSlot = this.items.length;
    this.items.push(item);
  }

  /** Removes `item` if it is on this list; the last member moves into its slot. */
  delete(item: T): boolean {
    const slot = item.watchSlot;
    if (slot < 0 || this.items[slot] !== item) return false;
    const last = this.items.pop() as T;
    if (last !== item) {
      this.items[slot] = last;
      last.watchSlot = slot;
    }
    item.watchSlot = -1;
    return true;
  }

  /** The members now, as a copy: callers may add or remove while they walk it. */
  snapshot(): T[] {
    return this.items.slice();
  }
}
