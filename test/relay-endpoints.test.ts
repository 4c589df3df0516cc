// The relay's OpenAI-compatible surface, spoken to by the official client.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCompletion, type Simulator } from '../src/simulator/index.js';
import { relayWithSimulator, type TestRelay } from './helpers/relay.js';

let sim: Simulator;
let relay: TestRelay;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sim, relay, close } = await relayWithSimulator({ seed: 7 }));
});
afterAll(() => close());

const messages = [
  { role: 'system' as const, content: 'Bạn là trợ lý bán hàng thông minh' },
  { role: 'user' as const, content: 'Tôi muốn mua laptop dưới 20 triệu' },
];

describe('chat completions', () => {
  it('answers a non-stream request with the upstream content and usage', async () => {
    const body = { model: 'gpt-4.1', messages, temperature: 0.7, max_tokens: 500 };
    const answer = await relay.client().chat.completions.create(body);
    expect(answer.choices[0]?.message.content).toBe(generateCompletion(7, body).join(''));
    expect(answer.usage?.completion_tokens).toBe(generateCompletion(7, body).length);
    expect(answer.usage?.total_tokens).toBe(
      (answer.usage?.prompt_tokens ?? 0) + (answer.usage?.completion_tokens ?? 0),
    );
  });

  it('streams deltas whose concatenation equals what the simulator generated', async () => {
    const body = { model: 'gpt-4.1', messages };
    const finished = relay.nextFinished();
    const stream = await relay.client().chat.completions.create({ ...body, stream: true });
    let text = '';
    let chunks = 0;
    let sawUsage = false;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe(generateCompletion(7, body).join(''));
    expect(chunks).toBe(generateCompletion(7, body).length + 2); // role chunk + tokens + finish chunk
    // The client did not ask for usage, so the usage-only chunk Sheepdog asked for is not relayed...
    expect(sawUsage).toBe(false);
    // ...though the upstream was asked for it, so the relay could count the tokens.
    const seen = sim.requests().at(-1)?.body as { stream_options?: { include_usage?: boolean } };
    expect(seen.stream_options?.include_usage).toBe(true);
    // The first token's time is recorded (metrics and logs read it from the record).
    const [done] = await finished;
    expect(done?.record.firstTokenAt).toBeGreaterThan(done!.record.startedAt);
    expect(done?.record.firstByteAt).toBeGreaterThan(done!.record.startedAt);
  });

  it('relays the usage chunk when the client asked for it', async () => {
    const stream = await relay.client().chat.completions.create({
      model: 'deepseek-v3.2',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: { total_tokens: number } | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('sends the client bytes upstream unchanged when nothing must change', async () => {
    const raw = '{"model":"gpt-4.1",  "messages":[{"role":"user","content":"hi"}], "user":"u1"}';
    const res = await fetch(`${relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw,
    });
    expect(res.status).toBe(200);
    await res.json();
    expect(sim.requests().at(-1)?.body).toEqual(JSON.parse(raw));
  });

  it('re-serialises a Vietnamese conversation intact when the relay must change the body', async () => {
    // stream_options without include_usage: the relay rewrites the body rather than splicing into it.
    const body = {
      model: 'gpt-4.1',
      messages,
      stream: true as const,
      stream_options: { include_usage: false },
    };
    const stream = await relay.client().chat.completions.create(body);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(generateCompletion(7, body).join(''));
    expect(sim.requests().at(-1)?.body).toEqual({ ...body, stream_options: { include_usage: true } });
  });

  it('accepts and returns x-request-id, and generates one otherwise', async () => {
    const given = await relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages }, { headers: { 'x-request-id': 'req-abc.123' } })
      .withResponse();
    expect(given.response.headers.get('x-request-id')).toBe('req-abc.123');
    expect(sim.requests().at(-1)?.headers['x-request-id']).toBe('req-abc.123');
    const generated = await relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages })
      .withResponse();
    expect(generated.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('other endpoints', () => {
  it('relays legacy completions, streamed and not', async () => {
    const body = { model: 'gpt-4o-mini', prompt: 'Say hello' };
    const answer = await relay.client().completions.create(body);
    expect(answer.choices[0]?.text).toBe(generateCompletion(7, body).join(''));
    const stream = await relay.client().completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(answer.choices[0]?.text);
  });

  it('relays embeddings in the client default (base64) and float formats', async () => {
    const client = relay.client();
    const b64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(b64.data).toHaveLength(2);
    expect(b64.data[0]?.embedding).toHaveLength(1536);
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'a',
      encoding_format: 'float',
      dimensions: 8,
    });
    expect(floats.data[0]?.embedding).toHaveLength(8);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('lists models in the OpenAI list shape', async () => {
    const ids: string[] = [];
    for await (const model of relay.client().models.list()) ids.push(model.id);
    expect(ids).toEqual(
      expect.arrayContaining(['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2']),
    );
  });

  it('answers health, liveness and readiness probes', async () => {
    expect(await (await fetch(`${relay.url}/health`)).json()).toMatchObject({ status: 'healthy' });
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(200);
  });
});
