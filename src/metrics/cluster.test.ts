// Merging worker snapshots: each family by its own rule.

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { aggregateSnapshots } from './cluster.js';
import { type FamilySet, instantiateFamilies } from './definitions.js';
import { parseExposition, sampleValue } from './exposition.js';
import type { MetricJson } from './instruments.js';

function worker(): { registry: Registry; f: FamilySet } {
  const registry = new Registry();
  return { registry, f: instantiateFamilies(registry, { prefix: 's', profile: 'full', genai: false }) };
}

const base = { model: 'gpt-4.1', upstream: 'a' };

describe('cluster aggregation', () => {
  it('sums counters, histograms and active requests; averages upstream_up; takes the latest rate limit', async () => {
    const w1 = worker();
    const w2 = worker();
    for (const [w, n] of [
      [w1, 3],
      [w2, 4],
    ] as const) {
      w.f
        .counter('requests')
        .child({ ...base, endpoint: 'completions', status_code: '200', outcome: 'success' })
        .inc(n);
      const h = w.f.histogram('ttft').child(base);
      for (let i = 0; i < n; i++) h.observe(0.2);
      w.f.gauge('active').child({ model: 'gpt-4.1' }).set(n);
      w.f.usd('cost').child(base).addTokens(1_000_000, 420_000);
      w.f.gauge('workers').child({}).set(1);
    }
    w1.f.gauge('upstreamUp').child({ upstream: 'a' }).set(1);
    w2.f.gauge('upstreamUp').child({ upstream: 'a' }).set(0);
    // Worker 2 saw the newer header even though its value is higher (a window reset).
    w1.f
      .gauge('rateLimitRemaining')
      .child({ ...base, limit: 'requests' })
      .set(3, 1_000);
    w2.f
      .gauge('rateLimitRemaining')
      .child({ ...base, limit: 'requests' })
      .set(99, 2_000);
    w2.f
      .gauge('rateLimitRemaining')
      .child({ ...base, limit: 'tokens' })
      .set(500, 500);

    const snapshots = (await Promise.all([
      w1.registry.getMetricsAsJSON(),
      w2.registry.getMetricsAsJSON(),
    ])) as MetricJson[][];
    const s = parseExposition(await aggregateSnapshots(snapshots).metrics());
    expect(
      sampleValue(s, 's_requests_total', {
        ...base,
        endpoint: 'completions',
        status_code: '200',
        outcome: 'success',
      }),
    ).toBe(7);
    expect(sampleValue(s, 's_time_to_first_token_seconds_count', base)).toBe(7);
    expect(sampleValue(s, 's_time_to_first_token_seconds_bucket', { ...base, le: '0.25' })).toBe(7);
    expect(sampleValue(s, 's_time_to_first_token_seconds_bucket', { ...base, le: '0.1' })).toBe(0);
    expect(sampleValue(s, 's_active_requests', { model: 'gpt-4.1' })).toBe(7);
    expect(sampleValue(s, 's_cost_usd_total', base)).toBe(0.84);
    expect(sampleValue(s, 's_worker_processes', {})).toBe(2);
    expect(sampleValue(s, 's_upstream_up', { upstream: 'a' })).toBe(0.5);
    expect(sampleValue(s, 's_rate_limit_remaining', { ...base, limit: 'requests' })).toBe(99);
    expect(sampleValue(s, 's_rate_limit_remaining', { ...base, limit: 'tokens' })).toBe(500);
  });
});
