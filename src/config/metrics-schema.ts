// Configuration of the Prometheus metrics (`metrics:`) and of the price table
// their cost counters use (`pricing:`). See docs/metrics.md.

import { z } from 'zod';

export const metricsSchema = z.strictObject({
  /** Off: no /metrics, no subscriber, nothing observed (the benchmark compares both). */
  enabled: z.boolean().default(true),
  /** Prefix of every Sheepdog family; `holysheep` reproduces the seed article's names. */
  prefix: z
    .string()
    .regex(
      /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/,
      'a Prometheus name: letters, digits and "_", not starting with a digit',
    )
    .default('sheepdog'),
  /** `seed`: the seed's five families keep its exact label sets; `full`: every label. Default: `seed` for prefix holysheep, else `full`. */
  label_profile: z.enum(['seed', 'full']).optional(),
  /** Model names other than the configured ones that get their own `model` label value; the rest are `other`. */
  max_model_labels: z.number().int().min(0).max(10_000).default(50),
  /** Also serve /metrics on this host:port (e.g. an internal interface). */
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464')
    .optional(),
  /** When set, /metrics requires `Authorization: Bearer <token>` (401 otherwise); empty means none (`${TOKEN:-}`). */
  bearer_token: z
    .string()
    .optional()
    .transform((token) => (token === '' ? undefined : token)),
  /** prom-client's Node process and event-loop metrics (process_*, nodejs_*). */
  process_metrics: z.boolean().default(true),
  /** The OpenTelemetry GenAI semantic-convention histograms (gen_ai_*), opt-in. */
  opentelemetry_genai: z.boolean().default(false),
});

/** USD per 1M tokens, at most 6 decimals (the table is kept in integer micro-dollars). */
const usdPerMillion = z
  .number()
  .nonnegative()
  .max(1_000_000)
  .refine((v) => Math.abs(v * 1e6 - Math.round(v * 1e6)) < 1e-6, 'at most 6 decimals, e.g. 0.42');

/**
 * A model's price: `{ input, output, cached_input }` in USD per 1M tokens, or
 * one number for all three (how the seed article quotes prices).
 * `cached_input` defaults to `input`.
 */
export const priceSchema = z.union([
  usdPerMillion,
  z.strictObject({ input: usdPerMillion, output: usdPerMillion, cached_input: usdPerMillion.optional() }),
]);

export const pricingSchema = z.strictObject({
  /** Start from the built-in table (the seed's four models); entries below override it. */
  include_defaults: z.boolean().default(true),
  /** Price per model name (the client's name or the upstream's own, after aliasing). */
  models: z.record(z.string().min(1), priceSchema).default({}),
  /** Per-upstream prices, over `models`, for when providers charge differently for one model. */
  upstreams: z.record(z.string().min(1), z.record(z.string().min(1), priceSchema)).default({}),
});

export type MetricsConfig = z.output<typeof metricsSchema>;
export type PricingConfig = z.output<typeof pricingSchema>;
export type PriceInput = z.output<typeof priceSchema>;
