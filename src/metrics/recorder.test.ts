// The metrics subscriber fed events directly on a hub, as the proxy (and, for
// retries, failover, breakers and hedging, issue 5's code) emits them.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { EventHub } from '../events/hub.js';
import type { AttemptInfo, Endpoint, RequestRecord, Usage } from '../events/types.js';
import { UpstreamHeaders } from '../upstream/upstream-headers.js';
import { parseExposition, type Sample, sampleValue, select } from './exposition.js';
import { createMetrics, type Metrics } from './index.js';

function setup(config: ConfigInput = {}): { hub: EventHub; metrics: Metrics; scrape(): Promise<Sample[]> } {
  const parsed = parseConfig(
    {
      upstreams: [
        { name: 'primary', base_url: 'http://127.0.0.1:1/v1', models: ['gpt-4.1'] },
        { name: 'backup', base_url: 'http://127.0.0.1:2/v1' },
      ],
      ...config,
      metrics: { process_metrics: false, ...config.metrics },
    },
    'test',
  );
  const metrics = createMetrics(parsed)!;
  const hub = new EventHub();
  hub.onSubscriberError = (err) => {
    throw err;
  };
  for (const o of metrics.observers) hub.subscribe(o);
  return { hub, metrics, scrape: async () => parseExposition(await metrics.scrape()) };
}

let ids = 0;
function record(
  model: string,
  options: { endpoint?: Endpoint; stream?: boolean; upstream?: string } = {},
): RequestRecord {
  return {
    id: String(++ids),
    endpoint: options.endpoint ?? 'chat/completions',
    model,
    stream: options.stream ?? false,
    startedAt: 1_000,
    startedAtEpochMs: Date.now(),
    upstream: options.upstream ?? 'primary',
    upstreamModel: model,
    attempts: 1,
    firstByteAt: undefined,
    firstTokenAt: undefined,
    usage: undefined,
    usageSource: undefined,
    status: 0,
    overheadMs: 2,
  };
}

const attempt = (upstream: string, reason: AttemptInfo['reason'], failoverFrom?: string): AttemptInfo => ({
  upstream,
  upstreamModel: 'gpt-4.1',
  number: 1,
  reason,
  failoverFrom,
});

const usage = (prompt: number, completion: number, extra: Partial<Usage> = {}): Usage => ({
  promptTokens: prompt,
  completionTokens: completion,
  totalTokens: prompt + completion,
  cachedPromptTokens: 0,
  reasoningTokens: 0,
  ...extra,
});

