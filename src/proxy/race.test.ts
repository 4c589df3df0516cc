import { describe, expect, it } from 'vitest';
import { UpstreamHeaders } from '../upstream/upstream-headers.js';
import { retryAfterMs } from './race.js';

describe("a 429's wait (retryAfterMs)", () => {
  const wait = (headers: Record<string, string>): number | undefined =>
    retryAfterMs(UpstreamHeaders.of(headers));

  it('reads retry-after-ms first, then retry-after in seconds', () => {
    expect(wait({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    expect(wait({ 'Retry-After': '2' })).toBe(2_000);
    expect(wait({ 'retry-after': '0.5' })).toBe(500);
  });

  it('reads an HTTP date as the time until it', () => {
    const ms = wait({ 'retry-after': new Date(Date.now() + 30_000).toUTCString() });
    expect(ms).toBeGreaterThan(28_000);
    expect(ms).toBeLessThanOrEqual(30_000);
    expect(wait({ 'retry-after': new Date(Date.now() - 60_000).toUTCString() })).toBe(0);
  });

  it('gives nothing for a missing, empty or unreadable value, and never a negative wait', () => {
    expect(wait({})).toBeUndefined();
    expect(wait({ 'retry-after': '' })).toBeUndefined();
    expect(wait({ 'retry-after': 'soon' })).toBeUndefined();
    // A negative or junk retry-after-ms is passed over for retry-after.
    expect(wait({ 'retry-after-ms': '-5', 'retry-after': '1' })).toBe(1_000);
    expect(wait({ 'retry-after-ms': 'x', 'retry-after': '-3' })).toBe(0);
  });
});
