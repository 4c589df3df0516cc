// Streams: relayed as they arrive, aborts reaching the provider, and streams
// that break never looking like a success.

import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UpstreamAttempt } from '../src/proxy/attempt.js';
import type { Simulator } from '../src/simulator/index.js';
import { estimateUsage, TextTally } from '../src/stream/token-estimate.js';
import { eventually, relayWithSimulator, type TestRelay } from './helpers/relay.js';

const messages = [{ role: 'user' as const, content: 'tell me a story' }];
let env: { sim: Simulator; relay: TestRelay; close(): Promise<void> } | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Reads a stream to its end; the text that arrived stays in `got.text` when it fails. */
async function readInto(
  got: { text: string },
  stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>,
): Promise<void> {
  for await (const chunk of stream) got.text += chunk.choices[0]?.delta.content ?? '';
}

describe('streaming', () => {
  it('delivers the first chunks before the upstream has finished (no buffering)', async () => {
    env = await relayWithSimulator({ completionTokens: 6, faults: { chunk_delay_ms: 300 } });
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // role chunk
    const first = await iterator.next(); // first token
    expect(first.value?.choices[0]?.delta.content).toBeTruthy();
    // The upstream is still producing the remaining chunks at 300 ms each.
    expect(env.sim.stats().in_flight).toBe(1);
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {}
    await eventually(() => env!.sim.stats().in_flight === 0);
  });

  it('aborts the upstream request at once when the client disconnects mid-stream', async () => {
    env = await relayWithSimulator({ completionTokens: 200, faults: { chunk_delay_ms: 20 } });
    const finished = env.relay.nextFinished();
    const controller = new AbortController();
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true }, { signal: controller.signal });
    let seen = 0;
    for await (const _chunk of stream) {
      if (++seen === 5) controller.abort();
    }
    await eventually(() => env!.sim.stats().aborted === 1);
    expect(env.sim.stats().in_flight).toBe(0);
    const [done] = await finished;
    expect(done?.info).toMatchObject({ outcome: 'aborted', status: 499 });
    // Usage never arrived: it is estimated from the streamed text and marked so.
    expect(done?.record.usageSource).toBe('estimated');
    expect(done?.record.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('estimates the prompt of an aborted stream from its text, not from the bytes routing parsed', async () => {
    env = await relayWithSimulator({ completionTokens: 200, faults: { chunk_delay_ms: 20 } });
    const finished = env.relay.nextFinished();
    const controller = new AbortController();
    const vietnamese = [
      { role: 'user' as const, content: 'Tôi muốn mua laptop dưới 20 triệu cho con học đại học 🐑' },
    ];
    const stream = await env.relay
      .client()
      .chat.completions.create(
        { model: 'gpt-4.1', messages: vietnamese, stream: true },
        { signal: controller.signal },
      );
    let seen = 0;
    for await (const _chunk of stream) {
      if (++seen === 3) controller.abort();
    }
    const [done] = await finished;
    expect(done?.record.usageSource).toBe('estimated');
    const expected = await estimateUsage(
      'chat/completions',
      { model: 'gpt-4.1', messages: vietnamese },
      new TextTally(),
    );
    expect(done?.record.usage?.promptTokens).toBe(expected.promptTokens);
  });

  it('cancels the upstream call when a client gives up on a slow non-stream request', async () => {
    env = await relayWithSimulator({ faults: { latency_ms: 5_000 } });
    const finished = env.relay.nextFinished();
    const controller = new AbortController();
    const call = env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages }, { signal: controller.signal });
    await eventually(() => env!.sim.stats().in_flight === 1);
    controller.abort();
    await expect(call).rejects.toThrow();
    await eventually(() => env!.sim.stats().aborted === 1);
    const [done] = await finished;
    expect(done?.info).toMatchObject({ outcome: 'aborted', status: 499 });
  });

  it('ends a stream the upstream cuts with an SSE error the openai client raises, recorded as failed', async () => {
    env = await relayWithSimulator({ completionTokens: 20, faults: { cut_stream_after: 5 } });
    const finished = env.relay.nextFinished();
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const got = { text: '' };
    const failure = readInto(got, stream);
    await expect(failure).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(failure).rejects.toMatchObject({ error: { code: 'upstream_stream_cut' } });
    expect(got.text.split(' ')).toHaveLength(5);
    const [done] = await finished;
    expect(done?.info).toMatchObject({ outcome: 'stream_cut', status: 200 });
  });

  it('relays a long stream read in large, event-splitting reads event for event, dropping only the usage chunk', async () => {
    env = await relayWithSimulator({ seed: 11, completionTokens: 3_000 });
    const body = JSON.stringify({ model: 'gpt-4.1', messages, stream: true });
    const post = (base: string): Promise<string> =>
      fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then((res) => res.text());
    // Ids and timestamps differ per request; everything else is the same seeded stream.
    const normalise = (text: string): string[] =>
      text
        .replace(/"id":"[^"]*"/g, '"id":"x"')
        .replace(/"created":\d+/g, '"created":0')
        .split('\n\n')
        .filter(Boolean);
    const direct = normalise(await post(env.sim.url));
    const relayed = normalise(await post(env.relay.baseURL));
    // ~600 KB: the relay reads it in 64 KB reads that cut events, takes the usage chunk it asked
    // for out of the middle of one, and forwards the rest without joining it first.
    expect(direct.join('').length).toBeGreaterThan(500_000);
    expect(relayed).toEqual(direct);
  });

  it('writes the exact error event bytes after a cut', async () => {
    env = await relayWithSimulator({ completionTokens: 4, faults: { cut_stream_after: 2 } });
    const res = await fetch(`${env.relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages, stream: true }),
    });
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe(
      'data: {"error":{"message":"Upstream sim ended the stream before it finished","type":"upstream_error","param":null,"code":"upstream_stream_cut"}}',
    );
    expect(text).not.toContain('[DONE]');
  });

  it('cuts a stream still running at its total deadline, after its first token came in time', async () => {
    // The first-token deadline passes mid-stream (the answer had started): it re-arms for the rest of the total.
    env = await relayWithSimulator(
      { completionTokens: 60, faults: { chunk_delay_ms: 50 } },
      { upstream: { timeouts: { first_token_ms: 400, total_ms: 1_200 } } },
    );
    const finished = env.relay.nextFinished();
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const got = { text: '' };
    await expect(readInto(got, stream)).rejects.toMatchObject({ error: { code: 'upstream_timeout' } });
    const words = got.text.trim().split(' ').length;
    expect(words).toBeGreaterThan(5); // well past the first-token deadline...
    expect(words).toBeLessThan(60); // ...but not to the end
    const [done] = await finished;
    expect(done?.info).toMatchObject({ outcome: 'stream_cut', errorCode: 'total_timeout' });
    await eventually(() => env!.sim.stats().aborted === 1);
  });

  it('waits for a first byte slower than the idle timeout: idle counts only once the answer began', async () => {
    env = await relayWithSimulator(
      { faults: { latency_ms: 700 } },
      { upstream: { timeouts: { first_byte_ms: 5_000, idle_ms: 200 } }, retry: { max_attempts: 1 } },
    );
    const finished = env.relay.nextFinished();
    const answer = await env.relay.client().chat.completions.create({ model: 'gpt-4.1', messages });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const [done] = await finished;
    expect(done?.info.outcome).toBe('success');
    expect(done?.info.durationMs).toBeGreaterThan(600);
  });

  it('answers 504 naming the total deadline when it is shorter than the first-byte one', async () => {
    env = await relayWithSimulator(
      { faults: { latency_ms: 3_000 } },
      { upstream: { timeouts: { first_byte_ms: 60_000, total_ms: 300 } }, retry: { max_attempts: 1 } },
    );
    const res = await fetch(`${env.relay.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
    });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'Upstream sim did not finish within 300 ms',
    );
  });

  it('fails a stream that stalls longer than the idle timeout', async () => {
    env = await relayWithSimulator(
      { completionTokens: 10, faults: { stall_ms: 5_000, stall_after: 3 } },
      { upstream: { timeouts: { idle_ms: 300 } } },
    );
    const finished = env.relay.nextFinished();
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    await expect(readInto({ text: '' }, stream)).rejects.toMatchObject({
      error: { code: 'upstream_timeout' },
    });
    const [done] = await finished;
    expect(done?.info.outcome).toBe('stream_cut');
    await eventually(() => env!.sim.stats().aborted === 1);
  });

  it('lets a stream run past the idle timeout as long as no gap between chunks reaches it', async () => {
    env = await relayWithSimulator(
      { completionTokens: 12, faults: { chunk_delay_ms: 100 } },
      { upstream: { timeouts: { idle_ms: 300 } } },
    );
    const finished = env.relay.nextFinished();
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const got = { text: '' };
    await readInto(got, stream);
    const [done] = await finished;
    expect(done?.info.outcome).toBe('success');
    expect(done?.info.durationMs).toBeGreaterThan(900);
  });

  it('does not count a slow client against the upstream: held back longer than the idle timeout, the stream completes', async () => {
    env = await relayWithSimulator(
      { completionTokens: 60_000 },
      { upstream: { timeouts: { idle_ms: 300 } } },
    );
    const finished = env.relay.nextFinished();
    const stream = await env.relay
      .client()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    let chunks = (await iterator.next()).done ? 0 : 1;
    const checks = vi.spyOn(UpstreamAttempt.prototype, 'deadlinePassed');
    // The client stops reading for four idle timeouts: the stream (~10 MB) fills the socket buffers
    // between them, the relay holds the upstream back, and that silence is the client's doing.
    // (The wait is the scenario itself, a slow reader, not a synchronisation.)
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // Meanwhile the attempt's watchdog looked once an idle period (300 ms), not in a tight loop.
    expect(checks.mock.calls.length).toBeGreaterThan(0);
    expect(checks.mock.calls.length).toBeLessThan(12);
    checks.mockRestore();
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) chunks++;
    const [done] = await finished;
    expect(done?.info.outcome).toBe('success');
    expect(done?.record.usage?.completionTokens).toBe(60_000);
    expect(chunks).toBeGreaterThan(60_000);
  });

  it('answers a stream that fails before its first token with a proper HTTP error', async () => {
    env = await relayWithSimulator(
      { completionTokens: 10, faults: { ttft_ms: 3_000 } },
      { upstream: { timeouts: { first_token_ms: 200 } } },
    );
    const call = env.relay.client().chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    await expect(call).rejects.toMatchObject({ status: 504, code: 'upstream_timeout' });
  });
});
