// src/upstream/router.ts (+ strategy.ts when present): the routing decision for one request.

import { dist } from '../fixtures.js';

const { ModelRouter } = await dist('upstream/router.js');
const { configSchema } = await dist('config/schema.js');
const { createUpstream } = await dist('upstream/upstream.js');
const strategy = await dist('upstream/strategy.js').catch(() => undefined);
const healthModule = await dist('upstream/health.js').catch(() => undefined);

const config = configSchema.parse({
  upstreams: [
    { name: 'primary', base_url: 'http://127.0.0.1:9/v1', models: ['gpt-4.1', 'gpt-4.1-mini'] },
    { name: 'backup', base_url: 'http://127.0.0.1:9/v1' },
  ],
});
const upstreams = config.upstreams.map(createUpstream);
const router = new ModelRouter(upstreams, config.routes ?? {});
/** Old API: candidates(model); new: route(model). */
const lookup = typeof router.route === 'function' ? (m) => router.route(m) : (m) => router.candidates(m);

/** @type {import('../harness.js').Case[]} */
export const cases = [{ name: 'route lookup (cached model)', fn: () => lookup('gpt-4.1') }];

if (strategy?.orderCandidates && healthModule?.HealthRegistry) {
  try {
    const health = new healthModule.HealthRegistry(upstreams, config);
    const route = lookup('gpt-4.1');
    strategy.orderCandidates(route, false, health);
    cases.push({
      name: 'route + order candidates (priority, 2 upstreams)',
      fn: () => strategy.orderCandidates(lookup('gpt-4.1'), false, health),
    });
  } catch {
    // the health registry's constructor changed: only the lookup is measured
  }
}
for (const u of upstreams) u.pool.destroy();
