// Issue 3: `sheepdog start --workers 2` as a real multi-process relay. Any
// scrape, whichever worker it lands on, returns the aggregate of both; a
// worker that dies does not make counters go backwards.

import { execFileSync, spawnSync } from 'node:child_process';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, type Sample, sampleValue, total } from '../src/metrics/exposition.js';
import type { SimulatorStats } from '../src/simulator/index.js';
import { type CliProcess, runCli } from './helpers/process.js';
import { eventually } from './helpers/relay.js';

let proc: CliProcess | undefined;
afterEach(async () => {
  proc?.kill('SIGKILL');
  await proc?.exited;
  proc = undefined;
});

/** One request on a connection of its own, so the cluster spreads them over the workers. */
async function once(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> {
  const client = new Client(base);
  try {
    const res = await client.request({
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return text;
  } finally {
    await client.close();
  }
}

const scrape = async (base: string): Promise<Sample[]> =>
  parseExposition(await once(base, 'GET', '/metrics'));

async function traffic(base: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const stream = i % 2 === 1;
    await once(base, 'POST', '/v1/chat/completions', {
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: `question ${i}` }],
      stream,
    });
  }
}

describe('sheepdog start --workers 2', () => {
  it('aggregates every worker in each scrape, and keeps counters when a worker dies', async () => {
    proc = runCli(['start', '--workers', '2', '--port', '0'], {});
    const [, base] = await proc.waitFor(/relaying on (http:\/\/\S+)\/v1/);
    expect(proc.stderr()).toMatch(/2 worker processes/);
    // No upstream configured: the primary runs the one simulator every worker uses.
    const [, simBase] = await proc.waitFor(/built-in upstream simulator\n\((http:\/\/[\d.:]+)\/v1\)/);
    const url = base!.replace('localhost', '127.0.0.1');

    await traffic(url, 40);
    // Both workers served: each logs its requests with its worker id (logs flush within a second).
    await eventually(
      () =>
        proc!
          .stdout()
          .split('\n')
          .filter((l) => l.includes('"msg":"request"')).length === 40,
    );
    const byWorker = new Map<number, number>();
    for (const line of proc
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"msg":"request"'))) {
      const worker = (JSON.parse(line) as { worker: number }).worker;
      byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
    }
    expect(byWorker.size).toBe(2);

    // Several scrapes, on new connections (so on either worker): always the whole picture.
    const stats = JSON.parse(await once(simBase!, 'GET', '/_sim/stats')) as SimulatorStats;
    for (let i = 0; i < 4; i++) {
      const s = await scrape(url);
      expect(total(s, 'sheepdog_requests_total', { outcome: 'success' })).toBe(40);
      expect(sampleValue(s, 'sheepdog_worker_processes', {})).toBe(2);
      expect(total(s, 'sheepdog_tokens_total', { token_type: 'total' })).toBe(
        stats.usage_reported.total_tokens,
      );
      expect(total(s, 'sheepdog_tokens_total', { token_type: 'prompt' })).toBe(
        stats.usage_reported.prompt_tokens,
      );
      expect(sampleValue(s, 'sheepdog_active_requests', { model: 'gpt-4.1' })).toBe(0);
      expect(sampleValue(s, 'sheepdog_upstream_up', { upstream: 'simulator' })).toBe(1);
    }
    const text = await once(url, 'GET', '/metrics');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);

    // A worker crashes: the primary replaces it, and its counts stay in the total.
    const workers = execFileSync('pgrep', ['-P', String(proc.child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(workers).toHaveLength(2);
    process.kill(Number(workers[0]), 'SIGKILL');
    await proc.waitFor(/worker exited unexpectedly/);
    expect(total(await scrape(url), 'sheepdog_requests_total')).toBe(40);
    await eventually(
      async () => sampleValue(await scrape(url), 'sheepdog_worker_processes', {}) === 2,
      10_000,
    );
    await traffic(url, 10);
    const after = await scrape(url);
    expect(total(after, 'sheepdog_requests_total')).toBe(50);

    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
