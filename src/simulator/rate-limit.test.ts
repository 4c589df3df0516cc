import { describe, expect, it } from 'vitest';
import { formatOpenAIDuration, RateWindow } from './rate-limit.js';

describe('formatOpenAIDuration', () => {
  it('writes durations the way OpenAI does', () => {
    expect([17, 1000, 8640, 59_500, 60_000, 360_000].map(formatOpenAIDuration)).toEqual([
      '17ms',
      '1s',
      '8.64s',
      '59.5s',
      '1m0s',
      '6m0s',
    ]);
  });
});

describe('RateWindow', () => {
  it('counts down within 60 s, then restarts with full budgets', () => {
    let nowMs = 0;
    const limits = {
      requestsPerMinute: 3,
      tokensPerMinute: 100,
      headerStyle: 'openai' as const,
      enforce: true,
    };
    const window = new RateWindow(limits, () => nowMs);
    expect(window.consume(10)).toMatchObject({ remainingRequests: 2, remainingTokens: 90, resetMs: 60_000 });
    nowMs = 30_000;
    expect(window.consume(95)).toMatchObject({
      limited: true,
      remainingRequests: 2,
      remainingTokens: 90,
      resetMs: 30_000,
    });
    nowMs = 60_000;
    expect(window.consume(95)).toMatchObject({ limited: false, remainingRequests: 2, remainingTokens: 5 });
  });

  it('only reports when not enforcing, clamping remaining at 0', () => {
    const window = new RateWindow({
      requestsPerMinute: 1,
      tokensPerMinute: 10,
      headerStyle: 'openai',
      enforce: false,
    });
    window.consume(5);
    const over = window.consume(50);
    expect(over).toMatchObject({ limited: false, remainingRequests: 0, remainingTokens: 0 });
    const headers = {};
    window.writeHeaders(headers, over);
    expect(headers).toMatchObject({ 'x-ratelimit-remaining-requests': 0, 'x-ratelimit-limit-tokens': 10 });
  });
});
