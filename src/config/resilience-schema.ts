// Configuration of routing and failure handling: routes per model, retries,
// circuit breakers, hedging and active health checks. Defaults are chosen so
// the seed's incident (a provider going from 0.8 s to 12 s) is routed around
// within seconds when a second upstream exists.

import { z } from 'zod';
import { timeoutsSchema } from './timeouts-schema.js';

export const STRATEGIES = ['priority', 'weighted', 'least-latency', 'least-busy'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const routeSchema = z.strictObject({
  /** Upstream names that may serve this model, in priority order (default: every upstream serving it, in config order). */
  upstreams: z.array(z.string().min(1)).min(1).optional(),
  strategy: z.enum(STRATEGIES).default('priority'),
  /** Timeouts for this model, over each upstream's own. */
  timeouts: timeoutsSchema.default({}),
});

export const retrySchema = z.strictObject({
  /** Most attempts per request, the first included. */
  max_attempts: z.number().int().min(1).max(10).default(3),
  /** Full-jitter exponential backoff before retrying the same upstream (another upstream is tried at once). */
  backoff_base_ms: z.number().int().nonnegative().default(100),
  backoff_max_ms: z.number().int().nonnegative().default(2_000),
  /** A 429's Retry-After is honoured up to this; longer waits go to another upstream or back to the client. */
  retry_after_max_ms: z.number().int().nonnegative().default(5_000),
  /** Retries (and hedges) allowed per first attempt: 0.2 = at most 20% extra upstream load. */
  budget_ratio: z.number().min(0).max(1).default(0.2),
  /** Retries always allowed per second, so a quiet or just-started relay can still retry (Finagle's default). */
  budget_min_per_second: z.number().int().nonnegative().default(10),
});

export const breakerSchema = z.strictObject({
  consecutive_failures: z.number().int().min(1).default(5),
  failure_ratio: z.number().gt(0).max(1).default(0.5),
  window_ms: z.number().int().positive().default(10_000),
  min_requests: z.number().int().min(1).default(10),
  open_ms: z.number().int().positive().default(5_000),
  open_max_ms: z.number().int().positive().default(60_000),
  half_open_probes: z.number().int().min(1).default(1),
  /**
   * A call whose first byte (first token for streams) takes longer than this
   * counts as a failure ("latency over the SLO"). `auto`: 1.5 x the upstream's
   * recent p95 for that model, at least `min_slow_ms`.
   */
  slow_ms: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
  min_slow_ms: z.number().int().positive().default(1_000),
  /**
   * When no other upstream could take the request, an attempt counts as slow
   * only past this (and the slow threshold): one provider that is briefly slow
   * keeps serving, one that is 12 s late gets its circuit opened and clients
   * get fast, clear errors.
   */
  lone_slow_ms: z.number().int().positive().default(5_000),
  /** The slow threshold until enough samples exist for `auto`. */
  initial_slow_ms: z.number().int().positive().default(2_500),
});

export const hedgingSchema = z.strictObject({
  /**
   * When an attempt is still without its first byte/token past the slow
   * threshold and another healthy upstream can serve the model, race a second
   * attempt there; the first answer wins and the other is cancelled. Costs at
   * most the retry budget in extra calls, and in steady state only the slowest
   * few percent of requests are hedged.
   */
  enabled: z.boolean().default(true),
  /** Fixed delay before hedging instead of the breaker's slow threshold. */
  delay_ms: z.number().int().positive().optional(),
});

export const healthCheckSchema = z.strictObject({
  /** Active check interval; 0 turns active checks off (passive health from real traffic stays on). */
  interval_ms: z.number().int().nonnegative().default(0),
  path: z.string().startsWith('/').default('/models'),
  timeout_ms: z.number().int().positive().default(2_000),
});

export type RouteConfig = z.output<typeof routeSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type BreakerConfig = z.output<typeof breakerSchema>;
export type HedgingConfig = z.output<typeof hedgingSchema>;
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
