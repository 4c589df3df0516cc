// src/metrics/: every metric update one successful streamed request causes,
// through the event hub exactly as the relay emits them.

import { dist } from '../fixtures.js';

const metricsModule = await dist('metrics/index.js').catch(() => undefined);
const { configSchema } = await dist('config/schema.js');
const { EventHub } = await dist('events/hub.js');

/** @type {string | undefined} */
export let skip;
/** @type {import('../harness.js').Case[]} */
export const cases = [];

if (!metricsModule?.createMetrics) skip = 'no src/metrics in this build';
else {
  const config = configSchema.parse({
    upstreams: [{ name: 'simulator', base_url: 'http://127.0.0.1:9/v1' }],
  });
  const metrics = metricsModule.createMetrics(config);
  const hub = new EventHub();
  for (const o of metrics.observers) hub.subscribe(o);
  const headers = { 'content-type': 'text/event-stream', 'x-ratelimit-remaining-requests': '9999' };
  const attempt = {
    upstream: 'simulator',
    upstreamModel: 'gpt-4.1',
    number: 1,
    reason: 'first',
    failoverFrom: undefined,
  };
  const usage = {
    promptTokens: 18,
    completionTokens: 20,
    totalTokens: 38,
    cachedPromptTokens: 0,
    reasoningTokens: 0,
  };
  const oneRequest = () => {
    const record = {
      id: 'r',
      endpoint: 'chat/completions',
      model: 'gpt-4.1',
      stream: true,
      startedAt: 0,
      startedAtEpochMs: 0,
      upstream: 'simulator',
      upstreamModel: 'gpt-4.1',
      attempts: 1,
      firstByteAt: 0.4,
      firstTokenAt: 0.5,
      usage,
      usageSource: 'reported',
      status: 200,
      overheadMs: 0.1,
    };
    hub.requestStarted(record);
    hub.attemptStarted(record, attempt);
    hub.upstreamHeaders(record, attempt, 200, headers);
    hub.firstToken(record, 0.5);
    hub.attemptFinished(record, {
      ...attempt,
      outcome: 'completed',
      status: 200,
      durationMs: 1,
      errorCode: undefined,
      used: true,
    });
    hub.usageKnown(record, usage, 'reported');
    hub.requestFinished(record, { outcome: 'success', status: 200, durationMs: 1, errorCode: undefined });
  };
  cases.push({ name: 'one streamed request: every event, every metric', fn: oneRequest });
}
