// Issue 3: the numbers that must be trusted at 2 a.m. Counted tokens and cost
// equal the simulator's reported usage exactly over thousands of mixed
// requests; 10,000 random model names leave the series count bounded;
// rate-limit gauges follow the headers the upstream sent, and only once sent.

import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { parseExposition, type Sample, sampleValue, select, total } from '../src/metrics/exposition.js';
import { costPico, PriceTable } from '../src/pricing/price-table.js';
import type { Simulator } from '../src/simulator/index.js';
import { relayWithSimulator, type TestRelay } from './helpers/relay.js';

/** Sends `count` requests, `concurrency` at a time, reading every body to its end. */
async function load(
  base: string,
  count: number,
  concurrency: number,
  request: (i: number) => { path: string; body: unknown },
): Promise<Map<number, number>> {
  const pool = new Pool(base, { connections: concurrency });
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const { path, body } = request(next++);
      const res = await pool.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.body.dump({ limit: Number.POSITIVE_INFINITY });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return statuses;
}

async function scrape(relay: TestRelay): Promise<Sample[]> {
  return parseExposition(await (await fetch(`${relay.url}/metrics`)).text());
}

const PRICING = {
  include_defaults: false,
  models: {
    'gpt-4.1': { input: 2.1, output: 8.3 },
    'claude-sonnet-4.5': 15,
    'gemini-2.5-flash': { input: 0.3, output: 2.5, cached_input: 0.075 },
    'deepseek-v3.2': 0.42,
  },
};
const MODELS = ['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2', 'gpt-4o-mini'];

describe('token and cost accounting', () => {
  let sim: Simulator;
  let relay: TestRelay;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ sim, relay, close } = await relayWithSimulator(
      { seed: 11 },
      { metrics: { process_metrics: false }, pricing: PRICING },
      { metrics: true },
    ));
  });
  afterAll(() => close());

  it('equals the simulator reported usage exactly over 3,000 mixed JSON and SSE requests', async () => {
    const N = 3_000;
    const done = relay.nextFinished(N);
    const statuses = await load(relay.url, N, 32, (i) => {
      const model = MODELS[i % MODELS.length]!;
      const content = `question ${i} ${'about laptops '.repeat(i % 7)}`;
      const chat = { model, messages: [{ role: 'user', content }] };
      switch (i % 8) {
        case 0:
        case 1:
          return { path: '/v1/chat/completions', body: chat };
        case 2:
        case 3:
          return { path: '/v1/chat/completions', body: { ...chat, stream: true } };
        case 4:
          return {
            path: '/v1/chat/completions',
            body: { ...chat, stream: true, stream_options: { include_usage: true } },
          };
        case 5:
          return { path: '/v1/completions', body: { model, prompt: content } };
        case 6:
          return { path: '/v1/completions', body: { model, prompt: content, stream: true } };
        default:
          return { path: '/v1/embeddings', body: { model, input: content } };
      }
    });
    await done;
    expect(statuses).toEqual(new Map([[200, N]]));
    const s = await scrape(relay);
    const used = sim.stats().usage_reported;
    expect(total(s, 'sheepdog_tokens_total', { token_type: 'prompt' })).toBe(used.prompt_tokens);
    expect(total(s, 'sheepdog_tokens_total', { token_type: 'completion' })).toBe(used.completion_tokens);
    expect(total(s, 'sheepdog_tokens_total', { token_type: 'total' })).toBe(used.total_tokens);
    expect(select(s, 'sheepdog_estimated_tokens_total')).toEqual([]);
    expect(total(s, 'sheepdog_requests_total', { outcome: 'success' })).toBe(N);

    // Cost per model, recomputed in exact integer arithmetic from the tokens counted for it.
    const prices = new PriceTable(parseConfig({ pricing: PRICING }, 't').pricing);
    for (const model of MODELS) {
      const tokens = (type: string) =>
        sampleValue(s, 'sheepdog_tokens_total', { model, upstream: 'sim', token_type: type })!;
      const price = prices.lookup('sim', model, model);
      const cost = sampleValue(s, 'sheepdog_cost_usd_total', { model, upstream: 'sim' });
      if (!price) {
        expect(cost).toBeUndefined();
        expect(sampleValue(s, 'sheepdog_unpriced_tokens_total', { model, upstream: 'sim' })).toBe(
          tokens('total'),
        );
        continue;
      }
      const pico = costPico(price, {
        promptTokens: tokens('prompt'),
        completionTokens: tokens('completion'),
        totalTokens: tokens('total'),
        cachedPromptTokens: 0,
        reasoningTokens: 0,
      });
      const exact = `${pico / 10n ** 12n}.${String(pico % 10n ** 12n).padStart(12, '0')}`;
      expect(cost, model).toBe(Number(exact));
    }
  });
});

