// A fixed 60 s rate-limit window and the x-ratelimit-* headers that describe it.
import type { OutgoingHttpHeaders } from 'node:http';
import type { RateLimitOptions } from './types.js';

export const RATE_WINDOW_MS = 60_000;

export const DEFAULT_RATE_LIMIT: Required<RateLimitOptions> = {
  requestsPerMinute: 10_000,
  tokensPerMinute: 2_000_000,
  headerStyle: 'openai',
  enforce: false,
};

export interface RateSnapshot {
  remainingRequests: number;
  remainingTokens: number;
  /** Until the window restarts with full budgets. */
  resetMs: number;
  /** True when enforcement is on and this request did not fit (nothing was consumed). */
  limited: boolean;
}

/** OpenAI's duration style: `17ms`, `1s`, `59.5s`, `6m0s`. */
export function formatOpenAIDuration(durationMs: number): string {
  const ms = Math.max(0, Math.round(durationMs));
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms - minutes * 60_000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

export class RateWindow {
  private readonly limits: Required<RateLimitOptions>;
  private readonly nowMs: () => number;
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private usedRequests = 0;
  private usedTokens = 0;

  /** `nowMs` is injectable so the window reset can be tested without waiting a minute. */
  constructor(limits: Required<RateLimitOptions>, nowMs: () => number = Date.now) {
    this.limits = limits;
    this.nowMs = nowMs;
  }

  /** Counts one request of `tokens` tokens against the window (which starts at its first request). */
  consume(tokens: number): RateSnapshot {
    const now = this.nowMs();
    if (now - this.windowStartMs >= RATE_WINDOW_MS) {
      this.windowStartMs = now;
      this.usedRequests = 0;
      this.usedTokens = 0;
    }
    const { requestsPerMinute, tokensPerMinute, enforce } = this.limits;
    const fits = this.usedRequests + 1 <= requestsPerMinute && this.usedTokens + tokens <= tokensPerMinute;
    const limited = enforce && !fits;
    if (!limited) {
      this.usedRequests += 1;
      this.usedTokens += tokens;
    }
    return {
      remainingRequests: Math.max(0, requestsPerMinute - this.usedRequests),
      remainingTokens: Math.max(0, tokensPerMinute - this.usedTokens),
      resetMs: this.windowStartMs + RATE_WINDOW_MS - now,
      limited,
    };
  }

  /** Adds the headers for `snapshot` to `headers` in the configured style. */
  writeHeaders(headers: OutgoingHttpHeaders, snapshot: RateSnapshot): void {
    const { headerStyle, requestsPerMinute, tokensPerMinute } = this.limits;
    if (headerStyle === 'none') return;
    if (headerStyle === 'plain') {
      headers['x-ratelimit-limit'] = requestsPerMinute;
      headers['x-ratelimit-remaining'] = snapshot.remainingRequests;
      return;
    }
    const reset = formatOpenAIDuration(snapshot.resetMs);
    headers['x-ratelimit-limit-requests'] = requestsPerMinute;
    headers['x-ratelimit-limit-tokens'] = tokensPerMinute;
    headers['x-ratelimit-remaining-requests'] = snapshot.remainingRequests;
    headers['x-ratelimit-remaining-tokens'] = snapshot.remainingTokens;
    headers['x-ratelimit-reset-requests'] = reset;
    headers['x-ratelimit-reset-tokens'] = reset;
  }
}
