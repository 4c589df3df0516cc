// Every metric family Sheepdog exports, as plain data: name (without prefix),
// type, help, unit, labels per label profile, buckets, known label values and
// how workers are merged. The relay instantiates these; the ops kit (alert
// rules, dashboards) is generated from the same records, so a rename cannot
// leave an alert querying nothing. docs/metrics.md documents each one.

import type { Registry } from 'prom-client';
import {
  type Aggregation,
  type AnyFamily,
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  UsdCounterFamily,
} from './instruments.js';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * `seed`: the five families of the seed article keep its exact label sets
 * (`holysheep_requests_total{endpoint,model,status_code}`, ...), so its alert
 * rules and dashboards work unchanged. `full`: every family has its full labels.
 * Families other than those five are the same in both profiles.
 */
export type LabelProfile = 'seed' | 'full';

/** `core` is always on; `resilience` too (its series appear once issue-5 events arrive); `genai` is opt-in. */
export type FamilyGroup = 'core' | 'resilience' | 'genai';

export interface MetricFamilyDef {
  /** Stable identifier used in code and by the ops-kit generator. */
  readonly key: string;
  /** Name without the prefix (or the full name when `prefixed` is false). */
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  /** Unit of the value, for dashboards: `seconds`, `tokens`, `usd`, `requests`, ... */
  readonly unit: string;
  /** Label names in the `full` profile. */
  readonly labels: readonly string[];
  /** Label names in the `seed` profile, when they differ. */
  readonly seedLabels?: readonly string[];
  /** Profiles this family exists in (default: both). */
  readonly profiles?: readonly LabelProfile[];
  readonly buckets?: readonly number[];
  /** Values a label can take, when the set is fixed (documentation and rule generation). */
  readonly labelValues?: Readonly<Record<string, readonly string[]>>;
  /** How the family is merged across worker processes. */
  readonly aggregation: Aggregation;
  readonly group: FamilyGroup;
  /** False for standard names (OpenTelemetry GenAI) that never take the prefix. */
  readonly prefixed: boolean;
}

/** 5 ms to 120 s; includes the seed's 0.1, 0.25, 0.5, 1, 2.5, 5, 10. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
] as const;
export const TTFT_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 5, 7.5, 10, 15, 30, 60,
] as const;
export const TPOT_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5,
] as const;
/** 100 µs to 250 ms: the relay's own time is small, so the resolution is at the low end. */
export const OVERHEAD_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
] as const;

// OpenTelemetry GenAI semantic conventions (semantic-conventions-genai, docs/gen-ai/gen-ai-metrics.md).
export const GENAI_TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;
export const GENAI_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
export const GENAI_TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
] as const;
export const GENAI_TPOT_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
] as const;

export const ENDPOINTS = ['chat/completions', 'completions', 'embeddings'] as const;
export const OUTCOMES = ['success', 'rejected', 'upstream_error', 'failed', 'stream_cut', 'aborted'] as const;
export const ATTEMPT_OUTCOMES = [
  'completed',
  'connect_error',
  'reset',
  'timeout',
  'stream_cut',
  'aborted',
] as const;
export const ATTEMPT_REASONS = [
  'first',
  'connect_error',
  'reset',
  'timeout',
  'status_5xx',
  'status_429',
  'stream_cut',
  'hedge',
] as const;
export const TOKEN_TYPES = ['prompt', 'completion', 'total', 'cached_prompt', 'reasoning'] as const;
export const RATE_LIMITS = ['requests', 'tokens'] as const;
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;

/** Label value for a model name past the cardinality guard. */
export const OTHER = 'other';
/** Label value for "no upstream was involved" (rejected before routing). */
export const NO_UPSTREAM = 'none';

const GENAI_COMMON = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'] as const;
const GENAI_SERVER = ['server_address', 'server_port'] as const;

