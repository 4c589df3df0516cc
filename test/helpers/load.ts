// Open-loop load for resilience tests: requests start on a fixed schedule,
// whatever the earlier ones are doing, as real users do.

import type OpenAI from 'openai';

export interface LoadResult {
  index: number;
  stream: boolean;
  ok: boolean;
  status: number | undefined;
  latencyMs: number;
  upstream: string | null;
  startedAtMs: number;
  error?: string;
}

/** One chat request (JSON or stream, fully consumed); never throws. */
export async function chatOnce(
  client: OpenAI,
  index: number,
  stream: boolean,
  t0: number,
): Promise<LoadResult> {
  const started = performance.now();
  const base = { index, stream, startedAtMs: started - t0 };
  const messages = [{ role: 'user' as const, content: `request ${index}` }];
  try {
    let response: Response;
    if (stream) {
      const answer = await client.chat.completions
        .create({ model: 'gpt-4.1', messages, stream: true })
        .withResponse();
      for await (const _chunk of answer.data) {
      }
      response = answer.response;
    } else {
      ({ response } = await client.chat.completions.create({ model: 'gpt-4.1', messages }).withResponse());
    }
    return {
      ...base,
      ok: true,
      status: 200,
      latencyMs: performance.now() - started,
      upstream: response.headers.get('x-sheepdog-upstream'),
    };
  } catch (err) {
    const status = (err as { status?: number }).status;
    return {
      ...base,
      ok: false,
      status,
      latencyMs: performance.now() - started,
      upstream: null,
      error: String(err),
    };
  }
}

/**
 * Sends `count` requests at `ratePerSecond` (alternating JSON and stream),
 * calling `at(ms)` hooks on schedule, and resolves with every result.
 */
export async function openLoop(
  client: OpenAI,
  count: number,
  ratePerSecond: number,
  hooks: Array<{ atMs: number; run: () => void }> = [],
): Promise<LoadResult[]> {
  const t0 = performance.now();
  const pending: Array<Promise<LoadResult>> = [];
  const todo = [...hooks].sort((a, b) => a.atMs - b.atMs);
  for (let i = 0; i < count; i++) {
    const due = (i * 1000) / ratePerSecond;
    const wait = due - (performance.now() - t0);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (todo.length > 0 && todo[0]!.atMs <= performance.now() - t0) todo.shift()!.run();
    pending.push(chatOnce(client, i, i % 2 === 1, t0));
  }
  return Promise.all(pending);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
