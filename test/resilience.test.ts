// Failover, retries, breakers, hedges and strategies against two or three
// simulators on loopback. Each scenario is bounded in requests and time.

import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import type { AttemptInfo, AttemptResult, BreakerState } from '../src/events/types.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src/simulator/index.js';
import { chatOnce } from './helpers/load.js';
import { eventually, startTestRelay, type TestRelay } from './helpers/relay.js';

const messages = [{ role: 'user' as const, content: 'hi' }];
let sims: Simulator[] = [];
let relay: TestRelay | undefined;
afterEach(async () => {
  // Whatever the scenario (failover, timeout, cut, hedge won or lost, client gone), every attempt has
  // left its breaker's watcher list once the relay is idle: one left behind keeps its request alive.
  if (relay) {
    const idle = relay;
    await eventually(() => idle.app.inFlight() === 0);
    expect(idle.app.attemptsWatchingBreakers()).toBe(0);
  }
  await relay?.close();
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  relay = undefined;
});

interface Recorder {
  attempts: AttemptInfo[];
  finished: AttemptResult[];
  breaker: Array<{ upstream: string; model: string | undefined; state: BreakerState }>;
}

async function setup(
  simOptions: SimulatorOptions[],
  config: Omit<ConfigInput, 'upstreams'> & { upstream?: Array<Record<string, unknown>> } = {},
): Promise<{ relay: TestRelay; sims: Simulator[]; rec: Recorder }> {
  sims = await Promise.all(simOptions.map((o) => startSimulator({ completionTokens: 4, ...o })));
  const rec: Recorder = { attempts: [], finished: [], breaker: [] };
  const { upstream = [], ...rest } = config;
  relay = await startTestRelay(
    {
      ...rest,
      upstreams: sims.map((s, i) => ({
        name: ['primary', 'backup', 'third'][i]!,
        base_url: s.url,
        ...upstream[i],
      })),
    } as ConfigInput,
    [
      {
        attemptStarted: (_r, info) => void rec.attempts.push(info),
        attemptFinished: (_r, result) => void rec.finished.push(result),
        breakerStateChanged: (u, model, state) => void rec.breaker.push({ upstream: u, model, state }),
      },
    ],
  );
  return { relay, sims, rec };
}

async function many(client: OpenAI, n: number, stream = false) {
  const t0 = performance.now();
  const results = [];
  for (let i = 0; i < n; i++) results.push(await chatOnce(client, i, stream, t0));
  return results;
}