export const FAMILIES: readonly MetricFamilyDef[] = [
  {
    key: 'requests',
    name: 'requests_total',
    kind: 'counter',
    unit: 'requests',
    help: 'Client requests by final status: one per request, counted when it ends. A stream cut after it began has status_code 200 (what the client got) and outcome stream_cut.',
    labels: ['endpoint', 'model', 'status_code', 'upstream', 'outcome'],
    seedLabels: ['endpoint', 'model', 'status_code'],
    labelValues: { endpoint: ENDPOINTS, outcome: OUTCOMES },
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'requestDuration',
    name: 'request_duration_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'Time from request arrival to the end of the response (the last byte of a stream), as the client sees it.',
    labels: ['endpoint', 'model', 'upstream'],
    seedLabels: ['endpoint', 'model'],
    buckets: DURATION_BUCKETS,
    labelValues: { endpoint: ENDPOINTS },
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'ttft',
    name: 'time_to_first_token_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'Streams: time from request arrival to the first generated token relayed to the client.',
    labels: ['model', 'upstream'],
    buckets: TTFT_BUCKETS,
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'tpot',
    name: 'time_per_output_token_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'Streams that completed: (end - first token) / (completion tokens - 1), the decode speed clients see.',
    labels: ['model', 'upstream'],
    buckets: TPOT_BUCKETS,
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'overhead',
    name: 'relay_overhead_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: "Time spent in Sheepdog itself per request that reached an upstream: request in to upstream out, plus relaying the answer. Excludes the upstream's own time.",
    labels: ['endpoint'],
    buckets: OVERHEAD_BUCKETS,
    labelValues: { endpoint: ENDPOINTS },
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'tokens',
    name: 'tokens_total',
    kind: 'counter',
    unit: 'tokens',
    help: 'Tokens the upstream reported in its usage (never estimated ones). cached_prompt is part of prompt and reasoning part of completion; both appear only when reported.',
    labels: ['model', 'token_type', 'upstream'],
    seedLabels: ['model', 'token_type'],
    labelValues: { token_type: TOKEN_TYPES },
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'estimatedTokens',
    name: 'estimated_tokens_total',
    kind: 'counter',
    unit: 'tokens',
    help: 'Tokens estimated by Sheepdog with a tokenizer because the upstream never reported usage (cut or aborted streams, providers without usage). Kept apart from tokens_total.',
    labels: ['model', 'token_type', 'upstream'],
    labelValues: { token_type: ['prompt', 'completion', 'total'] },
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'cost',
    name: 'cost_usd_total',
    kind: 'counter',
    unit: 'usd',
    help: 'Cost in USD of reported usage, from the price table (USD per 1M input, output and cached-input tokens).',
    labels: ['model', 'upstream'],
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'estimatedCost',
    name: 'estimated_cost_usd_total',
    kind: 'counter',
    unit: 'usd',
    help: 'Cost in USD of estimated usage (see estimated_tokens_total). Add it to cost_usd_total for a budget.',
    labels: ['model', 'upstream'],
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'unpricedTokens',
    name: 'unpriced_tokens_total',
    kind: 'counter',
    unit: 'tokens',
    help: 'Tokens (reported or estimated, total) of models missing from the price table: their cost is not counted anywhere.',
    labels: ['model', 'upstream'],
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'active',
    name: 'active_requests',
    kind: 'gauge',
    unit: 'requests',
    help: 'Client requests being processed now.',
    labels: ['model'],
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'rateLimitRemaining',
    name: 'rate_limit_remaining',
    kind: 'gauge',
    unit: 'requests or tokens',
    help: 'Remaining upstream quota from the last x-ratelimit-remaining-* header seen (plain x-ratelimit-remaining counts as requests). Exported only once its header has been seen. Seed profile: requests only.',
    labels: ['upstream', 'model', 'limit'],
    seedLabels: ['model'],
    labelValues: { limit: RATE_LIMITS },
    aggregation: 'latest',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'rateLimitRemainingTokens',
    name: 'rate_limit_remaining_tokens',
    kind: 'gauge',
    unit: 'tokens',
    help: 'Seed profile only (where rate_limit_remaining has no limit label): remaining upstream token quota from x-ratelimit-remaining-tokens.',
    labels: ['upstream', 'model'],
    profiles: ['seed'],
    aggregation: 'latest',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'rateLimitLimit',
    name: 'rate_limit_limit',
    kind: 'gauge',
    unit: 'requests or tokens',
    help: 'Upstream quota per window from the last x-ratelimit-limit-* header seen (plain x-ratelimit-limit counts as requests).',
    labels: ['upstream', 'model', 'limit'],
    labelValues: { limit: RATE_LIMITS },
    aggregation: 'latest',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'rateLimitReset',
    name: 'rate_limit_reset_timestamp_seconds',
    kind: 'gauge',
    unit: 'unix seconds',
    help: 'When the upstream quota window resets (Unix time), from the last x-ratelimit-reset-* header seen; subtract time() for the seconds left.',
    labels: ['upstream', 'model', 'limit'],
    labelValues: { limit: RATE_LIMITS },
    aggregation: 'latest',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'upstreamRequests',
    name: 'upstream_requests_total',
    kind: 'counter',
    unit: 'requests',
    help: 'Upstream attempts by how they ended: completed (a whole answer, any status), connect_error, reset, timeout, stream_cut (cut by the upstream), aborted (cancelled, e.g. the client went away). status_code is "none" when no headers arrived.',
    labels: ['upstream', 'model', 'outcome', 'status_code'],
    labelValues: { outcome: ATTEMPT_OUTCOMES },
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'upstreamUp',
    name: 'upstream_up',
    kind: 'gauge',
    unit: 'boolean',
    help: 'Whether the upstream is usable (1) or not (0): starts at 1, follows breakers and health checks. With several workers, the share of workers that consider it usable.',
    labels: ['upstream'],
    aggregation: 'average',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'buildInfo',
    name: 'build_info',
    kind: 'gauge',
    unit: '',
    help: 'Always 1; the version label says which Sheepdog is running.',
    labels: ['version'],
    aggregation: 'first',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'workers',
    name: 'worker_processes',
    kind: 'gauge',
    unit: 'processes',
    help: 'Worker processes whose metrics are in this scrape (1 without --workers).',
    labels: [],
    aggregation: 'sum',
    group: 'core',
    prefixed: true,
  },
  {
    key: 'attempts',
    name: 'upstream_attempts_total',
    kind: 'counter',
    unit: 'attempts',
    help: 'Upstream attempts started, by why: first, a retry after the previous failure (connect_error, reset, timeout, status_5xx, status_429, stream_cut), or hedge.',
    labels: ['upstream', 'model', 'reason'],
    labelValues: { reason: ATTEMPT_REASONS },
    aggregation: 'sum',
    group: 'resilience',
    prefixed: true,
  },
  {
    key: 'failovers',
    name: 'failovers_total',
    kind: 'counter',
    unit: 'attempts',
    help: 'Attempts that moved a request from one upstream to another.',
    labels: ['from_upstream', 'to_upstream'],
    aggregation: 'sum',
    group: 'resilience',
    prefixed: true,
  },
  {
    key: 'breakerState',
    name: 'circuit_breaker_state',
    kind: 'gauge',
    unit: 'boolean',
    help: 'Circuit breaker state, one series per state with 1 for the current one; model is empty for an upstream-wide breaker. With several workers, the number of workers in each state.',
    labels: ['upstream', 'model', 'state'],
    labelValues: { state: BREAKER_STATES },
    aggregation: 'sum',
    group: 'resilience',
    prefixed: true,
  },
  {
    key: 'hedges',
    name: 'hedges_total',
    kind: 'counter',
    unit: 'attempts',
    help: 'Hedged attempts by result: won (its answer was used) or lost (cancelled or failed).',
    labels: ['upstream', 'model', 'result'],
    labelValues: { result: ['won', 'lost'] },
    aggregation: 'sum',
    group: 'resilience',
    prefixed: true,
  },
  {
    key: 'genaiTokenUsage',
    name: 'gen_ai_client_token_usage',
    kind: 'histogram',
    unit: 'tokens',
    help: 'OpenTelemetry gen_ai.client.token.usage: input and output tokens per upstream call, as reported.',
    labels: [...GENAI_COMMON, 'gen_ai_token_type', ...GENAI_SERVER],
    buckets: GENAI_TOKEN_BUCKETS,
    labelValues: { gen_ai_token_type: ['input', 'output'] },
    aggregation: 'sum',
    group: 'genai',
    prefixed: false,
  },
  {
    key: 'genaiClientDuration',
    name: 'gen_ai_client_operation_duration_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'OpenTelemetry gen_ai.client.operation.duration: duration of each upstream call (attempt); error_type set when it failed.',
    labels: [...GENAI_COMMON, ...GENAI_SERVER, 'error_type'],
    buckets: GENAI_DURATION_BUCKETS,
    aggregation: 'sum',
    group: 'genai',
    prefixed: false,
  },
  {
    key: 'genaiClientTtfc',
    name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'OpenTelemetry gen_ai.client.operation.time_to_first_chunk: streams only, request arrival to the first content chunk.',
    labels: [...GENAI_COMMON, ...GENAI_SERVER],
    buckets: GENAI_DURATION_BUCKETS,
    aggregation: 'sum',
    group: 'genai',
    prefixed: false,
  },
  {
    key: 'genaiServerDuration',
    name: 'gen_ai_server_request_duration_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'OpenTelemetry gen_ai.server.request.duration: client request duration as served by Sheepdog; error_type set when it failed.',
    labels: [...GENAI_COMMON, 'error_type'],
    buckets: GENAI_DURATION_BUCKETS,
    aggregation: 'sum',
    group: 'genai',
    prefixed: false,
  },
  {
    key: 'genaiServerTtft',
    name: 'gen_ai_server_time_to_first_token_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'OpenTelemetry gen_ai.server.time_to_first_token: streams, time to the first token served.',
    labels: [...GENAI_COMMON],
    buckets: GENAI_TTFT_BUCKETS,
    aggregation: 'sum',
    group: 'genai',
    prefixed: false,
  },
  {
    key: 'genaiServerTpot',
    name: 'gen_ai_server_time_per_output_token_seconds',
    kind: 'histogram',
    unit: 'seconds',
    help: 'OpenTelemetry gen_ai.server.time_per_output_token: streams that completed, time per token after the first.',
    labels: [...GENAI_COMMON],
    buckets: GENAI_TPOT_BUCKETS,
    aggregation: 'sum',
    group: 'genai',
    prefixed: false,
  },
];

