// Routes, aliases and strategies: each distributes as promised.

import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { chatOnce } from './helpers/load.js';
import { startTestRelay, type TestRelay } from './helpers/relay.js';

let sims: Simulator[] = [];
let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.close();
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  relay = undefined;
});

async function start(
  latencies: number[],
  config: Partial<ConfigInput>,
  upstreamExtra: Array<Record<string, unknown>> = [],
) {
  sims = await Promise.all(
    latencies.map((ms) => startSimulator({ completionTokens: 2, faults: { latency_ms: ms } })),
  );
  relay = await startTestRelay({
    ...config,
    upstreams: sims.map((s, i) => ({ name: `u${i}`, base_url: s.url, ...upstreamExtra[i] })),
  } as ConfigInput);
  return relay;
}

async function share(
  relay: TestRelay,
  n: number,
  concurrency = 1,
  model = 'gpt-4.1',
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const client = relay.client();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const { response } = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: `q${i}` }] })
        .withResponse();
      const upstream = response.headers.get('x-sheepdog-upstream') ?? '?';
      counts[upstream] = (counts[upstream] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

describe('strategies', () => {
  it('priority sends everything to the first healthy upstream, in config order', async () => {
    const relay = await start([0, 0], {});
    expect(await share(relay, 20)).toEqual({ u0: 20 });
  });

  it('weighted splits traffic by weight (3:1 within tolerance over 2,000 requests)', async () => {
    const relay = await start([0, 0], { routes: { '*': { strategy: 'weighted' } } }, [
      { weight: 3 },
      { weight: 1 },
    ]);
    const counts = await share(relay, 2_000, 20);
    console.log(`weighted 3:1: ${JSON.stringify(counts)}`);
    // Binomial(2000, 0.75): sd is about 19, so +-60 is beyond 3 sd.
    expect(counts.u0).toBeGreaterThan(1_440);
    expect(counts.u0).toBeLessThan(1_560);
    expect((counts.u0 ?? 0) + (counts.u1 ?? 0)).toBe(2_000);
  });

  it('least-latency moves to the faster upstream', async () => {
    const relay = await start([60, 5], { routes: { '*': { strategy: 'least-latency' } } });
    const counts = await share(relay, 100);
    console.log(`least-latency (60 ms vs 5 ms): ${JSON.stringify(counts)}`);
    expect(counts.u1).toBeGreaterThan(85);
    // It keeps measuring: when the fast one slows down, traffic moves back.
    sims[1]!.setFaults({ latency_ms: 200 });
    const after = await share(relay, 30);
    expect(after.u0).toBeGreaterThan(20);
  });

  it('least-busy spreads concurrent requests over upstreams by in-flight count', async () => {
    const relay = await start([100, 100, 100], { routes: { '*': { strategy: 'least-busy' } } });
    const counts = await share(relay, 60, 6);
    console.log(`least-busy: ${JSON.stringify(counts)}`);
    for (const name of ['u0', 'u1', 'u2']) expect(counts[name]).toBeGreaterThanOrEqual(15);
  });
});

describe('routes and aliases', () => {
  it('routes a model to its listed upstreams in order, and renames it per upstream', async () => {
    const relay = await start([0, 0], { routes: { 'gpt-4.1': { upstreams: ['u1', 'u0'] } } }, [
      { models: ['gpt-4.1'] },
      { aliases: { 'gpt-4.1': 'openai/gpt-4.1' } },
    ]);
    expect(await share(relay, 3)).toEqual({ u1: 3 });
    expect(sims[1]!.requests().at(-1)?.body).toMatchObject({ model: 'openai/gpt-4.1' });
    // The client still sees its own model name... as the upstream answered it (a relay does not rewrite answers).
    const listed: string[] = [];
    for await (const m of relay.client().models.list()) listed.push(m.id);
    expect(listed).toContain('gpt-4.1');
  });

  it('fails over across aliases: each upstream gets its own name for the model', async () => {
    const relay = await start([0, 0], {}, [
      { aliases: { 'gpt-4.1': 'gpt-4.1-2025' } },
      { aliases: { 'gpt-4.1': 'openai/gpt-4.1' } },
    ]);
    sims[0]!.setFaults({ error_rate: 1, error_status: 502 });
    const result = await chatOnce(relay.client(), 0, false, 0);
    expect(result).toMatchObject({ ok: true, upstream: 'u1' });
    expect(sims[0]!.requests().at(-1)?.body).toMatchObject({ model: 'gpt-4.1-2025' });
    expect(sims[1]!.requests().at(-1)?.body).toMatchObject({ model: 'openai/gpt-4.1' });
  });

  it('rejects a route naming an unknown upstream at config time', async () => {
    await expect(start([0], { routes: { 'gpt-4.1': { upstreams: ['nope'] } } })).rejects.toThrow(
      /routes\.gpt-4\.1\.upstreams\[0\]: no upstream is named "nope"/,
    );
  });
});
