// Every error status the relay promises, in OpenAI's shape, seen through the
// official client's error classes where a client can send the request.

import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayWithSimulator, startTestRelay, type TestRelay } from './helpers/relay.js';

const messages = [{ role: 'user' as const, content: 'hello' }];

async function post(relay: TestRelay, path: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${relay.baseURL}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { error: Record<string, unknown> },
  };
}

describe('request validation', () => {
  let relay: TestRelay;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ relay, close } = await relayWithSimulator(
      {},
      { server: { body_limit: 1024 }, upstream: { models: ['gpt-4.1'] } },
    ));
  });
  afterAll(() => close());

  it('400 for invalid JSON', async () => {
    const res = await post(relay, '/chat/completions', '{"model": "gpt-4.1", messages: [}');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(res.body.error.message).toMatch(/not valid JSON/);
    // The parser's message quotes the body as text, not as bytes.
    const quoted = await post(relay, '/chat/completions', '{"model": "gpt-4.1", "messages": 🐑}');
    expect(quoted.body.error.message).toMatch(/🐑/);
  });

  it('400 for a missing model or messages, as BadRequestError', async () => {
    const client = relay.client();
    // @ts-expect-error: deliberately missing messages
    const noMessages = client.chat.completions.create({ model: 'gpt-4.1' });
    await expect(noMessages).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(noMessages).rejects.toMatchObject({ status: 400, code: 'missing_field', param: 'messages' });
    const noModel = post(relay, '/chat/completions', JSON.stringify({ messages }));
    expect((await noModel).body.error).toMatchObject({ code: 'missing_field', param: 'model' });
    expect((await post(relay, '/embeddings', JSON.stringify({ model: 'gpt-4.1' }))).body.error.param).toBe(
      'input',
    );
    expect((await post(relay, '/chat/completions', '[1,2]')).status).toBe(400);
  });

  it('404 for a model no upstream lists, as NotFoundError', async () => {
    const call = relay.client().chat.completions.create({ model: 'gpt-9-imaginary', messages });
    await expect(call).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(call).rejects.toMatchObject({ code: 'unknown_model', param: 'model' });
    // A name beyond ASCII is read as the client wrote it, not as its UTF-8 bytes.
    const named = relay.client().chat.completions.create({ model: 'mô-hình-🐑', messages });
    await expect(named).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('mô-hình-🐑'),
    });
  });

  it('413 for a body over the configured limit', async () => {
    const big = JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const call = relay.client().chat.completions.create(JSON.parse(big));
    await expect(call).rejects.toMatchObject({ status: 413, code: 'body_too_large' });
  });

  it('415 for a non-JSON content type', async () => {
    const res = await post(relay, '/chat/completions', 'model=gpt-4.1', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('404 for unknown paths and 405 for wrong methods, still OpenAI-shaped', async () => {
    const unknown = await fetch(`${relay.url}/v1/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const wrong = await fetch(`${relay.baseURL}/chat/completions`);
    expect(wrong.status).toBe(405);
  });

  it('records rejected requests as finished with outcome rejected', async () => {
    const next = relay.nextFinished();
    await post(relay, '/chat/completions', 'nope');
    const [first] = await next;
    const info = first?.info;
    expect(info).toMatchObject({ outcome: 'rejected', status: 400 });
  });
});

describe('upstream failures', () => {
  it('502 when the upstream is unreachable', async () => {
    // A port that was just free and is now closed: connection refused.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const relay = await startTestRelay({
      upstreams: [{ name: 'dead', base_url: `http://127.0.0.1:${port}/v1` }],
    });
    const call = relay.client().chat.completions.create({ model: 'gpt-4.1', messages });
    await expect(call).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(call).rejects.toMatchObject({ status: 502, code: 'upstream_unreachable' });
    await relay.close();
  });

  it('502 when the upstream resets the connection before answering', async () => {
    const { relay, close } = await relayWithSimulator({ faults: { reset_rate: 1 } });
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toMatchObject({
      status: 502,
      code: 'upstream_reset',
    });
    await close();
  });

  it('504 when the upstream is slower than the first-byte timeout', async () => {
    const { relay, close } = await relayWithSimulator(
      { faults: { latency_ms: 2_000 } },
      { upstream: { timeouts: { first_byte_ms: 200 } } },
    );
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toMatchObject({
      status: 504,
      code: 'upstream_timeout',
    });
    await close();
  });

  it('passes upstream 4xx/5xx through with status, body and Retry-After', async () => {
    const { relay, sim, close } = await relayWithSimulator({
      faults: { error_rate: 1, error_status: 429, retry_after_s: 7 },
    });
    const res = await fetch(`${relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    const body = (await res.json()) as { error: { type: string } };
    expect(body.error.type).toBeTruthy();
    const viaClient = relay.client().chat.completions.create({ model: 'gpt-4.1', messages });
    await expect(viaClient).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    sim.setFaults({ error_status: 503 });
    await expect(
      relay.client().chat.completions.create({ model: 'gpt-4.1', messages }),
    ).rejects.toMatchObject({
      status: 503,
    });
    await close();
  });

  it('503 with Retry-After when no upstream is configured at all', async () => {
    const relay = await startTestRelay({ upstreams: [] });
    const call = relay.client().chat.completions.create({ model: 'gpt-4.1', messages });
    await expect(call).rejects.toMatchObject({ status: 503, code: 'no_upstream_available' });
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(503);
    await relay.close();
  });
});
