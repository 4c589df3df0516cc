// The `sheepdog` command as a user runs it: zero-config start with the seed's
// client snippet, graceful shutdown, check-config messages, --help.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../src/simulator/index.js';
import { type CliProcess, runCli } from './helpers/process.js';

let proc: CliProcess | undefined;
afterEach(async () => {
  proc?.kill('SIGKILL');
  await proc?.exited;
  proc = undefined;
});

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sheepdog-'));
  dirs.push(dir);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('sheepdog start with nothing configured', () => {
  it('serves the seed client snippet from the built-in simulator, streamed or not', async () => {
    proc = runCli(['start'], { PORT: '0' });
    const [, url] = await proc.waitFor(/relaying on (http:\/\/\S+)\/v1/);
    expect(proc.stderr()).toMatch(/built-in upstream simulator/);
    expect(proc.stderr()).toMatch(/HOLYSHEEP_API_KEY/);
    // The seed's snippet, in its openai v4+ form.
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'dummy-key' });
    const response = await client.chat.completions.create({
      model: 'gpt-4',
      messages: [
        { role: 'system', content: 'Bạn là trợ lý bán hàng thông minh' },
        { role: 'user', content: 'Tôi muốn mua laptop dưới 20 triệu' },
      ],
      temperature: 0.7,
      max_tokens: 500,
    });
    expect(response.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({
      model: 'gpt-4',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    // One JSON log line per request on stdout (buffered, flushed within a second).
    await proc.waitFor(/"msg":"request"[^\n]*\n[^\n]*"msg":"request"/);
    const lines = proc
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(2);
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM finishes a stream in progress, refuses new connections, then exits 0', async () => {
    const sim = await startSimulator({ completionTokens: 10, faults: { chunk_delay_ms: 150 } });
    try {
      proc = runCli(['start', '--port', '0'], { SHEEPDOG_UPSTREAM_URL: sim.url });
      const [, url] = await proc.waitFor(/relaying on (http:\/\/\S+)\/v1/);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let chunks = 0;
      for await (const _chunk of stream) {
        if (++chunks === 2) {
          proc.kill('SIGTERM');
          await proc.waitFor(/shutting down/);
          await expect(fetch(`${url}/healthz`)).rejects.toThrow();
        }
      }
      expect(chunks).toBe(12); // role + 10 tokens + finish: the stream completed
      expect(await proc.exited).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

describe('sheepdog check-config', () => {
  it('accepts a good file and summarises it', async () => {
    const file = await tempFile(
      'ok.yaml',
      'listen: 0.0.0.0:5000\nupstreams:\n  - name: holysheep\n    base_url: https://api.holysheep.ai/v1\n    api_key: ${HOLYSHEEP_API_KEY}\n    models: [gpt-4.1, deepseek-v3.2]\n',
    );
    proc = runCli(['check-config', file], { HOLYSHEEP_API_KEY: 'sk-test' });
    expect(await proc.exited).toBe(0);
    expect(proc.stdout()).toContain(
      'upstream holysheep: https://api.holysheep.ai/v1 (gpt-4.1, deepseek-v3.2)',
    );
  });

  it('names the bad path, what was expected and an example, and exits 2', async () => {
    const file = await tempFile(
      'bad.yaml',
      'upstreams:\n  - name: holysheep\n    base_url: not-a-url\n    api_key: ${MISSING_KEY}\n',
    );
    proc = runCli(['check-config', file]);
    expect(await proc.exited).toBe(2);
    const err = proc.stderr();
    expect(err).toContain(`Invalid configuration in ${file}`);
    expect(err).toContain('upstreams[0].base_url: expected an http(s) URL, got "not-a-url"');
    expect(err).toContain('example: base_url: https://api.holysheep.ai/v1');
    expect(err).toContain('upstreams[0].api_key: environment variable MISSING_KEY is not set');
  });
});

describe('sheepdog --help', () => {
  it('lists every command and its options', async () => {
    proc = runCli(['--help']);
    expect(await proc.exited).toBe(0);
    for (const command of ['start', 'simulate', 'check-config']) expect(proc.stdout()).toContain(command);
    const start = runCli(['start', '--help']);
    expect(await start.exited).toBe(0);
    expect(start.stdout()).toMatch(/--config <file>[\s\S]*--port <port>/);
  });
});
