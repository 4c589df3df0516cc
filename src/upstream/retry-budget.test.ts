import { describe, expect, it } from 'vitest';
import { backoffMs, RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('allows retries at the deposit ratio plus a per-second floor', () => {
    let now = 0;
    const budget = new RetryBudget(0.2, 2, () => now);
    let allowed = 0;
    for (let i = 0; i < 100; i++) {
      budget.deposit();
      if (budget.withdraw()) allowed++;
    }
    // 100 deposits of 0.2 buy 20 retries; the per-second floor adds 2.
    expect(allowed).toBe(22);
    now += 1_000;
    expect(budget.withdraw()).toBe(true); // a new second, a new floor
  });

  it('never exceeds its cap however long it saves', () => {
    const budget = new RetryBudget(0.5, 0, () => 0);
    for (let i = 0; i < 100_000; i++) budget.deposit();
    let allowed = 0;
    while (budget.withdraw()) allowed++;
    expect(allowed).toBe(500);
  });
});

describe('backoffMs', () => {
  it('is full-jitter exponential, capped', () => {
    expect(backoffMs(1, 100, 2_000, () => 0.999)).toBe(99);
    expect(backoffMs(3, 100, 2_000, () => 0.5)).toBe(200);
    expect(backoffMs(10, 100, 2_000, () => 0.999)).toBe(1_998);
    expect(backoffMs(2, 100, 2_000, () => 0)).toBe(0);
  });
});
