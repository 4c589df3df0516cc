// Fault settings and the deterministic decision of which request gets which fault.
import { z } from 'zod';
import type { Faults } from './types.js';

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  latency_ms: 0,
  ttft_ms: 0,
  chunk_delay_ms: 0,
  error_rate: 0,
  error_status: 500,
  retry_after_s: 1,
  reset_rate: 0,
  cut_stream_after: 0,
  stall_ms: 0,
  stall_after: 0,
});

const durationMs = z.number().min(0).max(3_600_000);
const rate = z.number().min(0).max(1);
const count = z.number().int().min(0);

/** Strict so that a typo (`error_rat`) is a 400, not a silently ignored fault. */
export const faultsPatchSchema = z
  .strictObject({
    latency_ms: durationMs,
    ttft_ms: durationMs,
    chunk_delay_ms: durationMs,
    error_rate: rate,
    error_status: z.number().int().min(400).max(599),
    retry_after_s: z.number().min(0).max(3600),
    reset_rate: rate,
    cut_stream_after: count,
    stall_ms: durationMs,
    stall_after: count,
  })
  .partial();

/** What happens to one request, decided on arrival. */
export interface FaultFate {
  faults: Faults;
  reset: boolean;
  error: boolean;
}

// Guards against 0.29 * 100 = 28.999999999999996 dropping an error at an exact multiple.
const EPSILON = 1e-9;

function hitsEvenly(n: number, fraction: number): boolean {
  if (fraction <= 0) return false;
  return Math.floor((n + 1) * fraction + EPSILON) > Math.floor(n * fraction + EPSILON);
}

/** Current faults plus the two request counters that spread errors and resets evenly. */
export class FaultState {
  private current: Faults = { ...DEFAULT_FAULTS };
  private errorCounter = 0;
  private resetCounter = 0;

  get(): Faults {
    return { ...this.current };
  }

  /** Validates and merges; throws a ZodError on unknown keys or bad values. */
  merge(patch: unknown): void {
    const parsed = faultsPatchSchema.parse(patch);
    this.replace({ ...this.current, ...parsed });
  }

  clear(): void {
    this.replace({ ...DEFAULT_FAULTS });
  }

  /** Consumes one slot of each counter, so "request n" means the n-th /v1 request since the last change. */
  next(): FaultFate {
    const faults = this.current;
    const reset = hitsEvenly(this.resetCounter++, faults.reset_rate);
    const error = hitsEvenly(this.errorCounter++, faults.error_rate);
    return { faults, reset, error: error && !reset };
  }

  private replace(next: Faults): void {
    // A new object per change: in-flight requests keep the snapshot they started with.
    this.current = next;
    this.errorCounter = 0;
    this.resetCounter = 0;
  }
}