describe('failover on upstream errors', () => {
  it('a 503 storm on the primary, then 429s with Retry-After: zero client errors with a backup', async () => {
    const { relay, sims, rec } = await setup([{ faults: { error_rate: 1, error_status: 503 } }, {}]);
    const storm = await many(relay.client(), 30);
    expect(storm.filter((r) => !r.ok)).toEqual([]);
    expect(storm.every((r) => r.upstream === 'backup')).toBe(true);
    // The breaker opened, so most requests no longer even try the primary.
    expect(rec.breaker).toContainEqual({ upstream: 'primary', model: 'gpt-4.1', state: 'open' });
    expect(sims[0]!.stats().requests_total).toBeLessThan(15);
    sims[0]!.setFaults({ error_rate: 1, error_status: 429, retry_after_s: 30 });
    const limited = await many(relay.client(), 10, true);
    expect(limited.filter((r) => !r.ok)).toEqual([]);
    // Failover moved to the backup at once: no retry waited for the Retry-After.
    expect(Math.max(...limited.map((r) => r.latencyMs))).toBeLessThan(1_000);
    const failovers = rec.attempts.filter((a) => a.failoverFrom === 'primary');
    expect(failovers.length).toBeGreaterThan(0);
    expect(failovers.every((a) => a.upstream === 'backup')).toBe(true);
  });

  it('with no backup, the 429 reaches the client with its Retry-After', async () => {
    const { relay } = await setup([{ faults: { error_rate: 1, error_status: 429, retry_after_s: 30 } }]);
    const res = await fetch(`${relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('never retries a client error (4xx other than 408/429)', async () => {
    const { relay, rec } = await setup([{ apiKey: 'right' }, {}], { upstream: [{ api_key: 'wrong' }] });
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(rec.attempts).toHaveLength(1);
  });
});

describe('transport failures', () => {
  it('a reset before headers is retried on the backup, invisibly', async () => {
    const { relay, rec } = await setup([{ faults: { reset_rate: 1 } }, {}]);
    const results = await many(relay.client(), 6, true);
    expect(results.every((r) => r.ok && r.upstream === 'backup')).toBe(true);
    expect(rec.finished.some((f) => f.upstream === 'primary' && f.outcome === 'reset')).toBe(true);
  });

  it('a stream cut after tokens reached the client ends with a clean error, not a retry', async () => {
    const { relay, sims } = await setup([{ faults: { cut_stream_after: 3 } }, {}]);
    const stream = await relay.client().chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const read = async (): Promise<void> => {
      for await (const _ of stream) {
      }
    };
    await expect(read()).rejects.toMatchObject({ error: { code: 'upstream_stream_cut' } });
    expect(sims[1]!.stats().requests_total).toBe(0);
  });

  it('a stream without a token by its first-token deadline is retried on the backup, invisibly', async () => {
    const { relay, sims, rec } = await setup([{ faults: { ttft_ms: 5_000 } }, {}], {
      hedging: { enabled: false },
      upstream: [{ timeouts: { first_token_ms: 300 } }],
    });
    const [result] = await many(relay.client(), 1, true);
    expect(result).toMatchObject({ ok: true, upstream: 'backup' });
    expect(rec.attempts.map((a) => [a.upstream, a.reason])).toEqual([
      ['primary', 'first'],
      ['backup', 'timeout'],
    ]);
    await eventually(() => sims[0]!.stats().aborted === 1);
  });

  it('a stall mid-stream ends with an idle-timeout error event and aborts the upstream', async () => {
    const { relay, sims } = await setup(
      [{ completionTokens: 8, faults: { stall_ms: 10_000, stall_after: 2 } }],
      {
        upstream: [{ timeouts: { idle_ms: 300 } }],
      },
    );
    const stream = await relay.client().chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const read = async (): Promise<void> => {
      for await (const _ of stream) {
      }
    };
    await expect(read()).rejects.toMatchObject({ error: { code: 'upstream_timeout' } });
    await eventually(() => sims[0]!.stats().aborted === 1);
  });
});

describe('circuit breaker and health', () => {
  it('with every upstream down, answers a fast 503 that says so and when to retry', async () => {
    const { relay, sims } = await setup([{}, {}], { breaker: { consecutive_failures: 2, open_ms: 30_000 } });
    await Promise.all(sims.map((s) => s.close()));
    sims.length = 0;
    // Refused connections open both transport breakers...
    for (let i = 0; i < 3; i++) await chatOnce(relay.client(), i, false, 0);
    // ...after which requests are answered at once, without touching any upstream.
    const started = performance.now();
    const res = await fetch(`${relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
    });
    expect(performance.now() - started).toBeLessThan(200);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(20);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('no_upstream_available');
    expect(body.error.message).toMatch(/unavailable.*retry in \d+ s/);
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(503);
  });

  it('half-opens after the open period and closes on a good probe', async () => {
    const { relay, sims, rec } = await setup([{ faults: { error_rate: 1, error_status: 500 } }, {}], {
      breaker: { consecutive_failures: 2, open_ms: 300 },
    });
    await many(relay.client(), 4);
    expect(rec.breaker.filter((b) => b.upstream === 'primary').map((b) => b.state)).toEqual(['open']);
    sims[0]!.clearFaults();
    await eventually(async () => (await chatOnce(relay.client(), 0, false, 0)).upstream === 'primary');
    expect(rec.breaker.filter((b) => b.upstream === 'primary').map((b) => b.state)).toEqual([
      'open',
      'half_open',
      'closed',
    ]);
  });

  it('active health checks take a failing upstream out of rotation', async () => {
    const { relay, sims } = await setup([{}, {}], {
      upstream: [{ health_check: { interval_ms: 50, path: '/models' } }],
    });
    sims[0]!.setFaults({ error_rate: 1, error_status: 503 });
    await eventually(async () => (await chatOnce(relay.client(), 0, false, 0)).upstream === 'backup');
    const before = sims[0]!.stats().by_path['/v1/chat/completions'] ?? 0;
    await many(relay.client(), 5);
    expect(sims[0]!.stats().by_path['/v1/chat/completions'] ?? 0).toBe(before);
  });
});

