// Caps retries (and hedges) at a fraction of first attempts, so retries cannot
// turn an outage into a storm: each request deposits `ratio` tokens, each
// retry spends one. A small per-second allowance keeps low-traffic relays able
// to retry at all.

export class RetryBudget {
  private tokens: number;
  private readonly ratio: number;
  private readonly maxTokens: number;
  private readonly minPerSecond: number;
  private readonly now: () => number;
  private windowStart: number;
  private usedThisSecond = 0;

  constructor(ratio: number, minPerSecond: number, now: () => number) {
    this.ratio = ratio;
    this.minPerSecond = minPerSecond;
    this.now = now;
    // Savings from the last ~1,000 requests: enough to hedge a sudden slowdown
    // until breakers react, yet retries stay at `ratio` of requests over time.
    this.maxTokens = Math.max(10, ratio * 1_000);
    this.tokens = 0;
    this.windowStart = now();
  }

  /** A request's first attempt: earns `ratio` tokens. */
  deposit(): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.ratio);
  }

  /** Takes one retry from the budget; false when it is spent. */
  withdraw(): boolean {
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.usedThisSecond = 0;
    }
    if (this.usedThisSecond < this.minPerSecond) {
      this.usedThisSecond++;
      return true;
    }
    return false;
  }
}

/** Full-jitter exponential backoff: a random wait in [0, min(max, base * 2^n)]. */
export function backoffMs(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1)));
}
