// The server-held upstream key replaces the client's, and never leaks: not in
// a log line, a response header or body, an error message or the model list.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { startTestRelay, type TestRelay } from './helpers/relay.js';

const KEY = 'sk-live-TOPSECRET-0123456789';
let sim: Simulator;
let relay: TestRelay;
const seen: string[] = [];

async function capture(res: Response): Promise<void> {
  seen.push(JSON.stringify([...res.headers.entries()]), await res.text());
}

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY, completionTokens: 5 });
  relay = await startTestRelay({
    log: { level: 'trace' },
    upstreams: [
      { name: 'sim', base_url: sim.url, api_key: KEY },
      {
        name: 'wrong',
        base_url: sim.url.replace('/v1', '/other/v1'),
        api_key: `${KEY}-x`,
        models: ['only-here'],
      },
    ],
  });
});
afterAll(async () => {
  await relay.close();
  await sim.close();
});

describe('upstream key', () => {
  it('replaces whatever Authorization the client sent', async () => {
    const client = relay.client({ apiKey: 'client-dummy-key' });
    await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    expect(sim.requests().at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('never appears in logs, headers, bodies or errors', async () => {
    const post = (body: unknown, path = '/chat/completions') =>
      fetch(`${relay.baseURL}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
        body: JSON.stringify(body),
      });
    const messages = [{ role: 'user', content: 'hi' }];
    await capture(await post({ model: 'gpt-4.1', messages }));
    await capture(await post({ model: 'gpt-4.1', messages, stream: true }));
    await capture(await post({ model: 'text-embedding-3-small', input: 'x' }, '/embeddings'));
    await capture(await post({ model: 'only-here', messages })); // upstream answers 401/404
    sim.setFaults({ error_rate: 1, error_status: 500 });
    await capture(await post({ model: 'gpt-4.1', messages }));
    sim.clearFaults();
    await capture(await post({ model: 'nope' }));
    for (const path of ['/health', '/readyz', '/v1/models', '/metrics'])
      await capture(await fetch(relay.url + path));
    await relay.app.shutdown(1_000);
    const everything = seen.join('\n') + relay.logs.join('');
    expect(relay.logs.length).toBeGreaterThan(5);
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('TOPSECRET');
  });
});
