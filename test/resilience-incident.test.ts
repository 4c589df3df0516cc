// The seed's incident, replayed: the primary provider's latency goes from
// 0.8 s to 12 s in the middle of steady traffic. With a backup configured,
// users must see nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakerState } from '../src/events/types.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { openLoop, percentile } from './helpers/load.js';
import { eventually, startTestRelay, type TestRelay } from './helpers/relay.js';

let primary: Simulator;
let backup: Simulator;
let relay: TestRelay;
const breaker: Array<{ atMs: number; upstream: string; state: BreakerState }> = [];
let t0 = 0;
const hedges: number[] = [];

beforeAll(async () => {
  primary = await startSimulator({ completionTokens: 8, faults: { latency_ms: 800 } });
  backup = await startSimulator({ completionTokens: 8, faults: { latency_ms: 800 } });
  relay = await startTestRelay(
    {
      upstreams: [
        { name: 'primary', base_url: primary.url },
        { name: 'backup', base_url: backup.url },
      ],
      // Shorter than the default 5 s so the run sees the return to the primary within 20 s.
      breaker: { open_ms: 2_000 },
    },
    [
      {
        attemptStarted(_r, info) {
          if (info.reason === 'hedge') hedges.push(info.number);
        },
        breakerStateChanged(upstream, model, state) {
          breaker.push({
            atMs: performance.now() - t0,
            upstream: model ? upstream : `${upstream}(transport)`,
            state,
          });
        },
      },
    ],
  );
});
afterAll(async () => {
  await relay.close();
  await primary.close();
  await backup.close();
});

describe('the seed incident: primary latency 0.8 s -> 12 s', () => {
  it('keeps 99.9% success and p95 under 2.5 s, fails over, and returns after recovery', async () => {
    const client = relay.client({ timeout: 30_000 });
    t0 = performance.now();
    const results = await openLoop(client, 2_000, 100, [
      { atMs: 4_000, run: () => primary.setFaults({ latency_ms: 12_000 }) },
      { atMs: 10_000, run: () => primary.setFaults({ latency_ms: 800 }) },
    ]);
    const ok = results.filter((r) => r.ok);
    const p95 = percentile(
      results.map((r) => r.latencyMs),
      0.95,
    );
    const during = results.filter((r) => r.startedAtMs > 5_000 && r.startedAtMs < 10_000);
    const last = results.filter((r) => r.startedAtMs > 17_000);
    const summary = {
      ok: ok.length,
      p95: Math.round(p95),
      p99: Math.round(
        percentile(
          results.map((r) => r.latencyMs),
          0.99,
        ),
      ),
      backupShareDuring: during.filter((r) => r.upstream === 'backup').length / during.length,
      primaryShareLast: last.filter((r) => r.upstream === 'primary').length / last.length,
      breaker: breaker.map((b) => `${b.upstream}:${b.state}@${Math.round(b.atMs)}`),
      errors: results
        .filter((r) => !r.ok)
        .slice(0, 3)
        .map((r) => r.error),
    };
    // The figures docs/resilience.md quotes come from this line.
    console.log(`incident: ${JSON.stringify({ ...summary, hedges: hedges.length })}`);
    expect(ok.length).toBeGreaterThanOrEqual(1_998);
    expect(p95).toBeLessThan(2_500);
    expect(summary.breaker[0]).toMatch(/^primary:open@/);
    expect(summary.backupShareDuring).toBeGreaterThan(0.9);
    expect(summary.primaryShareLast).toBeGreaterThan(0.9);
    expect(breaker.filter((b) => b.upstream === 'primary').at(-1)?.state).toBe('closed');
    // Every answer is in; the hedged and aborted attempts have left their breakers' watcher lists too.
    await eventually(() => relay.app.inFlight() === 0);
    expect(relay.app.attemptsWatchingBreakers()).toBe(0);
  });
});
