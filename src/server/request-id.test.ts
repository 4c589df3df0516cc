import { describe, expect, it } from 'vitest';
import { newRequestId } from './request-id.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newRequestId', () => {
  it('makes version 4 UUIDs, distinct across several refills of its random pool', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = newRequestId();
      expect(id).toMatch(V4);
      ids.add(id);
    }
    expect(ids.size).toBe(2_000);
  });

  it('spreads every hex digit over the random positions (no byte is fixed or dropped)', () => {
    // Over 2,000 ids each of the 30 random hex positions sees all 16 digits.
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) {
      const id = newRequestId();
      for (let c = 0; c < 36; c++) seen[c]!.add(id[c]!);
    }
    for (let c = 0; c < 36; c++) {
      if ([8, 13, 18, 23].includes(c)) expect([...seen[c]!]).toEqual(['-']);
      else if (c === 14) expect([...seen[c]!]).toEqual(['4']);
      else if (c === 19) expect([...seen[c]!].sort()).toEqual(['8', '9', 'a', 'b']);
      else expect(seen[c]!.size).toBe(16);
    }
  });

  it('returns strings that stay the same after the next id is made', () => {
    const first = newRequestId();
    const copy = `${first}`;
    newRequestId();
    expect(first).toBe(copy);
  });
});
