// The upstream simulator over real loopback sockets: the official openai client for the model endpoints,
// plain fetch for faults, stats, headers and the control plane.
import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  countPromptTokens,
  generateCompletion,
  type Simulator,
  startSimulator,
} from '../src/simulator/index.js';

let sim: Simulator;
let client: OpenAI;
let control: string;

const messages = [
  { role: 'system' as const, content: 'You are a helpful assistant.' },
  { role: 'user' as const, content: 'Tell me about sheepdogs.' },
];
const chatBody = { model: 'gpt-4.1', messages };

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
  control = sim.url.replace(/\/v1$/, '/_sim');
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    body: text,
    headers: { 'content-type': 'application/json' },
    ...init,
  });
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const errorOf = async (res: Response): Promise<ErrorBody['error']> => ((await res.json()) as ErrorBody).error;

async function setFaults(patch: unknown): Promise<Response> {
  return fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify(patch) });
}

/** Polls until `check` holds; a bounded loop instead of a guessed sleep. */
async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface ReadResult {
  events: { data: string; atMs: number }[];
  error: unknown;
}

/** Reads SSE `data:` payloads with their arrival times; a broken body is returned as `error`, not thrown. */
async function readEvents(res: Response): Promise<ReadResult> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: ReadResult['events'] = [];
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { events, error: undefined };
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        events.push({ data: buffer.slice(0, end).replace(/^data: /, ''), atMs: performance.now() });
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (error) {
    return { events, error };
  }
}

const contentOf = (events: ReadResult['events']): string[] =>
  events
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data).choices[0]?.delta?.content)
    .filter((c): c is string => typeof c === 'string' && c !== '');

describe('model endpoints through the openai client', () => {
  it('answers chat with the predicted content and usage', async () => {
    const completion = await client.chat.completions.create(chatBody);
    const tokens = generateCompletion(42, chatBody);
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('gpt-4.1');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: tokens.join('') });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const promptTokens = countPromptTokens(chatBody);
    expect(completion.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(sim.stats().usage_reported.total_tokens).toBe(promptTokens + tokens.length);
  });

  it('streams the same content as the JSON answer, with the usage chunk last', async () => {
    const plain = await client.chat.completions.create(chatBody);
    const stream = await client.chat.completions.create({
      ...chatBody,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(plain.choices[0]?.message.content);
    const finish = chunks.at(-2);
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual(plain.usage);
    expect(chunks.length).toBe(generateCompletion(42, chatBody).length + 3);
    expect(sim.stats().usage_reported.total_tokens).toBe(2 * (plain.usage?.total_tokens ?? 0));
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const completion = await client.chat.completions.create({ ...chatBody, max_tokens: 3 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.choices[0]?.message.content).toBe(
      generateCompletion(42, chatBody).slice(0, 3).join(''),
    );
  });

  it('serves legacy completions, streamed and not', async () => {
    const body = { model: 'gpt-4o-mini', prompt: 'Once upon a time' };
    const plain = await client.completions.create(body);
    expect(plain.object).toBe('text_completion');
    expect(plain.choices[0]?.text).toBe(generateCompletion(42, body).join(''));
    expect(plain.usage?.prompt_tokens).toBe(4);
    const stream = await client.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(plain.choices[0]?.text);
  });

  it('returns the same unit vectors as base64 (client default) and as floats', async () => {
    const input = ['sheep', 'dog'];
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input });
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input,
      encoding_format: 'float',
    });
    expect(decoded.data).toHaveLength(2);
    expect(Array.from(decoded.data[0]?.embedding ?? [])).toEqual(floats.data[0]?.embedding);
    expect(floats.data[0]?.embedding).toHaveLength(1536);
    const norm = Math.hypot(...(floats.data[1]?.embedding ?? []));
    expect(norm).toBeCloseTo(1, 5);
    expect(floats.data[0]?.embedding).not.toEqual(floats.data[1]?.embedding);
    expect(floats.usage).toEqual({ prompt_tokens: 2 + 1, total_tokens: 3 });
    const small = await client.embeddings.create({ model: 'm', input: 'sheep', dimensions: 8 });
    expect(small.data[0]?.embedding).toHaveLength(8);
  });

  it('lists the configured models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([
      'gpt-4.1',
      'claude-sonnet-4.5',
      'gemini-2.5-flash',
      'deepseek-v3.2',
      'gpt-4o-mini',
      'text-embedding-3-small',
    ]);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'sheepdog-simulator' });
  });
});

