// Issue 3: where and how metrics are served (main port, a separate listener,
// bearer token, turned off), the seed article's exact names and label sets
// with prefix holysheep, and `promtool check metrics` on real output after
// every kind of traffic.

import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { ConfigInput } from '../src/config/schema.js';
import { createLogger } from '../src/logging/logger.js';
import { familyTypes, parseExposition, select } from '../src/metrics/exposition.js';
import { type RunningRelay, startRelay } from '../src/relay.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { relayWithSimulator } from './helpers/relay.js';

const url = (a: AddressInfo): string => `http://127.0.0.1:${a.port}`;
let running: RunningRelay | undefined;
let sim: Simulator | undefined;
afterEach(async () => {
  await running?.stop(1_000);
  await sim?.close();
  running = undefined;
  sim = undefined;
});

async function start(config: ConfigInput): Promise<RunningRelay> {
  sim = await startSimulator();
  const parsed = parseConfig(
    { listen: '127.0.0.1:0', upstreams: [{ name: 'sim', base_url: sim.url }], ...config },
    'test',
  );
  running = await startRelay({ config: parsed, source: 'test', useSimulator: false }, createLogger('silent'));
  return running;
}

const messages = [{ role: 'user', content: 'hi' }];
const post = (base: string, body: unknown): Promise<Response> =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('serving /metrics', () => {
  it('answers on the main port and on metrics.listen, behind the bearer token when one is set', async () => {
    const relay = await start({ metrics: { listen: '127.0.0.1:0', bearer_token: 's3cret' } });
    expect((await post(url(relay.address), { model: 'gpt-4.1', messages })).status).toBe(200);
    for (const base of [url(relay.address), url(relay.metricsAddress!)]) {
      const denied = await fetch(`${base}/metrics`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong!' } })).status).toBe(
        401,
      );
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
      const samples = parseExposition(await ok.text());
      expect(select(samples, 'sheepdog_requests_total')).toHaveLength(1);
      expect(select(samples, 'sheepdog_build_info')[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(select(samples, 'process_resident_memory_bytes')).toHaveLength(1);
    }
    // The separate listener serves nothing else.
    expect((await fetch(`${url(relay.metricsAddress!)}/v1/models`)).status).toBe(404);
  });

  it('is off entirely with metrics.enabled: false', async () => {
    const relay = await start({ metrics: { enabled: false } });
    expect(relay.metrics).toBeUndefined();
    expect((await post(url(relay.address), { model: 'gpt-4.1', messages })).status).toBe(200);
    expect((await fetch(`${url(relay.address)}/metrics`)).status).toBe(404);
  });
});

describe('prefix holysheep', () => {
  it("exports the seed article's series names and exact label sets, so its rules and dashboards work unchanged", async () => {
    const { relay, close } = await relayWithSimulator(
      { rateLimit: { requestsPerMinute: 500, tokensPerMinute: 100_000, headerStyle: 'plain' } },
      { metrics: { prefix: 'holysheep' } },
      { metrics: true },
    );
    try {
      const client = relay.client();
      const done = relay.nextFinished(3);
      await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
      await client.completions.create({ model: 'gpt-4.1', prompt: 'hi' });
      for await (const _ of await client.chat.completions.create({
        model: 'deepseek-v3.2',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }));
      await done;
      const text = await (await fetch(`${relay.url}/metrics`)).text();
      const samples = parseExposition(text);
      const labelSets = (name: string) =>
        new Set(select(samples, name).map((s) => Object.keys(s.labels).join(',')));
      expect(labelSets('holysheep_requests_total')).toEqual(new Set(['endpoint,model,status_code']));
      expect(labelSets('holysheep_request_duration_seconds_bucket')).toEqual(new Set(['endpoint,model,le']));
      expect(labelSets('holysheep_request_duration_seconds_count')).toEqual(new Set(['endpoint,model']));
      expect(labelSets('holysheep_tokens_total')).toEqual(new Set(['model,token_type']));
      expect(labelSets('holysheep_active_requests')).toEqual(new Set(['model']));
      expect(labelSets('holysheep_rate_limit_remaining')).toEqual(new Set(['model']));
      // The seed's own label values: endpoint as in its routes, token types as it counts them.
      expect(new Set(select(samples, 'holysheep_requests_total').map((s) => s.labels.endpoint))).toEqual(
        new Set(['chat/completions', 'completions']),
      );
      expect(new Set(select(samples, 'holysheep_tokens_total').map((s) => s.labels.token_type))).toEqual(
        new Set(['prompt', 'completion', 'total']),
      );
      const buckets = select(samples, 'holysheep_request_duration_seconds_bucket').map((s) => s.labels.le);
      for (const le of ['0.1', '0.25', '0.5', '1', '2.5', '5', '10']) expect(buckets).toContain(le);
      const types = familyTypes(text);
      expect(types.get('holysheep_requests_total')).toBe('counter');
      expect(types.get('holysheep_request_duration_seconds')).toBe('histogram');
      expect(types.get('holysheep_active_requests')).toBe('gauge');
    } finally {
      await close();
    }
  });
});

function promtool(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('promtool check metrics', () => {
  it.each([
    ['sheepdog, full profile, OpenTelemetry GenAI on', { metrics: { opentelemetry_genai: true } }],
    ['holysheep, seed profile', { metrics: { prefix: 'holysheep' } }],
  ])('passes on real output after every kind of traffic (%s)', async (_, config) => {
    const {
      sim: s,
      relay,
      close,
    } = await relayWithSimulator(
      { rateLimit: { requestsPerMinute: 500, tokensPerMinute: 100_000 } },
      config as ConfigInput,
      { metrics: true },
    );
    try {
      const client = relay.client();
      const done = relay.nextFinished(7);
      await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
      for await (const _ of await client.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }));
      await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hi' });
      s.setFaults({ cut_stream_after: 2 });
      await expect(
        (async () => {
          for await (const _ of await client.chat.completions.create({
            model: 'gpt-4.1',
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
          }));
        })(),
      ).rejects.toThrow();
      s.setFaults({ cut_stream_after: 0, chunk_delay_ms: 20 });
      let n = 0;
      for await (const _ of await client.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }))
        if (++n === 2) break;
      s.setFaults({ chunk_delay_ms: 0, error_rate: 1, error_status: 429 });
      await expect(client.chat.completions.create({ model: 'gpt-4.1', messages: [] })).rejects.toThrow();
      expect((await post(relay.url, { model: 'gpt-4.1' })).status).toBe(400);
      await done;
      const text = await (await fetch(`${relay.url}/metrics`)).text();
      const result = promtool(text);
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    } finally {
      await close();
    }
  });

  it('can fail: a gauge named like a counter is reported', () => {
    const bad = '# HELP x_total x\n# TYPE x_total gauge\nx_total 1\n';
    expect(promtool(bad).status).not.toBe(0);
  });
});