export interface NamingOptions {
  readonly prefix: string;
  readonly profile: LabelProfile;
  /** Include the opt-in OpenTelemetry GenAI families. */
  readonly genai: boolean;
}

/** A family as exported under given options: its full name and label names. */
export interface ResolvedFamily {
  readonly def: MetricFamilyDef;
  readonly name: string;
  readonly labels: readonly string[];
}

/** The label profile a prefix implies when none is configured: `seed` for the seed's own prefix. */
export function defaultLabelProfile(prefix: string): LabelProfile {
  return prefix === 'holysheep' ? 'seed' : 'full';
}

export function familyName(def: MetricFamilyDef, prefix: string): string {
  return def.prefixed ? `${prefix}_${def.name}` : def.name;
}

export function familyLabels(def: MetricFamilyDef, profile: LabelProfile): readonly string[] {
  return profile === 'seed' && def.seedLabels ? def.seedLabels : def.labels;
}

/** Every family exported under `options`, in definition order. */
export function resolveFamilies(options: NamingOptions): ResolvedFamily[] {
  return FAMILIES.filter(
    (def) =>
      (def.group !== 'genai' || options.genai) && (!def.profiles || def.profiles.includes(options.profile)),
  ).map((def) => ({
    def,
    name: familyName(def, options.prefix),
    labels: familyLabels(def, options.profile),
  }));
}

