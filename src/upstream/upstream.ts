// One configured upstream provider: its keep-alive connection pool and the
// request headers it needs, built once at start so no request rebuilds them.

import { Pool } from 'undici';
import { DEFAULT_TIMEOUTS, type Timeouts, type UpstreamConfig } from '../config/schema.js';

export interface Upstream {
  readonly name: string;
  /** `scheme://host:port` of the base URL. */
  readonly origin: string;
  /** Path prefix of the base URL without a trailing slash, e.g. `/v1`. */
  readonly basePath: string;
  /** Models it serves; null means any. */
  readonly models: ReadonlySet<string> | null;
  /** This upstream's own names for client model names. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Share of traffic under the weighted strategy. */
  readonly weight: number;
  readonly timeouts: Timeouts;
  readonly pool: Pool;
  /**
   * Headers sent with every request, as a flat name/value list: content type,
   * the server-held key (replacing whatever the client sent) and extra headers.
   */
  readonly headers: readonly string[];
  /** The same without a body's content type, for GET requests (model list, health probes). */
  readonly getHeaders: readonly string[];
}

export function createUpstream(config: UpstreamConfig): Upstream {
  const url = new URL(config.base_url);
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...config.timeouts };
  const backstop = backstopTimeoutMs(timeouts);
  const common: string[] = [];
  for (const [name, value] of Object.entries(config.headers)) common.push(name.toLowerCase(), value);
  if (config.api_key) common.push('authorization', `Bearer ${config.api_key}`);
  const headers = [
    'content-type',
    'application/json',
    'accept',
    'application/json, text/event-stream',
    ...common,
  ];
  return {
    name: config.name,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    models: config.models ? new Set(config.models) : null,
    aliases: config.aliases,
    weight: config.weight,
    timeouts,
    headers,
    getHeaders: ['accept', 'application/json', ...common],
    pool: new Pool(url.origin, {
      connections: config.max_connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: timeouts.connect_ms },
      // Backstops (the attempt enforces the real deadlines); dispatches set the same value.
      headersTimeout: backstop,
      bodyTimeout: backstop,
    }),
  };
}

/** Closes every pool, waiting for in-flight requests up to the caller's own deadline. */
export async function closeUpstreams(upstreams: readonly Upstream[]): Promise<void> {
  await Promise.all(upstreams.map((u) => u.pool.close().catch(() => undefined)));
}

/** Forcefully ends every pool's connections (after a shutdown deadline). */
export async function destroyUpstreams(upstreams: readonly Upstream[]): Promise<void> {
  await Promise.all(upstreams.map((u) => u.pool.destroy().catch(() => undefined)));
}

/**
 * undici's header and body timeouts for an upstream: later than every
 * deadline the attempt enforces itself (first byte or token, idle), so they
 * only catch what escapes those, and one value for both phases (see
 * `ExchangeRequest.backstopTimeoutMs`).
 */
export function backstopTimeoutMs(t: Timeouts): number {
  return Math.max(t.first_byte_ms, t.first_token_ms, t.idle_ms) + 1_000;
}
