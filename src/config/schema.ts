// The configuration file's schema. Keys are snake_case as in the YAML users
// write; `Config` is the validated, defaults-filled result the relay runs on.

import { z } from 'zod';
import { metricsSchema, pricingSchema } from './metrics-schema.js';
import {
  breakerSchema,
  healthCheckSchema,
  hedgingSchema,
  retrySchema,
  routeSchema,
} from './resilience-schema.js';
import { DEFAULT_TIMEOUTS, timeoutsSchema } from './timeouts-schema.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A byte size: a number of bytes, or a string such as `8mb`, `512kb`, `8MiB`. */
export const byteSize = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(value);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 8mb or 1048576, got "${value}"` });
    return z.NEVER;
  }
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('g')
    ? 1024 ** 3
    : unit.startsWith('m')
      ? 1024 ** 2
      : unit.startsWith('k')
        ? 1024
        : 1;
  return Math.round(Number(match[1]) * factor);
});

export const upstreamSchema = z.strictObject({
  name: z.string().regex(NAME, 'a name of letters, digits, "_", "-" or "." (at most 64)'),
  base_url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
  api_key: z.string().optional(),
  /** Models this upstream serves; omitted means any model. */
  models: z.array(z.string().min(1)).optional(),
  /** Extra headers sent upstream with every request (e.g. an OpenRouter `HTTP-Referer`). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Most connections open to this upstream at once: every open stream holds one. */
  max_connections: z.number().int().positive().default(2_048),
  timeouts: timeoutsSchema.default({}),
  /** This upstream's own name for a model the client asks for, e.g. `{ gpt-4.1: openai/gpt-4.1 }`. */
  aliases: z.record(z.string(), z.string().min(1)).default({}),
  /** Share of traffic under the `weighted` strategy. */
  weight: z.number().positive().default(1),
  health_check: healthCheckSchema.default(healthCheckSchema.parse({})),
});

export const configSchema = z.strictObject({
  /** host:port to listen on. */
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'host:port, e.g. 0.0.0.0:5000')
    .default('0.0.0.0:5000'),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
  server: z
    .strictObject({
      /** Largest request body accepted (413 above it). */
      body_limit: byteSize.default(8 * 1024 * 1024),
      /** On SIGTERM/SIGINT, how long in-flight requests and streams may run before the process exits. */
      shutdown_timeout_ms: z.number().int().nonnegative().default(30_000),
      /** Worker processes (node:cluster) sharing the port; `sheepdog start --workers N` overrides it. */
      workers: z.number().int().min(1).max(256).default(1),
    })
    .default({ body_limit: 8 * 1024 * 1024, shutdown_timeout_ms: 30_000, workers: 1 }),
  stream: z
    .strictObject({
      /** Largest single SSE event accepted from an upstream; a bigger one fails the stream. */
      max_event_bytes: byteSize.default(1024 * 1024),
    })
    .default({ max_event_bytes: 1024 * 1024 }),
  upstreams: z.array(upstreamSchema).default([]),
  /** Per-model routing; the key `"*"` applies to models without their own route. */
  routes: z.record(z.string(), routeSchema).default({}),
  retry: retrySchema.default(retrySchema.parse({})),
  breaker: breakerSchema.default(breakerSchema.parse({})),
  hedging: hedgingSchema.default(hedgingSchema.parse({})),
  metrics: metricsSchema.default(metricsSchema.parse({})),
  pricing: pricingSchema.default(pricingSchema.parse({})),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type { Timeouts } from './timeouts-schema.js';
export { DEFAULT_TIMEOUTS, timeoutsSchema };