describe('resilience metrics', () => {
  it('counts attempts by reason, failovers from/to, hedges won/lost', async () => {
    const { hub, scrape } = setup();
    const req = record('gpt-4.1');
    hub.attemptStarted(req, attempt('primary', 'first'));
    hub.attemptStarted(req, attempt('backup', 'status_5xx', 'primary'));
    hub.attemptStarted(req, attempt('backup', 'timeout', 'backup'));
    hub.attemptStarted(req, attempt('primary', 'hedge', 'backup'));
    const end = { outcome: 'completed' as const, status: 200, durationMs: 5, errorCode: undefined };
    hub.attemptFinished(req, { ...attempt('primary', 'hedge'), ...end, used: true });
    hub.attemptFinished(req, {
      ...attempt('backup', 'hedge'),
      ...end,
      outcome: 'aborted',
      status: undefined,
      used: false,
    });
    const s = await scrape();
    const attempts = (labels: Record<string, string>) =>
      sampleValue(s, 'sheepdog_upstream_attempts_total', { model: 'gpt-4.1', ...labels });
    expect(attempts({ upstream: 'primary', reason: 'first' })).toBe(1);
    expect(attempts({ upstream: 'backup', reason: 'status_5xx' })).toBe(1);
    expect(attempts({ upstream: 'backup', reason: 'timeout' })).toBe(1);
    expect(attempts({ upstream: 'primary', reason: 'hedge' })).toBe(1);
    // A retry on the same upstream is not a failover.
    expect(select(s, 'sheepdog_failovers_total').map((x) => [x.labels, x.value])).toEqual([
      [{ from_upstream: 'primary', to_upstream: 'backup' }, 1],
      [{ from_upstream: 'backup', to_upstream: 'primary' }, 1],
    ]);
    expect(
      sampleValue(s, 'sheepdog_hedges_total', { upstream: 'primary', model: 'gpt-4.1', result: 'won' }),
    ).toBe(1);
    expect(
      sampleValue(s, 'sheepdog_hedges_total', { upstream: 'backup', model: 'gpt-4.1', result: 'lost' }),
    ).toBe(1);
    expect(
      sampleValue(s, 'sheepdog_upstream_requests_total', {
        upstream: 'backup',
        model: 'gpt-4.1',
        outcome: 'aborted',
        status_code: 'none',
      }),
    ).toBe(1);
  });

  it('shows one breaker state at a time, and upstream_up starts at 1 and follows health', async () => {
    const { hub, scrape } = setup();
    let s = await scrape();
    expect(select(s, 'sheepdog_upstream_up').map((x) => [x.labels.upstream, x.value])).toEqual([
      ['primary', 1],
      ['backup', 1],
    ]);
    expect(select(s, 'sheepdog_circuit_breaker_state')).toEqual([]);
    hub.breakerStateChanged('primary', 'gpt-4.1', 'open');
    hub.upstreamHealthChanged('primary', false, 'breaker_open');
    hub.breakerStateChanged('backup', undefined, 'half_open');
    s = await scrape();
    const state = (upstream: string, model: string) =>
      Object.fromEntries(
        select(s, 'sheepdog_circuit_breaker_state', { upstream, model }).map((x) => [
          x.labels.state,
          x.value,
        ]),
      );
    expect(state('primary', 'gpt-4.1')).toEqual({ closed: 0, open: 1, half_open: 0 });
    expect(state('backup', '')).toEqual({ closed: 0, open: 0, half_open: 1 });
    expect(sampleValue(s, 'sheepdog_upstream_up', { upstream: 'primary' })).toBe(0);
    hub.breakerStateChanged('primary', 'gpt-4.1', 'closed');
    hub.upstreamHealthChanged('primary', true, 'breaker_closed');
    s = await scrape();
    expect(state('primary', 'gpt-4.1')).toEqual({ closed: 1, open: 0, half_open: 0 });
    expect(sampleValue(s, 'sheepdog_upstream_up', { upstream: 'primary' })).toBe(1);
  });
});

describe('token and cost accounting', () => {
  it('counts reported usage in tokens_total and cost, estimated usage apart, unpriced models visibly', async () => {
    const { hub, scrape } = setup({
      pricing: { models: { 'gpt-4.1': { input: 2, output: 8, cached_input: 0.5 } } },
    });
    const a = record('gpt-4.1');
    hub.usageKnown(a, usage(1_200, 50, { cachedPromptTokens: 200, reasoningTokens: 30 }), 'reported');
    const b = record('gpt-4.1', { upstream: 'backup' });
    hub.usageKnown(b, usage(100, 40), 'estimated');
    const c = record('mystery-model', { upstream: 'backup' });
    hub.usageKnown(c, usage(10, 5), 'reported');
    const s = await scrape();
    const tokens = (labels: Record<string, string>) => sampleValue(s, 'sheepdog_tokens_total', labels);
    expect(tokens({ model: 'gpt-4.1', upstream: 'primary', token_type: 'prompt' })).toBe(1_200);
    expect(tokens({ model: 'gpt-4.1', upstream: 'primary', token_type: 'completion' })).toBe(50);
    expect(tokens({ model: 'gpt-4.1', upstream: 'primary', token_type: 'total' })).toBe(1_250);
    expect(tokens({ model: 'gpt-4.1', upstream: 'primary', token_type: 'cached_prompt' })).toBe(200);
    expect(tokens({ model: 'gpt-4.1', upstream: 'primary', token_type: 'reasoning' })).toBe(30);
    // Zero cached/reasoning tokens make no series; estimated ones never reach tokens_total.
    expect(select(s, 'sheepdog_tokens_total', { model: 'mystery-model' })).toHaveLength(3);
    expect(select(s, 'sheepdog_tokens_total', { upstream: 'backup', model: 'gpt-4.1' })).toEqual([]);
    expect(
      sampleValue(s, 'sheepdog_estimated_tokens_total', {
        model: 'gpt-4.1',
        upstream: 'backup',
        token_type: 'completion',
      }),
    ).toBe(40);
    // 1000 x $2 + 200 x $0.5 + 50 x $8 per 1M = $0.0025; estimated: 100 x $2 + 40 x $8 per 1M = $0.00052
    expect(sampleValue(s, 'sheepdog_cost_usd_total', { model: 'gpt-4.1', upstream: 'primary' })).toBe(0.0025);
    expect(
      sampleValue(s, 'sheepdog_estimated_cost_usd_total', { model: 'gpt-4.1', upstream: 'backup' }),
    ).toBe(0.00052);
    expect(select(s, 'sheepdog_cost_usd_total')).toHaveLength(1);
    expect(
      sampleValue(s, 'sheepdog_unpriced_tokens_total', { model: 'mystery-model', upstream: 'backup' }),
    ).toBe(15);
  });

  it('prices by the upstream model name after aliasing, and per upstream', async () => {
    const { hub, scrape } = setup({
      pricing: {
        include_defaults: false,
        models: { 'openai/gpt-4.1': 1 },
        upstreams: { primary: { 'gpt-4.1': 3 } },
      },
    });
    const viaAlias = { ...record('gpt-4.1', { upstream: 'backup' }), upstreamModel: 'openai/gpt-4.1' };
    hub.usageKnown(viaAlias, usage(500_000, 500_000), 'reported');
    hub.usageKnown(record('gpt-4.1'), usage(1_000_000, 0), 'reported');
    const s = await scrape();
    expect(sampleValue(s, 'sheepdog_cost_usd_total', { model: 'gpt-4.1', upstream: 'backup' })).toBe(1);
    expect(sampleValue(s, 'sheepdog_cost_usd_total', { model: 'gpt-4.1', upstream: 'primary' })).toBe(3);
  });
});

