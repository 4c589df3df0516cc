// Issue 3: known traffic in, exact counter and histogram values out, over real
// HTTP with the official client: JSON and SSE, complete, cut and aborted
// streams, upstream errors and rejected requests.

import { countTokens } from 'gpt-tokenizer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseExposition, type Sample, sampleValue, select, total } from '../src/metrics/exposition.js';
import type { Simulator } from '../src/simulator/index.js';
import { relayWithSimulator, type TestRelay } from './helpers/relay.js';

let sim: Simulator;
let relay: TestRelay;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sim, relay, close } = await relayWithSimulator(
    { seed: 3, rateLimit: { requestsPerMinute: 1_000, tokensPerMinute: 1_000_000, headerStyle: 'none' } },
    {
      metrics: { process_metrics: false },
      pricing: { include_defaults: false, models: { 'gpt-4.1': { input: 2, output: 8 } } },
    },
    { metrics: true },
  ));
});
afterAll(() => close());
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${relay.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

/** Counter deltas between two scrapes, for one sample name and label subset. */
const delta = (
  before: Sample[],
  after: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number => total(after, name, labels) - total(before, name, labels);

const messages = [{ role: 'user' as const, content: 'Tôi muốn mua laptop dưới 20 triệu' }];
const chat = { endpoint: 'chat/completions', model: 'gpt-4.1', upstream: 'sim' };

describe('complete requests', () => {
  it('counts JSON and SSE requests, their tokens and cost exactly', async () => {
    const before = await scrape();
    const done = relay.nextFinished(4);
    const client = relay.client();
    await client.chat.completions.create({ model: 'gpt-4.1', messages });
    await client.chat.completions.create({ model: 'gpt-4.1', messages, max_tokens: 9 });
    const stream = await client.chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    for await (const _ of stream);
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'xin chào' });
    await done;
    const after = await scrape();
    const used = sim.stats().usage_reported;

    expect(
      delta(before, after, 'sheepdog_requests_total', { ...chat, status_code: '200', outcome: 'success' }),
    ).toBe(3);
    expect(
      delta(before, after, 'sheepdog_requests_total', {
        endpoint: 'embeddings',
        model: 'text-embedding-3-small',
        status_code: '200',
        upstream: 'sim',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(delta(before, after, 'sheepdog_request_duration_seconds_count', chat)).toBe(3);
    expect(delta(before, after, 'sheepdog_request_duration_seconds_bucket', { ...chat, le: '+Inf' })).toBe(3);
    expect(delta(before, after, 'sheepdog_time_to_first_token_seconds_count', { model: 'gpt-4.1' })).toBe(1);
    expect(
      delta(before, after, 'sheepdog_upstream_requests_total', { outcome: 'completed', status_code: '200' }),
    ).toBe(4);
    // Tokens equal what the simulator reported, stream included (its client never asked for usage).
    for (const [type, key] of [
      ['prompt', 'prompt_tokens'],
      ['completion', 'completion_tokens'],
      ['total', 'total_tokens'],
    ] as const)
      expect(delta(before, after, 'sheepdog_tokens_total', { token_type: type })).toBe(used[key]);
    // gpt-4.1 is priced at $2 / $8 per 1M; the embedding model is not priced, so it is counted as unpriced.
    const prompt = delta(before, after, 'sheepdog_tokens_total', { model: 'gpt-4.1', token_type: 'prompt' });
    const completion = delta(before, after, 'sheepdog_tokens_total', {
      model: 'gpt-4.1',
      token_type: 'completion',
    });
    expect(delta(before, after, 'sheepdog_cost_usd_total', { model: 'gpt-4.1' })).toBeCloseTo(
      (prompt * 2 + completion * 8) / 1e6,
      15,
    );
    expect(
      delta(before, after, 'sheepdog_unpriced_tokens_total', { model: 'text-embedding-3-small' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(after, 'sheepdog_active_requests', { model: 'gpt-4.1' })).toBe(0);
  });

  it('puts latencies in the right buckets', async () => {
    const before = await scrape();
    sim.setFaults({ latency_ms: 300 });
    let done = relay.nextFinished(1);
    await relay.client().chat.completions.create({ model: 'gpt-4.1', messages });
    await done;
    sim.setFaults({ latency_ms: 0, ttft_ms: 150 });
    done = relay.nextFinished(1);
    for await (const _ of await relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true }));
    await done;
    const after = await scrape();
    const bucket = (name: string, labels: Record<string, string>, le: string) =>
      delta(before, after, `${name}_bucket`, { ...labels, le });
    // 300 ms: above 0.25 s, within 0.5 s; the stream (150 ms to first token) is there too.
    expect(bucket('sheepdog_request_duration_seconds', chat, '0.1')).toBe(0);
    expect(bucket('sheepdog_request_duration_seconds', chat, '0.25')).toBe(1);
    expect(bucket('sheepdog_request_duration_seconds', chat, '0.5')).toBe(2);
    const ttft = { model: 'gpt-4.1', upstream: 'sim' };
    expect(bucket('sheepdog_time_to_first_token_seconds', ttft, '0.1')).toBe(0);
    expect(bucket('sheepdog_time_to_first_token_seconds', ttft, '0.25')).toBe(1);
    expect(delta(before, after, 'sheepdog_time_per_output_token_seconds_count', ttft)).toBe(1);
  });
});

describe('streams that do not complete', () => {
  it('counts a stream cut by the upstream as stream_cut, with estimated tokens kept apart', async () => {
    sim.setFaults({ cut_stream_after: 3 });
    const before = await scrape();
    const done = relay.nextFinished(1);
    let text = '';
    await expect(
      (async () => {
        const stream = await relay
          .client()
          .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/ended the stream/);
    await done;
    const after = await scrape();
    // The client got a 200 and then an error event: status 200, outcome stream_cut.
    expect(
      delta(before, after, 'sheepdog_requests_total', { ...chat, status_code: '200', outcome: 'stream_cut' }),
    ).toBe(1);
    expect(
      delta(before, after, 'sheepdog_upstream_requests_total', { outcome: 'stream_cut', status_code: '200' }),
    ).toBe(1);
    expect(delta(before, after, 'sheepdog_tokens_total')).toBe(0);
    expect(sim.stats().usage_reported.total_tokens).toBe(0);
    const estimated = { model: 'gpt-4.1', upstream: 'sim' };
    expect(
      delta(before, after, 'sheepdog_estimated_tokens_total', { ...estimated, token_type: 'completion' }),
    ).toBe(countTokens(text));
    const prompt = delta(before, after, 'sheepdog_estimated_tokens_total', {
      ...estimated,
      token_type: 'prompt',
    });
    expect(prompt).toBeGreaterThan(0);
    expect(delta(before, after, 'sheepdog_estimated_cost_usd_total', estimated)).toBeCloseTo(
      (prompt * 2 + countTokens(text) * 8) / 1e6,
      15,
    );
    expect(delta(before, after, 'sheepdog_cost_usd_total')).toBe(0);
  });

  it('counts a stream the client abandoned as aborted with status 499', async () => {
    sim.setFaults({ chunk_delay_ms: 20 });
    const before = await scrape();
    const done = relay.nextFinished(1);
    const stream = await relay.client().chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    let chunks = 0;
    for await (const _ of stream) if (++chunks === 3) break; // leaving the loop aborts the request
    await done;
    const after = await scrape();
    expect(
      delta(before, after, 'sheepdog_requests_total', { ...chat, status_code: '499', outcome: 'aborted' }),
    ).toBe(1);
    expect(delta(before, after, 'sheepdog_upstream_requests_total', { outcome: 'aborted' })).toBe(1);
    expect(delta(before, after, 'sheepdog_requests_total')).toBe(1);
    expect(sampleValue(after, 'sheepdog_active_requests', { model: 'gpt-4.1' })).toBe(0);
  });
});

describe('errors', () => {
  it('counts upstream errors, resets and rejected requests by their real status', async () => {
    const before = await scrape();
    sim.setFaults({ error_rate: 1, error_status: 503 });
    let done = relay.nextFinished(1);
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toMatchObject({
      status: 503,
    });
    await done;
    sim.setFaults({ error_rate: 0, reset_rate: 1 });
    done = relay.nextFinished(1);
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toMatchObject({
      status: 502,
    });
    await done;
    done = relay.nextFinished(1);
    const res = await fetch(`${relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-4.1",',
    });
    expect(res.status).toBe(400);
    await done;
    const after = await scrape();
    const requests = (labels: Record<string, string>) =>
      delta(before, after, 'sheepdog_requests_total', labels);
    expect(requests({ ...chat, status_code: '503', outcome: 'upstream_error' })).toBe(1);
    expect(requests({ ...chat, status_code: '502', outcome: 'failed' })).toBe(1);
    // A body that never parsed has no model: it is recorded under "unknown", with no upstream.
    expect(
      requests({
        endpoint: 'chat/completions',
        model: 'unknown',
        status_code: '400',
        upstream: 'none',
        outcome: 'rejected',
      }),
    ).toBe(1);
    // Each attempt is counted once it ends, and started as the first try or a retry for that failure
    // (how many retries there are is the retry policy's business, issue 5).
    const upstream = (labels: Record<string, string>) =>
      delta(before, after, 'sheepdog_upstream_requests_total', labels);
    const attempts = (reason: string) => delta(before, after, 'sheepdog_upstream_attempts_total', { reason });
    const errored = upstream({ outcome: 'completed', status_code: '503' });
    const reset = upstream({ outcome: 'reset', status_code: 'none' });
    expect(errored).toBeGreaterThanOrEqual(1);
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(upstream({})).toBe(errored + reset);
    expect(attempts('first')).toBe(2);
    expect(attempts('status_5xx')).toBe(errored - 1);
    expect(attempts('reset')).toBe(reset - 1);
    expect(
      select(after, 'sheepdog_requests_total').every((s) => /^(\d{3}|other)$/.test(s.labels.status_code!)),
    ).toBe(true);
  });
});
