// Public shapes of the upstream simulator. Other folders (tests, bench, CLI) depend on these exact names.

/** Options for `startSimulator`. Every field is optional; defaults are listed per field. */
export interface SimulatorOptions {
  /** Interface to bind. Default '127.0.0.1'. */
  host?: string;
  /** Port to bind. Default 0 (ephemeral; read `Simulator.port`). */
  port?: number;
  /** Default 42. Generated content is a pure function of (seed, prompt). */
  seed?: number;
  /** Fixed completion length in tokens (at least 1). Default: per prompt, deterministic in [12, 48]. */
  completionTokens?: number;
  /** Tokens (words) per SSE content chunk. Default 1. */
  tokensPerChunk?: number;
  /** Ids listed by GET /v1/models. Any model id is accepted on the other endpoints. */
  models?: string[];
  /** When set, model endpoints require `Authorization: Bearer <apiKey>` (401 otherwise). `/_sim/*` never does. */
  apiKey?: string;
  /** Fixed 60 s window; headers only unless `enforce` is true. */
  rateLimit?: RateLimitOptions;
  /** Faults active from the start (same as calling `setFaults` right after start). */
  faults?: Partial<Faults>;
}

export interface RateLimitOptions {
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** 'openai' (default): the six x-ratelimit-* headers; 'plain': x-ratelimit-limit/-remaining; 'none'. */
  headerStyle?: 'openai' | 'plain' | 'none';
  /** When true, a request that would exceed the window gets 429 + Retry-After. Default false (headers only). */
  enforce?: boolean;
}

/** Injected misbehaviour. A request uses the faults current when it arrived, for its whole lifetime. */
export interface Faults {
  /** Delay before response headers on every /v1 endpoint. */
  latency_ms: number;
  /** Streams: delay after headers before the first content chunk. */
  ttft_ms: number;
  /** Streams: delay between content chunks. */
  chunk_delay_ms: number;
  /** 0..1: request n errors iff floor((n+1)*rate) > floor(n*rate); n counts /v1 requests since the last fault change. */
  error_rate: number;
  /** Status of injected errors (400..599). 429 carries Retry-After. Default 500. */
  error_status: number;
  /** Retry-After for injected 429s, in seconds (header is rounded up; retry-after-ms is exact). Default 1. */
  retry_after_s: number;
  /** 0..1: fraction of requests whose socket is destroyed before any header; same spreading, own counter. */
  reset_rate: number;
  /** Streams: destroy the socket after this many content chunks, without finish chunk or [DONE]. 0 = off. */
  cut_stream_after: number;
  /** Streams: pause this long once, before content chunk number `stall_after`. 0 = off. */
  stall_ms: number;
  /** Streams: where the stall happens, in content chunks. 0 = half the chunks (rounded down). */
  stall_after: number;
}

export interface UsageTotals {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface SimulatorStats {
  /** Requests to /v1 paths (and their un-prefixed aliases), including 4xx; `/_sim/*` is not counted. */
  requests_total: number;
  in_flight: number;
  /** Responses that ended normally, whatever their status. */
  completed: number;
  /** The caller closed the connection before the response ended. */
  aborted: number;
  errors_injected: number;
  resets_injected: number;
  cuts_injected: number;
  /** Keyed by canonical path (`/v1/...`); unknown paths by their raw pathname. */
  by_path: Record<string, number>;
  /** Sum of every `usage` object actually written (JSON bodies and stream usage chunks). */
  usage_reported: UsageTotals;
}

export interface RecordedRequest {
  method: string;
  /** The request target as received (path and query). */
  path: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it did not parse, or undefined when there was no body. */
  body: unknown;
  /** Arrival time, epoch milliseconds. */
  at: number;
}

export interface Simulator {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1 */
  url: string;
  port: number;
  /** Merges into the current faults (validated; throws on bad values) and restarts the fault counters. */
  setFaults(f: Partial<Faults>): void;
  clearFaults(): void;
  faults(): Faults;
  stats(): SimulatorStats;
  resetStats(): void;
  /** The last 100 /v1 requests, oldest first. */
  requests(): RecordedRequest[];
  /** Stops listening and destroys open sockets; resolves when closed. */
  close(): Promise<void>;
}