describe('request metrics', () => {
  it('tracks active requests, final status, duration, overhead and decode speed', async () => {
    const { hub, scrape } = setup();
    const req = record('gpt-4.1', { stream: true });
    hub.requestStarted(req);
    expect(sampleValue(await scrape(), 'sheepdog_active_requests', { model: 'gpt-4.1' })).toBe(1);
    req.firstTokenAt = 1_100; // 100 ms after start
    hub.firstToken(req, 100);
    req.usage = usage(10, 21);
    hub.usageKnown(req, req.usage, 'reported');
    hub.requestFinished(req, { outcome: 'success', status: 200, durationMs: 300, errorCode: undefined });
    const rejected = { ...record('gpt-4.1', { endpoint: 'embeddings' }), upstream: undefined, attempts: 0 };
    hub.requestStarted(rejected);
    hub.requestFinished(rejected, {
      outcome: 'rejected',
      status: 400,
      durationMs: 1,
      errorCode: 'invalid_json',
    });
    const s = await scrape();
    expect(sampleValue(s, 'sheepdog_active_requests', { model: 'gpt-4.1' })).toBe(0);
    expect(
      sampleValue(s, 'sheepdog_requests_total', {
        endpoint: 'chat/completions',
        model: 'gpt-4.1',
        status_code: '200',
        upstream: 'primary',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(
      sampleValue(s, 'sheepdog_requests_total', {
        endpoint: 'embeddings',
        model: 'gpt-4.1',
        status_code: '400',
        upstream: 'none',
        outcome: 'rejected',
      }),
    ).toBe(1);
    const d = { endpoint: 'chat/completions', model: 'gpt-4.1', upstream: 'primary' };
    expect(sampleValue(s, 'sheepdog_request_duration_seconds_bucket', { ...d, le: '0.25' })).toBe(0);
    expect(sampleValue(s, 'sheepdog_request_duration_seconds_bucket', { ...d, le: '0.5' })).toBe(1);
    expect(sampleValue(s, 'sheepdog_request_duration_seconds_sum', d)).toBe(0.3);
    expect(
      sampleValue(s, 'sheepdog_time_to_first_token_seconds_sum', { model: 'gpt-4.1', upstream: 'primary' }),
    ).toBe(0.1);
    // (300 - 100) ms over 20 tokens after the first = 10 ms per token.
    expect(
      sampleValue(s, 'sheepdog_time_per_output_token_seconds_sum', { model: 'gpt-4.1', upstream: 'primary' }),
    ).toBe(0.01);
    // Only the request that reached an upstream has relay overhead.
    expect(sampleValue(s, 'sheepdog_relay_overhead_seconds_count', { endpoint: 'chat/completions' })).toBe(1);
    expect(
      sampleValue(s, 'sheepdog_relay_overhead_seconds_count', { endpoint: 'embeddings' }),
    ).toBeUndefined();
  });

  it('keeps model and status labels bounded', async () => {
    const { hub, scrape, metrics } = setup({ metrics: { max_model_labels: 2 } });
    for (const model of ['gpt-4.1', 'a', 'b', 'c', 'd', 'b', 'line\nbreak']) {
      const req = record(model);
      hub.requestStarted(req);
      hub.requestFinished(req, { outcome: 'failed', status: 999, durationMs: 1, errorCode: undefined });
    }
    expect(metrics.recorder.modelLabel('c')).toBe('other');
    const s = await scrape();
    const counts = Object.fromEntries(
      select(s, 'sheepdog_requests_total').map((x) => [`${x.labels.model}/${x.labels.status_code}`, x.value]),
    );
    expect(counts).toEqual({ 'gpt-4.1/other': 1, 'a/other': 1, 'b/other': 2, 'other/other': 3 });
  });
});

describe('rate-limit gauges', () => {
  const headers = UpstreamHeaders.of({
    'x-ratelimit-remaining-requests': '97',
    'x-ratelimit-remaining-tokens': '9500',
  });

  it('appear only once their header has been seen', async () => {
    const { hub, scrape } = setup();
    const req = record('gpt-4.1');
    hub.upstreamHeaders(
      req,
      attempt('primary', 'first'),
      200,
      UpstreamHeaders.of({ 'content-type': 'application/json' }),
    );
    let s = await scrape();
    expect(select(s, 'sheepdog_rate_limit_remaining')).toEqual([]);
    hub.upstreamHeaders(
      req,
      attempt('primary', 'first'),
      200,
      UpstreamHeaders.of({ 'x-ratelimit-remaining': '42' }),
    );
    s = await scrape();
    expect(select(s, 'sheepdog_rate_limit_remaining').map((x) => [x.labels, x.value])).toEqual([
      [{ upstream: 'primary', model: 'gpt-4.1', limit: 'requests' }, 42],
    ]);
    expect(select(s, 'sheepdog_rate_limit_limit')).toEqual([]);
  });

  it('puts each of the six headers in its own series', async () => {
    const { hub, scrape } = setup();
    const before = Date.now();
    hub.upstreamHeaders(
      record('gpt-4.1'),
      attempt('primary', 'first'),
      200,
      UpstreamHeaders.of({
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-limit-tokens': '10000',
        'x-ratelimit-remaining-requests': '97',
        'x-ratelimit-remaining-tokens': '9500',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
    );
    const after = Date.now();
    const s = await scrape();
    const byLimit = (name: string) =>
      Object.fromEntries(select(s, name).map((x) => [x.labels.limit, x.value]));
    expect(byLimit('sheepdog_rate_limit_remaining')).toEqual({ requests: 97, tokens: 9500 });
    expect(byLimit('sheepdog_rate_limit_limit')).toEqual({ requests: 100, tokens: 10000 });
    // Resets are exported as the Unix time they happen.
    const reset = byLimit('sheepdog_rate_limit_reset_timestamp_seconds');
    expect(reset.requests).toBeGreaterThanOrEqual((before + 1_000) / 1000);
    expect(reset.requests).toBeLessThanOrEqual((after + 1_000) / 1000);
    expect(reset.tokens).toBeGreaterThanOrEqual((before + 360_000) / 1000);
    expect(reset.tokens).toBeLessThanOrEqual((after + 360_000) / 1000);
  });

  it('keeps the seed label set in the seed profile, with tokens in a family of their own', async () => {
    const { hub, scrape } = setup({ metrics: { prefix: 'holysheep' } });
    hub.upstreamHeaders(record('gpt-4.1'), attempt('primary', 'first'), 200, headers);
    const s = await scrape();
    expect(select(s, 'holysheep_rate_limit_remaining').map((x) => [x.labels, x.value])).toEqual([
      [{ model: 'gpt-4.1' }, 97],
    ]);
    expect(select(s, 'holysheep_rate_limit_remaining_tokens').map((x) => [x.labels, x.value])).toEqual([
      [{ upstream: 'primary', model: 'gpt-4.1' }, 9500],
    ]);
  });
});

describe('OpenTelemetry GenAI histograms (opt-in)', () => {
  it('observe each call, first chunk, token and request with the convention labels', async () => {
    const { hub, scrape } = setup({ metrics: { opentelemetry_genai: true } });
    const streamed = { ...record('gpt-4.1', { stream: true }), firstTokenAt: 1_120 };
    const end = { durationMs: 40, errorCode: undefined, used: true };
    hub.attemptFinished(streamed, {
      ...attempt('backup', 'first'),
      ...end,
      outcome: 'completed',
      status: 429,
    });
    hub.attemptFinished(streamed, {
      ...attempt('primary', 'status_5xx'),
      ...end,
      outcome: 'completed',
      status: 200,
    });
    hub.attemptFinished(streamed, {
      ...attempt('elsewhere', 'timeout'),
      ...end,
      outcome: 'timeout',
      status: undefined,
    });
    hub.firstToken(streamed, 120);
    streamed.usage = usage(18, 20);
    hub.usageKnown(streamed, streamed.usage, 'reported');
    hub.requestFinished(streamed, { outcome: 'success', status: 200, durationMs: 500, errorCode: undefined });
    const embedding = record('text-embedding-3-small', { endpoint: 'embeddings', upstream: 'backup' });
    hub.usageKnown(embedding, usage(5, 0), 'reported');
    hub.usageKnown(embedding, usage(7, 0), 'estimated'); // the convention counts reported usage only
    hub.requestFinished(embedding, {
      outcome: 'upstream_error',
      status: 503,
      durationMs: 30,
      errorCode: 'x',
    });

    const s = await scrape();
    const chat = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4.1',
    };
    const primary = { ...chat, server_address: '127.0.0.1', server_port: '1' };
    const backup = { ...chat, server_address: '127.0.0.1', server_port: '2' };
    const calls = 'gen_ai_client_operation_duration_seconds_count';
    expect(sampleValue(s, calls, { ...primary, error_type: '' })).toBe(1);
    expect(sampleValue(s, calls, { ...backup, error_type: '429' })).toBe(1);
    // An upstream that is not configured has no address.
    expect(
      sampleValue(s, calls, { ...chat, server_address: '', server_port: '', error_type: 'timeout' }),
    ).toBe(1);
    expect(
      sampleValue(s, 'gen_ai_client_operation_duration_seconds_sum', { ...primary, error_type: '' }),
    ).toBe(0.04);
    expect(sampleValue(s, 'gen_ai_client_operation_time_to_first_chunk_seconds_sum', primary)).toBe(0.12);
    expect(sampleValue(s, 'gen_ai_server_time_to_first_token_seconds_sum', chat)).toBe(0.12);
    const tokens = 'gen_ai_client_token_usage_sum';
    expect(sampleValue(s, tokens, { ...primary, gen_ai_token_type: 'input' })).toBe(18);
    expect(sampleValue(s, tokens, { ...primary, gen_ai_token_type: 'output' })).toBe(20);
    const embeddings = {
      gen_ai_operation_name: 'embeddings',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'text-embedding-3-small',
    };
    expect(
      sampleValue(s, tokens, {
        ...embeddings,
        server_address: '127.0.0.1',
        server_port: '2',
        gen_ai_token_type: 'input',
      }),
    ).toBe(5);
    expect(select(s, tokens, { ...embeddings, gen_ai_token_type: 'output' })).toEqual([]);
    expect(sampleValue(s, 'gen_ai_server_request_duration_seconds_sum', { ...chat, error_type: '' })).toBe(
      0.5,
    );
    expect(
      sampleValue(s, 'gen_ai_server_request_duration_seconds_count', { ...embeddings, error_type: '503' }),
    ).toBe(1);
    // (1000 + 500 - 1120) ms after the first token, over 19 more tokens.
    expect(sampleValue(s, 'gen_ai_server_time_per_output_token_seconds_sum', chat)).toBeCloseTo(0.02, 12);
  });
});
