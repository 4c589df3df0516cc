#!/usr/bin/env node
// Micro-benchmark: what the metrics subscriber costs per request, apart from
// the network. Emits one streamed request's events (started, attempt, headers,
// first token, attempt finished, usage, finished) on an event hub, with and
// without the metrics subscribers, and compares with the same observations
// through prom-client's own child handles. Also times a scrape.
// Usage: npm run build && node bench/micro/metrics-observe.js [--requests N]

import { Counter, Histogram, Registry } from 'prom-client';
import { parseConfig } from '../../dist/config/load.js';
import { EventHub } from '../../dist/events/hub.js';
import { createMetrics } from '../../dist/metrics/index.js';
import { emitStreamedRequest, streamedRecord } from './fixtures.js';

const at = process.argv.indexOf('--requests');
const N = at > 0 ? Number(process.argv[at + 1]) : 500_000;

const config = parseConfig(
  { upstreams: [{ name: 'a', base_url: 'http://127.0.0.1:1/v1' }], metrics: { process_metrics: false } },
  'bench',
);
const metrics = createMetrics(config);
const observed = new EventHub();
for (const o of metrics.observers) observed.subscribe(o);
const bare = new EventHub();

const info = { upstream: 'a', upstreamModel: 'gpt-4.1', number: 1, reason: 'first', failoverFrom: undefined };
const result = {
  ...info,
  outcome: 'completed',
  status: 200,
  durationMs: 250,
  errorCode: undefined,
  used: true,
};
const finish = { outcome: 'success', status: 200, durationMs: 300, errorCode: undefined };
const usage = {
  promptTokens: 10,
  completionTokens: 21,
  totalTokens: 31,
  cachedPromptTokens: 0,
  reasoningTokens: 0,
};
const rateLimitHeaders = {
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-limit-tokens': '2000000',
  'x-ratelimit-remaining-requests': '9999',
  'x-ratelimit-remaining-tokens': '1999969',
  'x-ratelimit-reset-requests': '59.994s',
  'x-ratelimit-reset-tokens': '59.994s',
};

/** Microseconds per request for `n` requests' events on `hub`. */
function perRequest(hub, n, headers) {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    emitStreamedRequest(hub, streamedRecord('a', usage), {
      attempt: info,
      headers,
      ttftMs: 100,
      result,
      usage,
      finish,
    });
  }
  return ((performance.now() - started) * 1000) / n;
}

/** The same observations through prom-client child handles (what a straightforward implementation costs). */
function promClientBaseline(n) {
  const registry = new Registry();
  const labelNames = ['endpoint', 'model', 'status_code', 'upstream', 'outcome'];
  const counter = new Counter({ name: 'b_requests_total', help: 'h', labelNames, registers: [registry] });
  const tokens = new Counter({
    name: 'b_tokens_total',
    help: 'h',
    labelNames: ['model', 'token_type', 'upstream'],
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'b_seconds',
    help: 'h',
    labelNames: ['endpoint', 'model', 'upstream'],
    registers: [registry],
  });
  const requests = counter.labels('chat/completions', 'gpt-4.1', '200', 'a', 'success');
  const types = ['prompt', 'completion', 'total'].map((t) => tokens.labels('gpt-4.1', t, 'a'));
  const duration = histogram.labels('chat/completions', 'gpt-4.1', 'a');
  const ttft = histogram.labels('chat/completions', 'gpt-4.1', 'b');
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    requests.inc();
    for (const t of types) t.inc(10);
    duration.observe(0.3);
    ttft.observe(0.1);
  }
  return ((performance.now() - started) * 1000) / n;
}

const rounds = [];
for (let round = 0; round < 3; round++) {
  rounds.push({
    bareHub: perRequest(bare, N, rateLimitHeaders),
    metricsNoRateLimitHeaders: perRequest(observed, N, {}),
    metricsWithRateLimitHeaders: perRequest(observed, N, rateLimitHeaders),
    promClientHandles6Observations: promClientBaseline(N),
  });
}
const best = Object.fromEntries(
  Object.keys(rounds[0]).map((k) => [k, Math.min(...rounds.map((r) => r[k])).toFixed(3)]),
);
let scrapeMs = performance.now();
const text = await metrics.scrape();
scrapeMs = performance.now() - scrapeMs;
process.stdout.write(
  `${JSON.stringify({ requests: N, microsecondsPerRequest: best, scrape: { ms: Number(scrapeMs.toFixed(2)), bytes: text.length } }, null, 2)}\n`,
);
