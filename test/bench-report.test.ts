// The bench's own arithmetic and inputs: how an interleaved schedule shares
// its slots among targets; how the latency bars read pooled histograms; a
// step's GC time read from the relay's own metrics; a process's CPU time split
// into user and kernel time; the request body, with or without usage asked.

import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { checkBars, pooledLatency, summarize } from '../bench/lib/aggregate.js';
import { gcPer1k, scrapeGc } from '../bench/lib/gc-scrape.js';
import { cpuSeconds, cpuTimes } from '../bench/lib/proc-stats.js';
import { requestBody } from '../bench/lib/scenarios.js';
import { Histogram } from '../bench/load/histogram.js';
import { slotTarget } from '../bench/load/schedule.js';
import { eventually, relayWithSimulator } from './helpers/relay.js';

describe('slotTarget', () => {
  it('gives every target the same share, one target per slot, each following every other equally often', () => {
    const k = 3;
    const intervalMs = 1000 / 500;
    const slotMs = 10;
    const perSlot = slotMs / intervalMs;
    const total = 9 * 1000; // 18 s of schedule: 1,800 slots
    const shares = [0, 0, 0];
    const follows = new Map<string, number>();
    let previous = -1;
    for (let n = 0; n < total; n++) {
      const t = slotTarget(n, intervalMs, slotMs, k);
      shares[t] = (shares[t] ?? 0) + 1;
      if (n % perSlot !== 0) expect(t, `request ${n} left its slot's target`).toBe(previous);
      else if (previous >= 0) follows.set(`${previous}>${t}`, (follows.get(`${previous}>${t}`) ?? 0) + 1);
      previous = t;
    }
    expect(shares).toEqual([3000, 3000, 3000]);
    // All six orders of two targets occur (a fixed rotation gives three), none more than twice as often as
    // another; a target keeps the next slot too (a round ending and the next starting with it) only rarely.
    const pairs = [...follows].filter(([pair]) => pair[0] !== pair[2]);
    expect(pairs.length).toBe(6);
    const counts = pairs.map(([, n]) => n);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2 * Math.min(...counts));
    const repeats = [...follows].filter(([pair]) => pair[0] === pair[2]).reduce((a, [, n]) => a + n, 0);
    expect(repeats).toBeLessThan(0.15 * 1800);
  });
});

/** A histogram of `n` requests at `ms`, plus `slow` requests at `slowMs`. */
function hist(n: number, ms: number, slow = 0, slowMs = 0) {
  const h = new Histogram();
  for (let i = 0; i < n; i++) h.record(ms * 1000);
  for (let i = 0; i < slow; i++) h.record(slowMs * 1000);
  return h;
}

/** One run row as measureInterleaved gives it (only the fields the summary reads). */
function run(target: string, rep: number, h: Histogram) {
  const s = h.summary();
  return {
    scenario: 'json-500',
    target,
    rep,
    tool: 'driver',
    requests: s.count,
    rps: 500,
    latencyMs: s,
    ttfbMs: s,
    latencyHist: h.toJSON(),
    ttfbHist: h.toJSON(),
    errorCount: 0,
    relayCpuSPer1k: target === 'direct' ? undefined : 0.3,
    relayUtil: 0.2,
    peakRssMb: 100,
    otherLoadOnRelayCore: 0,
  };
}

describe('pooled latency', () => {
  it('takes the p99 of all repetitions together and judges the latency bar on it', () => {
    // Three repetitions of 1,000 requests: the relay's tail (2 % at 3 ms) falls in one of them only.
    const runs = [
      run('direct', 1, hist(1000, 0.4)),
      run('direct', 2, hist(1000, 0.4)),
      run('direct', 3, hist(1000, 0.4)),
      run('sheepdog', 1, hist(1000, 0.8)),
      run('sheepdog', 2, hist(1000, 0.8)),
      run('sheepdog', 3, hist(980, 0.8, 20, 3)),
    ];
    const pooled = pooledLatency(runs.filter((r) => r.target === 'sheepdog'));
    expect(pooled?.count).toBe(3000);
    // 20 slow requests of 3,000 are fewer than 1 %: the pooled p99 is the common latency...
    expect(pooled?.p99).toBeCloseTo(0.8, 1);
    const summary = summarize(runs, ['json-500'], ['direct', 'sheepdog']);
    const row = summary.find((r) => r.target === 'sheepdog');
    // ...while the worst repetition alone has 2 % at 3 ms.
    expect(row?.addedP99?.max).toBeCloseTo(2.6, 1);
    expect(row?.addedPooled?.p99).toBeCloseTo(0.4, 1);
    const bar = checkBars(summary, []).find((b) => b.bar.startsWith('added p99 at 500'));
    expect(bar?.pass).toBe(true);
    expect(bar?.value).toContain('3000 requests over 3 repetitions');

    // With the tail in every repetition (3 % of all requests), the pooled p99 carries it and the bar fails.
    const slow = runs.map((r) =>
      r.target === 'sheepdog' ? run('sheepdog', r.rep, hist(970, 0.8, 30, 3)) : r,
    );
    const failing = checkBars(summarize(slow, ['json-500'], ['direct', 'sheepdog']), []);
    expect(failing.find((b) => b.bar.startsWith('added p99 at 500'))?.pass).toBe(false);
  });

  it('falls back to the worst repetition for runs without histograms (older result files)', () => {
    const strip = (r: ReturnType<typeof run>) => ({ ...r, latencyHist: undefined, ttfbHist: undefined });
    const runs = [
      run('direct', 1, hist(1000, 0.4)),
      run('direct', 2, hist(1000, 0.4)),
      run('sheepdog', 1, hist(1000, 0.8)),
      run('sheepdog', 2, hist(980, 0.8, 20, 3)),
    ].map(strip);
    const summary = summarize(runs, ['json-500'], ['direct', 'sheepdog']);
    expect(summary.find((r) => r.target === 'sheepdog')?.addedPooled).toBeUndefined();
    const bar = checkBars(summary, []).find((b) => b.bar.startsWith('added p99 at 500'));
    expect(bar?.value).toContain('worst');
    expect(bar?.pass).toBe(false);
  });

  it('leaves the bar unresolved when the machine alone (direct) has a tail several times the bar', () => {
    const runs = [1, 2, 3].flatMap((rep) => [
      run('direct', rep, hist(970, 0.4, 30, 8)),
      run('sheepdog', rep, hist(1000, 0.8)),
    ]);
    const summary = summarize(runs, ['json-500'], ['direct', 'sheepdog']);
    // The relay's p99 minus direct's is far below zero here: not a pass, just noise.
    expect(summary.find((r) => r.target === 'sheepdog')?.addedPooled?.p99).toBeLessThan(-5);
    const bar = checkBars(summary, []).find((b) => b.bar.startsWith('added p99 at 500'));
    expect(bar?.pass).toBeUndefined();
    expect(bar?.value).toContain('unresolved');
  });
});