describe('hedging', () => {
  it('races a slow attempt on another upstream, answers from the first, and cancels the other', async () => {
    const { relay, sims, rec } = await setup([{ faults: { latency_ms: 5_000 } }, {}], {
      hedging: { delay_ms: 200 },
    });
    const [result] = await many(relay.client(), 1);
    expect(result?.ok).toBe(true);
    expect(result?.upstream).toBe('backup');
    expect(result!.latencyMs).toBeLessThan(1_500);
    expect(rec.attempts.map((a) => a.reason)).toEqual(['first', 'hedge']);
    expect(rec.finished.find((f) => f.upstream === 'primary')).toMatchObject({
      outcome: 'aborted',
      used: false,
    });
    expect(rec.finished.find((f) => f.upstream === 'backup')).toMatchObject({ used: true });
    await eventually(() => sims[0]!.stats().aborted === 1);
  });

  it('moves a request waiting on an upstream to the backup as soon as that breaker opens', async () => {
    const { relay, sims, rec } = await setup([{ faults: { latency_ms: 5_000 } }, {}], {
      hedging: { delay_ms: 60_000 }, // never by time here: only the breaker opening moves it
      breaker: { consecutive_failures: 2, open_ms: 30_000 },
    });
    const waiting = chatOnce(relay.client(), 0, false, performance.now());
    await eventually(() => (sims[0]!.stats().by_path['/v1/chat/completions'] ?? 0) === 1);
    // Two fast failures on the primary open its breaker (those two fail over to the backup).
    sims[0]!.setFaults({ latency_ms: 0, error_rate: 1, error_status: 500 });
    await many(relay.client(), 2);
    expect(rec.breaker.filter((b) => b.upstream === 'primary').map((b) => b.state)).toEqual(['open']);
    const result = await waiting;
    expect(result).toMatchObject({ ok: true, upstream: 'backup' });
    expect(result.latencyMs).toBeLessThan(2_500); // not the primary's 5 s
    expect(rec.attempts.filter((a) => a.reason === 'hedge')).toHaveLength(1);
    await eventually(() => sims[0]!.stats().aborted === 1);
  });

  it('hedges streams too: the first to produce a token gets the client', async () => {
    const { relay, sims } = await setup([{ faults: { ttft_ms: 5_000 } }, {}], { hedging: { delay_ms: 200 } });
    const [result] = await many(relay.client(), 1, true);
    expect(result).toMatchObject({ ok: true, upstream: 'backup' });
    await eventually(() => sims[0]!.stats().aborted === 1);
  });
});

describe('retry budget', () => {
  it('with every upstream failing, upstream attempts stay within the budget', async () => {
    const { relay, sims } = await setup(
      [{ faults: { error_rate: 1, error_status: 500 } }, { faults: { error_rate: 1, error_status: 500 } }],
      {
        // A breaker would stop the storm by itself; this test is about the budget alone.
        breaker: { consecutive_failures: 1_000, min_requests: 1_000 },
        retry: {
          max_attempts: 5,
          budget_ratio: 0.2,
          budget_min_per_second: 3,
          backoff_base_ms: 1,
          backoff_max_ms: 1,
        },
      },
    );
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => chatOnce(relay.client(), i, false, 0)),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(results.every((r) => r.status === 500)).toBe(true);
    const attempts = sims[0]!.stats().requests_total + sims[1]!.stats().requests_total;
    console.log(`retry budget: 200 requests, ${attempts} upstream attempts in ${seconds.toFixed(2)} s`);
    // 200 first attempts + 20% + the per-second floor; without a budget it would be 1,000.
    expect(attempts).toBeLessThanOrEqual(200 * 1.2 + 3 * Math.ceil(seconds + 1));
    expect(attempts).toBeGreaterThan(200);
  });
});

describe('one upstream only', () => {
  it('when it slows from 0.8 s to 12 s, clients get fast, clear errors instead of hanging', async () => {
    const { relay, rec } = await setup([{ faults: { latency_ms: 800 } }], { breaker: { open_ms: 30_000 } });
    // Warm up: the relay learns the normal pace (0.8 s).
    await Promise.all(Array.from({ length: 20 }, (_, i) => chatOnce(relay.client(), i, false, 0)));
    sims[0]!.setFaults({ latency_ms: 12_000 });
    const controller = new AbortController();
    const client = relay.client();
    const stuck = Array.from({ length: 6 }, (_, i) =>
      client.chat.completions
        .create(
          { model: 'gpt-4.1', messages: [{ role: 'user', content: `s${i}` }] },
          { signal: controller.signal },
        )
        .catch(() => 'aborted'),
    );
    // With no other upstream, those six count as slow only past `lone_slow_ms` (5 s), then open the breaker...
    await eventually(() => rec.breaker.some((b) => b.upstream === 'primary' && b.state === 'open'), 10_000);
    // ...so the next request is refused at once, with a reason and a time to retry.
    const started = performance.now();
    const refused = await chatOnce(relay.client(), 99, false, 0);
    expect(performance.now() - started).toBeLessThan(200);
    expect(refused.status).toBe(503);
    expect(refused.error).toMatch(/unavailable/);
    controller.abort();
    await Promise.all(stuck);
  });
});
