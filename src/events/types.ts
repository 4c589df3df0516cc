// The per-request event stream the relay core emits. Metrics, the ledger and
// logs subscribe to these; they never reach into the proxy. Every event carries
// the same RequestRecord, which the core fills in as the request progresses.

import type { UpstreamHeaders } from '../upstream/upstream-headers.js';

export type Endpoint = 'chat/completions' | 'completions' | 'embeddings';

/** Token counts for one request, in OpenAI's terms. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens served from the provider's cache (`prompt_tokens_details.cached_tokens`). */
  cachedPromptTokens: number;
  /** Completion tokens spent on hidden reasoning (`completion_tokens_details.reasoning_tokens`). */
  reasoningTokens: number;
}

/** `reported` by the upstream, or `estimated` by Sheepdog from streamed text when it never arrived. */
export type UsageSource = 'reported' | 'estimated';

/**
 * How a request ended, from the client's point of view.
 * - `success`: a 2xx answer delivered whole (a stream ended with `[DONE]`).
 * - `rejected`: Sheepdog refused it (validation, size, auth, unknown model).
 * - `upstream_error`: the upstream answered with an error status, passed through.
 * - `failed`: no usable answer (unreachable, reset, timeout, bad response, no upstream).
 * - `stream_cut`: a stream that started and then broke (cut, stalled, error event).
 * - `aborted`: the client went away first.
 */
export type Outcome = 'success' | 'rejected' | 'upstream_error' | 'failed' | 'stream_cut' | 'aborted';

/**
 * How one upstream attempt ended.
 * `completed` (any answer whose body arrived whole, including error statuses),
 * `connect_error`, `reset`, `timeout`, `stream_cut` (body broke after headers),
 * `aborted` (we or the client cancelled it).
 */
export type AttemptOutcome = 'completed' | 'connect_error' | 'reset' | 'timeout' | 'stream_cut' | 'aborted';

/** Mutable record of one client request; the core fills it in, subscribers only read it. */
export interface RequestRecord {
  readonly id: string;
  readonly endpoint: Endpoint;
  /** The model name the client sent: client-chosen, so never use it as a metric label unguarded. */
  readonly model: string;
  readonly stream: boolean;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  /** Wall-clock start, for logs and the ledger. */
  readonly startedAtEpochMs: number;
  /** Name of the upstream of the latest attempt (the one that answered, once finished). */
  upstream: string | undefined;
  /** The model name sent to that upstream (after aliasing). */
  upstreamModel: string | undefined;
  attempts: number;
  /** `performance.now()` of the first byte / first token from the upstream that answered. */
  firstByteAt: number | undefined;
  firstTokenAt: number | undefined;
  usage: Usage | undefined;
  usageSource: UsageSource | undefined;
  /** Status sent to the client (0 until headers are sent). */
  status: number;
  /** Time spent in Sheepdog itself, ms: request in to upstream out, plus the response path. */
  overheadMs: number;
}

/**
 * Why an attempt was started: `first`, a retry after the previous attempt's
 * failure (`connect_error`, `reset`, `timeout`, `status_5xx`, `status_429`,
 * `stream_cut`), or a `hedge` raced against a slow attempt still running.
 */
export type AttemptReason =
  | 'first'
  | 'connect_error'
  | 'reset'
  | 'timeout'
  | 'status_5xx'
  | 'status_429'
  | 'stream_cut'
  | 'hedge';

export interface AttemptInfo {
  readonly upstream: string;
  readonly upstreamModel: string;
  /** 1 for the first attempt of this request. */
  readonly number: number;
  readonly reason: AttemptReason;
  /** The previous attempt's upstream, when this attempt moved to another one (a failover). */
  readonly failoverFrom: string | undefined;
}

export interface AttemptResult extends AttemptInfo {
  readonly outcome: AttemptOutcome;
  /** Upstream HTTP status, when headers arrived. */
  readonly status: number | undefined;
  readonly durationMs: number;
  /** Stable code for failures (an undici code such as `UND_ERR_CONNECT_TIMEOUT`, or ours). */
  readonly errorCode: string | undefined;
  /** This attempt's answer is the one the client got (false for failed attempts and lost hedges). */
  readonly used: boolean;
}

/** Circuit breaker states, per upstream (or per upstream and model). */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface FinishInfo {
  readonly outcome: Outcome;
  readonly status: number;
  readonly durationMs: number;
  /** Our RelayErrorCode or the upstream's error code, when the request did not succeed. */
  readonly errorCode: string | undefined;
}

/** A subscriber implements any subset; each method is called synchronously, so keep it cheap. */
export interface RelayObserver {
  requestStarted?(req: RequestRecord): void;
  attemptStarted?(req: RequestRecord, attempt: AttemptInfo): void;
  /** Upstream response headers arrived (any status): rate-limit headers live here. */
  upstreamHeaders?(req: RequestRecord, attempt: AttemptInfo, status: number, headers: UpstreamHeaders): void;
  attemptFinished?(req: RequestRecord, result: AttemptResult): void;
  firstToken?(req: RequestRecord, ttftMs: number): void;
  usageKnown?(req: RequestRecord, usage: Usage, source: UsageSource): void;
  /** The client disconnected before the response ended; `requestFinished` follows. */
  aborted?(req: RequestRecord): void;
  requestFinished?(req: RequestRecord, info: FinishInfo): void;

  // Upstream-level events, not tied to one request.
  /** A circuit breaker changed state; `model` is undefined for an upstream-wide breaker. */
  breakerStateChanged?(upstream: string, model: string | undefined, state: BreakerState): void;
  /** An upstream became usable or unusable (breaker, active health check); emitted once per upstream at start too. */
  upstreamHealthChanged?(upstream: string, healthy: boolean, reason: string): void;
}
