// Recent time-to-first-byte (or first token) of one upstream for one model:
// an EWMA for least-latency routing and a windowed percentile for the
// adaptive hedge / slow-call threshold.

const WINDOW = 128;
const PERCENTILE_CACHE_MS = 250;

export class LatencyTracker {
  /** Exponentially weighted moving average, ms; undefined until the first sample. */
  ewmaMs: number | undefined;
  private readonly samples = new Float64Array(WINDOW);
  private count = 0;
  private next = 0;
  private cachedAt = -Infinity;
  private cachedP95 = 0;
  private readonly alpha: number;

  constructor(alpha = 0.3) {
    this.alpha = alpha;
  }

  get sampleCount(): number {
    return this.count;
  }

  record(ms: number): void {
    this.ewmaMs = this.ewmaMs === undefined ? ms : this.ewmaMs + this.alpha * (ms - this.ewmaMs);
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    if (this.count < WINDOW) this.count++;
  }

  /** 95th percentile of the recent window, recomputed at most every 250 ms. */
  p95(now: number): number {
    if (now - this.cachedAt < PERCENTILE_CACHE_MS) return this.cachedP95;
    const sorted = this.samples.slice(0, this.count).sort();
    this.cachedP95 =
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
    this.cachedAt = now;
    return this.cachedP95;
  }
}
