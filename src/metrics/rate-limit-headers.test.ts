import { describe, expect, it } from 'vitest';
import { formatOpenAIDuration } from '../simulator/index.js';
import { parseResetMs, readRateLimitHeaders } from './rate-limit-headers.js';

describe('rate-limit headers', () => {
  it("parses OpenAI's reset durations", () => {
    expect(parseResetMs('6m0s')).toBe(360_000);
    expect(parseResetMs('1.5s')).toBe(1_500);
    expect(parseResetMs('20ms')).toBe(20);
    expect(parseResetMs('1h2m3.5s')).toBe(3_723_500);
    expect(parseResetMs('0s')).toBe(0);
    expect(parseResetMs('1500µs')).toBe(1.5);
    expect(parseResetMs('2m5s')).toBe(125_000);
    // Whatever the simulator writes reads back to the same milliseconds.
    for (const ms of [0, 17, 999, 1_000, 59_500, 60_000, 61_250])
      expect(parseResetMs(formatOpenAIDuration(ms))).toBe(ms);
  });

  it('reads a bare number as seconds, or as a Unix time when it is one', () => {
    expect(parseResetMs('30')).toBe(30_000);
    expect(parseResetMs('1800000030', 1_800_000_000_000)).toBe(30_000);
  });

  it('rejects what is not a duration', () => {
    for (const bad of ['', 'soon', '5x', '1s2', 's', '-1s', '1.2.3s'])
      expect(parseResetMs(bad)).toBeUndefined();
  });

  it('reads the six OpenAI headers', () => {
    expect(
      readRateLimitHeaders({
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-limit-tokens': '10000',
        'x-ratelimit-remaining-requests': '97',
        'x-ratelimit-remaining-tokens': '9500',
        'x-ratelimit-reset-requests': '1.5s',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
    ).toEqual({
      limitRequests: 100,
      limitTokens: 10_000,
      remainingRequests: 97,
      remainingTokens: 9_500,
      resetRequestsMs: 1_500,
      resetTokensMs: 360_000,
    });
  });

  it('counts the plain headers as requests, and ignores junk values', () => {
    expect(readRateLimitHeaders({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '42' })).toEqual({
      limitRequests: 60,
      limitTokens: undefined,
      remainingRequests: 42,
      remainingTokens: undefined,
      resetRequestsMs: undefined,
      resetTokensMs: undefined,
    });
    expect(readRateLimitHeaders({ 'x-ratelimit-remaining': 'lots' })).toBeUndefined();
    expect(readRateLimitHeaders({ 'content-type': 'application/json' })).toBeUndefined();
  });
});
