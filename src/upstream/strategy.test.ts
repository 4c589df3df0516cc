import { describe, expect, it } from 'vitest';
import { breakerSchema } from '../config/resilience-schema.js';
import { upstreamSchema } from '../config/schema.js';
import { EventHub } from '../events/hub.js';
import { HealthRegistry } from './health.js';
import { ModelRouter } from './router.js';
import { orderCandidates } from './strategy.js';
import { createUpstream } from './upstream.js';

function setup(strategy: 'priority' | 'weighted' | 'least-latency' | 'least-busy', weights = [1, 1, 1]) {
  const upstreams = ['a', 'b', 'c'].map((name, i) =>
    createUpstream(
      upstreamSchema.parse({ name, base_url: `http://127.0.0.1:9/${name}`, weight: weights[i] }),
    ),
  );
  const router = new ModelRouter(upstreams, {
    m: { strategy, timeouts: {} },
  });
  const health = new HealthRegistry(
    upstreams,
    breakerSchema.parse({ consecutive_failures: 1 }),
    new EventHub(),
  );
  const route = router.route('m');
  const names = (random = () => 0.5) =>
    orderCandidates(route, false, health, random).map((c) => c.upstream.name);
  return { upstreams, health, names };
}

describe('orderCandidates', () => {
  it('priority keeps config order and leaves out upstreams whose breaker is open', () => {
    const { upstreams, health, names } = setup('priority');
    expect(names()).toEqual(['a', 'b', 'c']);
    health.report(upstreams[0]!, 'm', 'failure');
    expect(names()).toEqual(['b', 'c']);
  });

  it('puts upstreams cooling down after a 429 last', () => {
    const { upstreams, health, names } = setup('priority');
    health.coolDown(upstreams[0]!, 'm', 10_000);
    expect(names()).toEqual(['b', 'c', 'a']);
  });

  it('weighted picks the first by weight', () => {
    const { names } = setup('weighted', [1, 2, 1]);
    expect(names(() => 0.1)[0]).toBe('a'); // 0.4 of 4 falls in a's 1
    expect(names(() => 0.5)[0]).toBe('b'); // 2.0 falls in b's [1, 3)
    expect(names(() => 0.9)[0]).toBe('c');
  });

  it('least-latency tries unmeasured upstreams first, then the fastest', () => {
    const { upstreams, health, names } = setup('least-latency');
    health.recordLatency(upstreams[0]!, 'm', false, 300);
    health.recordLatency(upstreams[1]!, 'm', false, 100);
    expect(names()).toEqual(['c', 'b', 'a']);
    health.recordLatency(upstreams[2]!, 'm', false, 200);
    expect(names()).toEqual(['b', 'c', 'a']);
  });

  it('least-busy orders by attempts in flight', () => {
    const { upstreams, health, names } = setup('least-busy');
    health.acquire(upstreams[0]!, 'm');
    health.acquire(upstreams[0]!, 'm');
    health.acquire(upstreams[1]!, 'm');
    expect(names()).toEqual(['c', 'b', 'a']);
  });
});
