// src/metrics/: every metric update one successful streamed request causes,
// through the event hub exactly as the relay emits them.

import { dist, emitStreamedRequest, streamedRecord } from '../fixtures.js';

const metricsModule = await dist('metrics/index.js').catch(() => undefined);
const { configSchema } = await dist('config/schema.js');
const { EventHub } = await dist('events/hub.js');

/** @type {string | undefined} */
export let skip;
/** @type {import('../harness.js').Case[]} */
export const cases = [];

if (!metricsModule?.createMetrics) skip = 'no src/metrics in this build';
else {
  const headers = { 'content-type': 'text/event-stream', 'x-ratelimit-remaining-requests': '9999' };
  const attempt = {
    upstream: 'simulator',
    upstreamModel: 'gpt-4.1',
    number: 1,
    reason: 'first',
    failoverFrom: undefined,
  };
  // Built as a literal, not `{ ...attempt, outcome }`: on Node 20 (V8 11.3) a spread
  // followed by more properties takes a slow path (~1 us a property added), which
  // this case measured instead of the recorder until it was written this way.
  const result = {
    upstream: 'simulator',
    upstreamModel: 'gpt-4.1',
    number: 1,
    reason: 'first',
    failoverFrom: undefined,
    outcome: 'completed',
    status: 200,
    durationMs: 1,
    errorCode: undefined,
    used: true,
  };
  const usage = {
    promptTokens: 18,
    completionTokens: 20,
    totalTokens: 38,
    cachedPromptTokens: 0,
    reasoningTokens: 0,
  };
  const finish = { outcome: 'success', status: 200, durationMs: 1, errorCode: undefined };
  /** Every event of one successful streamed request, through a hub holding `metrics`' observers. @param {boolean} genai */
  const oneRequest = (genai) => {
    const config = configSchema.parse({
      upstreams: [{ name: 'simulator', base_url: 'http://127.0.0.1:9/v1' }],
      // No process metrics: their GC observer queues an entry per collection until the loop yields.
      metrics: { opentelemetry_genai: genai, process_metrics: false },
    });
    const metrics = metricsModule.createMetrics(config);
    const hub = new EventHub();
    for (const o of metrics.observers) hub.subscribe(o);
    return () => {
      emitStreamedRequest(hub, streamedRecord('simulator', usage), {
        attempt,
        headers,
        ttftMs: 100,
        result,
        usage,
        finish,
      });
    };
  };
  cases.push({ name: 'one streamed request: every event, every metric', fn: oneRequest(false) });
  cases.push({ name: 'the same with OpenTelemetry GenAI histograms on', fn: oneRequest(true) });
}
