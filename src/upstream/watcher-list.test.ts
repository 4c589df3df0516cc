import { describe, expect, it } from 'vitest';
import { type Slotted, WatcherList } from './watcher-list.js';

const member = (name: string): Slotted & { name: string } => ({ name, watchSlot: -1 });

describe('WatcherList', () => {
  it('keeps each member once and moves the last into a removed slot', () => {
    const list = new WatcherList<ReturnType<typeof member>>();
    const a = member('a');
    const b = member('b');
    const c = member('c');
    const d = member('d');
    for (const m of [a, b, c, d, b]) list.add(m);
    expect(list.size).toBe(4);
    expect(list.delete(b)).toBe(true);
    expect(b.watchSlot).toBe(-1);
    expect(d.watchSlot).toBe(1);
    expect(list.snapshot().map((m) => m.name)).toEqual(['a', 'd', 'c']);
    expect(list.delete(b)).toBe(false);
    expect(list.delete(c)).toBe(true); // the last one: nothing moves
    expect(list.snapshot().map((m) => m.name)).toEqual(['a', 'd']);
    expect([a, b, c, d].map((m) => m.watchSlot)).toEqual([0, -1, -1, 1]);
  });

  it('leaves a member of another list alone', () => {
    const one = new WatcherList<Slotted>();
    const other = new WatcherList<Slotted>();
    const x = { watchSlot: -1 };
    const y = { watchSlot: -1 };
    one.add(x);
    other.add(y);
    expect(other.delete(x)).toBe(false);
    expect(x.watchSlot).toBe(0); // still its slot on `one`
    expect(other.snapshot()).toEqual([y]);
    expect(one.delete(x)).toBe(true);
  });

  it('hands out a copy that members may leave while it is walked', () => {
    const list = new WatcherList<Slotted>();
    const members = Array.from({ length: 5 }, () => ({ watchSlot: -1 }));
    for (const m of members) list.add(m);
    let seen = 0;
    for (const m of list.snapshot()) {
      list.delete(m);
      seen++;
    }
    expect(seen).toBe(5);
    expect(list.size).toBe(0);
    expect(members.every((m) => m.watchSlot === -1)).toBe(true);
  });
});
