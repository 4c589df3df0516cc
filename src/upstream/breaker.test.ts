import { describe, expect, it } from 'vitest';
import type { BreakerState } from '../events/types.js';
import { CircuitBreaker } from './breaker.js';

function make(overrides = {}) {
  let now = 0;
  const states: BreakerState[] = [];
  const breaker = new CircuitBreaker(
    {
      consecutiveFailures: 3,
      failureRatio: 0.5,
      windowMs: 10_000,
      minRequests: 10,
      openMs: 1_000,
      openMaxMs: 4_000,
      halfOpenProbes: 1,
      ...overrides,
    },
    () => now,
    (s) => states.push(s),
  );
  return { breaker, states, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens on consecutive failures and refuses until the open period ends', () => {
    const { breaker, states, advance } = make();
    breaker.failure();
    breaker.failure();
    expect(breaker.acquire()).toBe(true);
    breaker.failure();
    expect(states).toEqual(['open']);
    expect(breaker.acquire()).toBe(false);
    expect(breaker.retryAfterMs()).toBe(1_000);
    advance(999);
    expect(breaker.available()).toBe(false);
    advance(1);
    expect(breaker.available()).toBe(true);
  });

  it('a success resets the consecutive count', () => {
    const { breaker, states } = make();
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(states).toEqual([]);
  });

  it('opens on the failure ratio once the window holds enough calls, and forgets old calls', () => {
    const { breaker, states, advance } = make({ consecutiveFailures: 100 });
    for (let i = 0; i < 4; i++) {
      breaker.success();
      breaker.failure();
    }
    expect(states).toEqual([]); // 8 calls < minRequests
    advance(11_000); // the window moves on: those calls no longer count
    for (let i = 0; i < 5; i++) breaker.success();
    for (let i = 0; i < 4; i++) breaker.failure();
    expect(states).toEqual([]); // 4/9
    breaker.failure(); // 5/10
    expect(states).toEqual(['open']);
  });

  it('half-open lets one probe through; success closes, failure reopens for twice as long', () => {
    const { breaker, states, advance } = make();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(1_000);
    expect(breaker.acquire()).toBe(true);
    expect(states.at(-1)).toBe('half_open');
    expect(breaker.acquire()).toBe(false); // one probe at a time
    breaker.failure();
    expect(states.at(-1)).toBe('open');
    expect(breaker.retryAfterMs()).toBe(2_000);
    advance(2_000);
    expect(breaker.acquire()).toBe(true);
    breaker.success();
    expect(states).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
    expect(breaker.acquire()).toBe(true);
  });

  it('a cancelled probe frees its slot', () => {
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(1_000);
    expect(breaker.acquire()).toBe(true);
    breaker.release();
    expect(breaker.acquire()).toBe(true);
  });
});