describe('scrapeGc', () => {
  it("reads a relay's own GC seconds and answered requests from its /metrics, and divides them", async () => {
    const { relay, close } = await relayWithSimulator({}, {}, { metrics: true });
    try {
      const target = { origin: relay.url, metricsPath: '/metrics' };
      const before = await scrapeGc(target);
      for (let i = 0; i < 3; i++)
        await relay
          .client()
          .chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
      // Garbage enough for a few scavenges, which prom-client hears of asynchronously.
      const junk: object[] = [];
      for (let i = 0; i < 500_000; i++) junk.push({ i });
      expect(junk).toHaveLength(500_000);
      junk.length = 0;
      await eventually(async () => ((await scrapeGc(target))?.gcS.minor ?? 0) > (before?.gcS.minor ?? 0));
      const after = await scrapeGc(target);
      expect(after!.requests - before!.requests).toBe(3);
      expect(await scrapeGc({ origin: relay.url })).toBeUndefined(); // no metrics path: nothing to read
    } finally {
      await close();
    }
    const at = (minor: number, major: number, incremental: number, requests: number) => ({
      gcS: { minor, major, incremental },
      requests,
    });
    // 10 ms of scavenges and 4 + 1 ms of mark-compact over 2,000 requests.
    expect(gcPer1k(at(1, 2, 0.5, 1000), at(1.01, 2.004, 0.501, 3000))).toEqual({
      minor: expect.closeTo(5, 6),
      major: expect.closeTo(2.5, 6),
    });
    expect(gcPer1k(at(1, 2, 0, 5), at(1, 2, 0, 5))).toBeUndefined();
  });
});

describe('cpuTimes', () => {
  it('reads user and kernel time apart: a loop of pure JavaScript is user time', () => {
    const before = cpuTimes(process.pid);
    // ~200 ms of arithmetic, no system calls: the kernel's share must not move with it.
    let x = 0;
    const until = performance.now() + 200;
    while (performance.now() < until) for (let i = 0; i < 10_000; i++) x = (x * 31 + i) | 0;
    expect(typeof x).toBe('number');
    const after = cpuTimes(process.pid);
    const user = after.user - before.user;
    const system = after.system - before.system;
    expect(user).toBeGreaterThan(0.05);
    expect(user).toBeGreaterThan(system * 3);
    expect(cpuSeconds(process.pid)).toBeGreaterThanOrEqual(after.user + after.system);
    expect(cpuTimes(2 ** 22 + 1)).toEqual({ user: 0, system: 0 }); // no such process
  });
});

describe('requestBody', () => {
  it('asks for usage only where told (instructions.js --client-usage), and the relay then passes the usage chunk on', async () => {
    const { relay, close } = await relayWithSimulator();
    try {
      /** The usage fields of every chunk of a stream through Sheepdog, asked with the bench's own body. */
      const usages = async (clientUsage: boolean) => {
        const body: OpenAI.ChatCompletionCreateParamsStreaming = JSON.parse(
          requestBody({ stream: true, chunks: 20, clientUsage }),
        );
        const chunks = await relay.client().chat.completions.create(body);
        const seen: unknown[] = [];
        for await (const chunk of chunks) seen.push(chunk.usage);
        return seen;
      };
      const asked = await usages(true);
      expect(asked.at(-1)).toMatchObject({ completion_tokens: expect.any(Number) });
      // Not asked: no chunk carries a usage field at all (nor the `"usage":null` OpenAI adds once asked).
      expect((await usages(false)).filter((u) => u !== undefined)).toEqual([]);
      expect(JSON.parse(requestBody({ stream: false, chunks: 20, clientUsage: true }))).not.toHaveProperty(
        'stream_options',
      );
    } finally {
      await close();
    }
  });
});