describe('HTTP surface', () => {
  it('sends OpenAI-shaped 400s and 404s, and serves paths without /v1', async () => {
    const badJson = await post('/chat/completions', '{"model":');
    expect(badJson.status).toBe(400);
    expect(await errorOf(badJson)).toMatchObject({ type: 'invalid_request_error', param: null });
    const noMessages = await post('/chat/completions', { model: 'gpt-4.1' });
    expect(await errorOf(noMessages)).toMatchObject({ param: 'messages' });
    const noModel = await post('/chat/completions', { messages });
    expect((await errorOf(noModel)).param).toBe('model');
    const unknown = await post('/nope', {});
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).type).toBe('invalid_request_error');
    const bare = await fetch(`${sim.url.replace(/\/v1$/, '')}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(chatBody),
    });
    expect(bare.status).toBe(200);
    expect(sim.stats().by_path).toEqual({ '/v1/chat/completions': 4, '/v1/nope': 1 });
  });

  it('counts rate-limit headers down per request and tokens', async () => {
    const first = await post('/chat/completions', chatBody);
    const second = await post('/chat/completions', chatBody);
    const { total_tokens } = ((await second.json()) as { usage: { total_tokens: number } }).usage;
    const h1 = first.headers;
    const h2 = second.headers;
    expect(h1.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(h1.get('x-ratelimit-limit-tokens')).toBe('2000000');
    expect(Number(h1.get('x-ratelimit-remaining-requests')) - 1).toBe(
      Number(h2.get('x-ratelimit-remaining-requests')),
    );
    expect(Number(h1.get('x-ratelimit-remaining-tokens')) - total_tokens).toBe(
      Number(h2.get('x-ratelimit-remaining-tokens')),
    );
    expect(h2.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?\d+(\.\d+)?s$|^\d+ms$/);
  });

  it('records the last 100 requests with lower-cased headers and parsed bodies', async () => {
    for (let i = 0; i < 105; i++)
      await post('/embeddings', { model: 'e', input: `n${i}` }, { headers: { 'X-Trace': 't' } });
    const recorded = sim.requests();
    expect(recorded).toHaveLength(100);
    expect(recorded[0]?.body).toEqual({ model: 'e', input: 'n5' });
    expect(recorded[99]).toMatchObject({
      method: 'POST',
      path: '/v1/embeddings',
      headers: { 'x-trace': 't' },
    });
    const viaHttp = await (await fetch(`${control}/requests`)).json();
    expect(viaHttp).toHaveLength(100);
  });
});

describe('faults', () => {
  it('merges, validates and clears faults over the control plane', async () => {
    const merged = await setFaults({ latency_ms: 5, error_status: 503 });
    expect(await merged.json()).toMatchObject({ latency_ms: 5, error_status: 503, error_rate: 0 });
    await setFaults({ error_rate: 0.5 });
    expect(sim.faults()).toMatchObject({ latency_ms: 5, error_rate: 0.5 });
    expect((await setFaults({ error_rat: 1 })).status).toBe(400);
    expect((await setFaults({ error_rate: 2 })).status).toBe(400);
    expect((await setFaults({ latency_ms: 'slow' })).status).toBe(400);
    expect(() => sim.setFaults({ reset_rate: -1 })).toThrow();
    expect(await (await fetch(`${control}/faults`)).json()).toMatchObject({ error_rate: 0.5 });
    await fetch(`${control}/faults`, { method: 'DELETE' });
    expect(sim.faults()).toMatchObject({ latency_ms: 0, error_rate: 0, error_status: 500 });
  });

  it('injects exactly rate * n errors, evenly spread', async () => {
    await setFaults({ error_rate: 0.25 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await post('/chat/completions', chatBody)).status);
    const failed = statuses.flatMap((status, i) => (status === 500 ? [i] : []));
    expect(failed).toEqual([3, 7, 11, 15, 19, 23, 27, 31, 35, 39]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(sim.stats()).toMatchObject({ errors_injected: 10, requests_total: 40, completed: 40 });
  });

  it('sends 429 with Retry-After, which the openai client surfaces', async () => {
    sim.setFaults({ error_rate: 1, error_status: 429, retry_after_s: 2 });
    const res = await post('/chat/completions', chatBody);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await errorOf(res)).code).toBe('rate_limit_exceeded');
    await expect(client.chat.completions.create(chatBody)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(sim.stats().usage_reported.total_tokens).toBe(0);
  });

  it('resets the connection before any header', async () => {
    sim.setFaults({ reset_rate: 1 });
    await expect(post('/chat/completions', chatBody)).rejects.toThrow();
    expect(sim.stats()).toMatchObject({ resets_injected: 1, aborted: 0, in_flight: 0 });
  });

  it('cuts a stream after N content chunks without [DONE]', async () => {
    sim.setFaults({ cut_stream_after: 3 });
    const { events, error } = await readEvents(
      await post('/chat/completions', { ...chatBody, stream: true }),
    );
    expect(error).toBeDefined();
    expect(events.map((e) => e.data)).not.toContain('[DONE]');
    expect(contentOf(events)).toEqual(generateCompletion(42, chatBody).slice(0, 3));
    const stream = await client.chat.completions.create({ ...chatBody, stream: true });
    await expect(async () => {
      for await (const _chunk of stream);
    }).rejects.toThrow();
    expect(sim.stats()).toMatchObject({ cuts_injected: 2, aborted: 0 });
  });

  it('applies latency, time to first token and a single stall', async () => {
    sim.setFaults({ latency_ms: 100, ttft_ms: 150, stall_ms: 400, stall_after: 2 });
    const startMs = performance.now();
    const res = await post('/chat/completions', { ...chatBody, stream: true });
    const headersMs = performance.now();
    const { events, error } = await readEvents(res);
    expect(error).toBeUndefined();
    expect(headersMs - startMs).toBeGreaterThanOrEqual(95);
    expect((events[0]?.atMs ?? 0) - headersMs).toBeGreaterThanOrEqual(140);
    const gaps = events.slice(1).map((e, i) => e.atMs - (events[i]?.atMs ?? 0));
    const longest = Math.max(...gaps);
    expect(longest).toBeGreaterThanOrEqual(390);
    // events[0] is the role chunk, so content chunk 2 (after the stall) is events[3]: gap 2.
    expect(gaps.indexOf(longest)).toBe(2);
    expect(events.at(-1)?.data).toBe('[DONE]');
  });

  it('counts a caller that hangs up as aborted and stops its timers', async () => {
    sim.setFaults({ latency_ms: 250 });
    const startMs = Date.now();
    const controller = new AbortController();
    const pending = post('/chat/completions', chatBody, { signal: controller.signal });
    await waitFor(() => sim.stats().in_flight === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => sim.stats().aborted === 1);
    expect(sim.stats()).toMatchObject({ in_flight: 0, completed: 0 });
    // Negative check, so it needs a window: past the latency, a handler still running would report usage.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startMs + 400 - Date.now())));
    expect(sim.stats().usage_reported.total_tokens).toBe(0);

    sim.setFaults({ latency_ms: 0, chunk_delay_ms: 30 });
    const streamAbort = new AbortController();
    const res = await post(
      '/chat/completions',
      { ...chatBody, stream: true },
      { signal: streamAbort.signal },
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    streamAbort.abort();
    await waitFor(() => sim.stats().aborted === 2);
    expect(sim.stats()).toMatchObject({ in_flight: 0, completed: 0 });
  });

  it('waits for drain when the reader is slow, and delivers the paced stream intact', async () => {
    // ~10 MB: more than the loopback socket buffers can absorb while the reader is paused.
    const tokens = 1_500_000;
    const big = await startSimulator({
      completionTokens: tokens,
      tokensPerChunk: 1000,
      faults: { stall_ms: 1 },
    });
    try {
      const body = { model: 'm', prompt: 'p', stream: true, stream_options: { include_usage: true } };
      let usageWhilePaused = -1;
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(new URL(`${big.url}/completions`), { method: 'POST' }, (res) => {
          res.pause();
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks).toString()));
          res.on('error', reject);
          // A negative check needs a window: had the server ignored backpressure, it would have reached the
          // usage chunk (and counted it) within this time.
          setTimeout(() => {
            usageWhilePaused = big.stats().usage_reported.total_tokens;
            res.resume();
          }, 300);
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
      expect(usageWhilePaused).toBe(0);
      const events = text.split('\n\n').filter((e) => e.startsWith('data: {'));
      const streamed = events.map((e) => JSON.parse(e.slice(6)).choices[0]?.text ?? '').join('');
      expect(streamed).toBe(generateCompletion(42, body, { completionTokens: tokens }).join(''));
      expect(events).toHaveLength(tokens / 1000 + 2);
      expect(big.stats()).toMatchObject({
        completed: 1,
        aborted: 0,
        usage_reported: { completion_tokens: tokens },
      });
    } finally {
      await big.close();
    }
  });
});

describe('options', () => {
  it('requires the api key on model endpoints only', async () => {
    const guarded = await startSimulator({ apiKey: 'secret' });
    try {
      const wrong = new OpenAI({ baseURL: guarded.url, apiKey: 'nope', maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      const right = new OpenAI({ baseURL: guarded.url, apiKey: 'secret', maxRetries: 0 });
      expect((await right.chat.completions.create(chatBody)).choices).toHaveLength(1);
      const res = await fetch(`${guarded.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(chatBody),
      });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('invalid_api_key');
      expect((await fetch(guarded.url.replace(/\/v1$/, '/_sim/stats'))).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('supports plain and absent rate-limit headers, and enforcement', async () => {
    const plain = await startSimulator({
      rateLimit: { requestsPerMinute: 2, tokensPerMinute: 10_000, headerStyle: 'plain', enforce: true },
    });
    const none = await startSimulator({
      rateLimit: { requestsPerMinute: 5, tokensPerMinute: 5, headerStyle: 'none' },
    });
    try {
      const send = (s: Simulator) =>
        fetch(`${s.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chatBody) });
      const first = await send(plain);
      expect([first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual([
        '2',
        '1',
      ]);
      expect(first.headers.get('x-ratelimit-limit-requests')).toBeNull();
      await send(plain);
      const third = await send(plain);
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      const quiet = await send(none);
      expect(quiet.status).toBe(200);
      expect([...quiet.headers.keys()].filter((k) => k.startsWith('x-ratelimit'))).toEqual([]);
    } finally {
      await Promise.all([plain.close(), none.close()]);
    }
  });

  it('groups tokens per chunk and closes with open streams', async () => {
    const grouped = await startSimulator({ completionTokens: 10, tokensPerChunk: 4, seed: 7 });
    const res = await fetch(`${grouped.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...chatBody, stream: true }),
    });
    const content = contentOf((await readEvents(res)).events);
    const tokens = generateCompletion(7, chatBody, { completionTokens: 10 });
    expect(content).toEqual([
      tokens.slice(0, 4).join(''),
      tokens.slice(4, 8).join(''),
      tokens.slice(8).join(''),
    ]);

    grouped.setFaults({ ttft_ms: 60_000 });
    const hanging = await fetch(`${grouped.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...chatBody, stream: true }),
    });
    const read = readEvents(hanging);
    await grouped.close();
    expect((await read).error).toBeDefined();
    await expect(fetch(`${grouped.url}/models`)).rejects.toThrow();
  });
});
