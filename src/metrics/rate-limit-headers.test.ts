import { describe, expect, it } from 'vitest';
import { formatOpenAIDuration } from '../simulator/index.js';
import { UpstreamHeaders } from '../upstream/upstream-headers.js';
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
      readRateLimitHeaders(
        UpstreamHeaders.of({
          'x-ratelimit-limit-requests': '100',
          'x-ratelimit-limit-tokens': '10000',
          'x-ratelimit-remaining-requests': '97',
          'x-ratelimit-remaining-tokens': '9500',
          'x-ratelimit-reset-requests': '1.5s',
          'x-ratelimit-reset-tokens': '6m0s',
        }),
      ),
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
    expect(
      readRateLimitHeaders(UpstreamHeaders.of({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '42' })),
    ).toEqual({
      limitRequests: 60,
      limitTokens: undefined,
      remainingRequests: 42,
      remainingTokens: undefined,
      resetRequestsMs: undefined,
      resetTokensMs: undefined,
    });
    expect(readRateLimitHeaders(UpstreamHeaders.of({ 'x-ratelimit-remaining': 'lots' }))).toBeUndefined();
    expect(readRateLimitHeaders(UpstreamHeaders.of({ 'content-type': 'application/json' }))).toBeUndefined();
  });

  it('reads every string as the straightforward parser does (differential)', () => {
    // The parser reads numbers digit by digit; this reference slices them and calls Number().
    const alphabet = ['0', '1', '5', '9', '.', 'h', 'm', 's', 'u', 'µ', 'μ', 'n', ' ', 'x', '-'];
    let seed = 42;
    const next = (k: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % k;
    };
    const samples = ['1234567890123456789s', '0.000000000000000001s', '12.345678901234567ms', '1e3s'];
    for (let t = 0; t < 20_000; t++) {
      let text = '';
      const length = 1 + next(12);
      for (let i = 0; i < length; i++) text += alphabet[next(alphabet.length)];
      samples.push(text);
    }
    for (const text of samples)
      expect(parseResetMs(text, 1_800_000_000_000), text).toBe(referenceResetMs(text));
  });
});

/** The parser as first written (slices and `Number`), kept as the reference. */
function referenceResetMs(value: string, nowMs = 1_800_000_000_000): number | undefined {
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000 };
  const subsecondMs: Record<string, number> = { m: 1, u: 0.001, µ: 0.001, μ: 0.001, n: 1e-6 };
  const text = value.trim();
  const n = text.length;
  if (n === 0 || n > 40) return undefined;
  let total = 0;
  let i = 0;
  let units = 0;
  while (i < n) {
    const start = i;
    let dot = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) i++;
      else if (c === 46 && !dot) {
        dot = true;
        i++;
      } else break;
    }
    if (i === start) return undefined;
    const amount = Number(text.slice(start, i));
    if (Number.isNaN(amount)) return undefined;
    if (i === n) {
      if (units > 0) return undefined;
      return amount > 1e9 ? Math.max(0, amount * 1000 - nowMs) : amount * 1000;
    }
    const unit = text[i]!;
    const length = unit !== 's' && text.startsWith('s', i + 1) ? 2 : 1;
    const factor = length === 2 ? subsecondMs[unit] : unitMs[unit];
    if (factor === undefined) return undefined;
    i += length;
    total += amount * factor;
    units++;
  }
  return total;
}
