import { describe, expect, it } from 'vitest';
import { FaultState } from './faults.js';

function fates(state: FaultState, count: number): { reset: boolean; error: boolean }[] {
  return Array.from({ length: count }, () => {
    const { reset, error } = state.next();
    return { reset, error };
  });
}

describe('FaultState', () => {
  it('spreads errors evenly and exactly, even for rates that are inexact in binary', () => {
    const state = new FaultState();
    state.merge({ error_rate: 0.29 });
    expect(fates(state, 100).filter((f) => f.error)).toHaveLength(29);
    state.merge({ error_rate: 0.1 });
    const tenth = fates(state, 20).flatMap((f, i) => (f.error ? [i] : []));
    expect(tenth).toEqual([9, 19]);
  });

  it('restarts the counters on every change and lets a reset win over an error', () => {
    const state = new FaultState();
    state.merge({ error_rate: 0.5 });
    state.next();
    state.merge({ reset_rate: 0.5 });
    expect(fates(state, 4)).toEqual([
      { reset: false, error: false },
      { reset: true, error: false },
      { reset: false, error: false },
      { reset: true, error: false },
    ]);
  });

  it('rejects unknown keys and out-of-range values, keeping the previous faults', () => {
    const state = new FaultState();
    state.merge({ latency_ms: 10 });
    expect(() => state.merge({ latency: 5 })).toThrow();
    expect(() => state.merge({ error_rate: 1.5 })).toThrow();
    expect(() => state.merge({ error_status: 200 })).toThrow();
    expect(state.get()).toMatchObject({ latency_ms: 10, error_rate: 0 });
    state.clear();
    expect(state.get().latency_ms).toBe(0);
  });
});