describe('cardinality guard', () => {
  it('keeps the series count bounded under 10,000 requests with random model names', async () => {
    const { relay, close } = await relayWithSimulator(
      {
        completionTokens: 1,
        rateLimit: { requestsPerMinute: 100_000, tokensPerMinute: 10_000_000, headerStyle: 'none' },
      },
      { metrics: { process_metrics: false, max_model_labels: 50 } },
      { metrics: true },
    );
    try {
      const N = 10_000;
      const done = relay.nextFinished(N);
      const statuses = await load(relay.url, N, 64, (i) => ({
        path: '/v1/chat/completions',
        body: {
          model: `m-${i}-${Math.random().toString(36).slice(2)}`,
          messages: [{ role: 'user', content: 'x' }],
        },
      }));
      await done;
      expect(statuses).toEqual(new Map([[200, N]]));
      const text = await (await fetch(`${relay.url}/metrics`)).text();
      const s = parseExposition(text);
      const models = new Set(select(s, 'sheepdog_requests_total').map((x) => x.labels.model));
      // 50 admitted names plus `other`; the configured names (default prices) were never requested.
      expect(models.size).toBe(51);
      expect(
        sampleValue(s, 'sheepdog_requests_total', {
          endpoint: 'chat/completions',
          model: 'other',
          status_code: '200',
          upstream: 'sim',
          outcome: 'success',
        }),
      ).toBe(N - 50);
      expect(total(s, 'sheepdog_requests_total')).toBe(N);
      // Every family together: ~1,400 series (51 model values x a few families, histograms x 18), whatever
      // the clients send; without the guard it would be 10,000 x as many.
      expect(s.length).toBeLessThan(2_000);
      expect(text.length).toBeLessThan(500_000);
    } finally {
      await close();
    }
  });
});

describe('rate-limit gauges from upstream headers', () => {
  it('follow the OpenAI-style headers, and do not exist before the first one', async () => {
    const { relay, close } = await relayWithSimulator(
      { rateLimit: { requestsPerMinute: 100, tokensPerMinute: 100_000 } },
      { metrics: { process_metrics: false } },
      { metrics: true },
    );
    try {
      expect(select(await scrape(relay), 'sheepdog_rate_limit_remaining')).toEqual([]);
      const done = relay.nextFinished(3);
      let tokens = 0;
      for (let i = 0; i < 3; i++) {
        const answer = await relay.client().chat.completions.create({
          model: 'gpt-4.1',
          messages: [{ role: 'user', content: `hi ${i}` }],
        });
        tokens += answer.usage?.total_tokens ?? 0;
      }
      await done;
      const s = await scrape(relay);
      const labels = (limit: string) => ({ upstream: 'sim', model: 'gpt-4.1', limit });
      expect(sampleValue(s, 'sheepdog_rate_limit_remaining', labels('requests'))).toBe(97);
      expect(sampleValue(s, 'sheepdog_rate_limit_remaining', labels('tokens'))).toBe(100_000 - tokens);
      expect(sampleValue(s, 'sheepdog_rate_limit_limit', labels('requests'))).toBe(100);
      expect(sampleValue(s, 'sheepdog_rate_limit_limit', labels('tokens'))).toBe(100_000);
      const reset = sampleValue(s, 'sheepdog_rate_limit_reset_timestamp_seconds', labels('requests'))!;
      expect(reset).toBeGreaterThan(Date.now() / 1000);
      expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 60);
    } finally {
      await close();
    }
  });

  it('count the plain x-ratelimit-remaining header as requests', async () => {
    const { relay, close } = await relayWithSimulator(
      { rateLimit: { requestsPerMinute: 60, tokensPerMinute: 100_000, headerStyle: 'plain' } },
      { metrics: { process_metrics: false } },
      { metrics: true },
    );
    try {
      const done = relay.nextFinished(2);
      for (let i = 0; i < 2; i++)
        await relay
          .client()
          .chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
      await done;
      const s = await scrape(relay);
      expect(select(s, 'sheepdog_rate_limit_remaining').map((x) => [x.labels, x.value])).toEqual([
        [{ upstream: 'sim', model: 'gpt-4.1', limit: 'requests' }, 58],
      ]);
      expect(select(s, 'sheepdog_rate_limit_limit').map((x) => [x.labels.limit, x.value])).toEqual([
        ['requests', 60],
      ]);
      expect(select(s, 'sheepdog_rate_limit_reset_timestamp_seconds')).toEqual([]);
    } finally {
      await close();
    }
  });
});
