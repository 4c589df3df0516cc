// A circuit breaker with an explicit record API. Attempts end in many ways
// (buffered answer, relayed stream, lost hedge, client abort), so the caller
// reports outcomes instead of wrapping a function call.

import type { BreakerState } from '../events/types.js';

export interface BreakerOptions {
  /** Open after this many failures in a row. */
  readonly consecutiveFailures: number;
  /** Open when failures / calls in the window reach this ratio... */
  readonly failureRatio: number;
  /** ...over this sliding window... */
  readonly windowMs: number;
  /** ...once it holds at least this many calls. */
  readonly minRequests: number;
  /** First open period; doubles on each failed probe up to `openMaxMs`. */
  readonly openMs: number;
  readonly openMaxMs: number;
  /** Concurrent trial calls allowed while half-open. */
  readonly halfOpenProbes: number;
}

const BUCKETS = 10;

export class CircuitBreaker {
  state: BreakerState = 'closed';
  private readonly o: BreakerOptions;
  private readonly now: () => number;
  private readonly onChange: (state: BreakerState) => void;
  private consecutive = 0;
  // Sliding window as a ring of time buckets: cheap to update, no per-call allocation.
  private readonly calls = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);
  private bucketStart = 0;
  private bucketIndex = 0;
  private openedAt = 0;
  private openFor: number;
  private probes = 0;

  constructor(options: BreakerOptions, now: () => number, onChange: (state: BreakerState) => void) {
    this.o = options;
    this.now = now;
    this.onChange = onChange;
    this.openFor = options.openMs;
    this.bucketStart = now();
  }

  /** Could an attempt go now (without reserving anything)? */
  available(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') return this.now() - this.openedAt >= this.openFor;
    return this.probes < this.o.halfOpenProbes;
  }

  /**
   * Reserves the right to send one attempt. Closed: always. Open: only once the
   * open period is over (the breaker turns half-open). Half-open: one of the probe slots.
   */
  acquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.openFor) return false;
      this.transition('half_open');
    }
    if (this.probes >= this.o.halfOpenProbes) return false;
    this.probes++;
    return true;
  }

  /** An acquired attempt ended without a verdict (cancelled): free its probe slot. */
  release(): void {
    if (this.state === 'half_open' && this.probes > 0) this.probes--;
  }

  success(): void {
    this.count(false);
    this.consecutive = 0;
    if (this.state === 'half_open') {
      this.openFor = this.o.openMs;
      this.reset();
      this.transition('closed');
    }
  }

  failure(): void {
    this.count(true);
    this.consecutive++;
    if (this.state === 'half_open') {
      this.openFor = Math.min(this.openFor * 2, this.o.openMaxMs);
      this.open();
      return;
    }
    if (this.state !== 'closed') return;
    if (this.consecutive >= this.o.consecutiveFailures) {
      this.open();
      return;
    }
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.calls[i]!;
      failures += this.failures[i]!;
    }
    if (calls >= this.o.minRequests && failures / calls >= this.o.failureRatio) this.open();
  }

  /** Milliseconds until an open breaker lets a probe through (0 when not open). */
  retryAfterMs(): number {
    if (this.state !== 'open') return 0;
    return Math.max(0, this.openFor - (this.now() - this.openedAt));
  }

  private open(): void {
    this.openedAt = this.now();
    this.probes = 0;
    this.transition('open');
  }

  private reset(): void {
    this.calls.fill(0);
    this.failures.fill(0);
    this.consecutive = 0;
    this.probes = 0;
  }

  private transition(state: BreakerState): void {
    if (this.state === state) return;
    this.state = state;
    this.onChange(state);
  }

  private count(failed: boolean): void {
    const now = this.now();
    const width = this.o.windowMs / BUCKETS;
    let steps = Math.floor((now - this.bucketStart) / width);
    if (steps > 0) {
      if (steps > BUCKETS) steps = BUCKETS;
      for (let i = 0; i < steps; i++) {
        this.bucketIndex = (this.bucketIndex + 1) % BUCKETS;
        this.calls[this.bucketIndex] = 0;
        this.failures[this.bucketIndex] = 0;
      }
      this.bucketStart = now - ((now - this.bucketStart) % width);
    }
    this.calls[this.bucketIndex]!++;
    if (failed) this.failures[this.bucketIndex]!++;
  }
}
