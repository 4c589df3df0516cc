// Upstream timeouts: set per upstream, overridable per model (routes).

import { z } from 'zod';

const positiveMs = z.number().int().positive();

/**
 * Upstream timeouts, ms. Defaults are chosen so a provider that slows from
 * 0.8 s to 12 s (the seed's incident) is cut off and failed over, while a long
 * legitimate generation still completes: streams must show a first token
 * quickly, non-stream answers get longer for the whole body.
 */
export const timeoutsSchema = z.strictObject({
  connect_ms: positiveMs.optional(),
  first_byte_ms: positiveMs.optional(),
  first_token_ms: positiveMs.optional(),
  idle_ms: positiveMs.optional(),
  total_ms: positiveMs.optional(),
});

export const DEFAULT_TIMEOUTS = {
  connect_ms: 3_000,
  first_byte_ms: 60_000,
  first_token_ms: 10_000,
  idle_ms: 30_000,
  total_ms: 600_000,
} as const;

export type Timeouts = { [K in keyof typeof DEFAULT_TIMEOUTS]: number };