/** The instantiated families, looked up by key with their type checked once. */
export class FamilySet {
  constructor(private readonly byKey: ReadonlyMap<string, AnyFamily>) {}

  has(key: string): boolean {
    return this.byKey.has(key);
  }
  counter(key: string): CounterFamily {
    return this.typed(key, CounterFamily);
  }
  usd(key: string): UsdCounterFamily {
    return this.typed(key, UsdCounterFamily);
  }
  gauge(key: string): GaugeFamily {
    return this.typed(key, GaugeFamily);
  }
  histogram(key: string): HistogramFamily {
    return this.typed(key, HistogramFamily);
  }
  all(): AnyFamily[] {
    return [...this.byKey.values()];
  }

  private typed<T extends AnyFamily>(key: string, type: abstract new (...args: never[]) => T): T {
    const family = this.byKey.get(key);
    if (!(family instanceof type))
      throw new Error(`metric family "${key}" is not exported or not a ${type.name}`);
    return family;
  }
}

/** Creates every family exported under `options` and registers it in `registry`. */
export function instantiateFamilies(registry: Registry, options: NamingOptions): FamilySet {
  const byKey = new Map<string, AnyFamily>();
  for (const { def, name, labels } of resolveFamilies(options)) {
    const base = { name, help: def.help, labelNames: labels, aggregator: def.aggregation };
    let family: AnyFamily;
    if (def.kind === 'histogram') family = new HistogramFamily({ ...base, buckets: def.buckets ?? [] });
    else if (def.kind === 'gauge') family = new GaugeFamily(base);
    else family = def.unit === 'usd' ? new UsdCounterFamily(base) : new CounterFamily(base);
    byKey.set(def.key, family.registerIn(registry));
  }
  return new FamilySet(byKey);
}
