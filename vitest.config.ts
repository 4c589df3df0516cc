import { defineConfig } from 'vitest/config';

/**
 * Tests that measure timing or push load (failover under a latency incident,
 * strategy distributions, end-to-end alerting with real Prometheus and
 * Alertmanager, thousands of accounted requests, worker processes). On a
 * 2-core machine they run one file at a time, after the others, so no test's
 * timing depends on what another file is doing.
 */
export const SERIAL = [
  'test/resilience-incident.test.ts',
  'test/resilience.test.ts',
  'test/routing.test.ts',
  'test/metrics-accounting.test.ts',
  'test/metrics-cluster.test.ts',
  'test/ops-alerting.test.ts',
  'test/ops-grafana-prometheus.test.ts',
];

// Two tiers (see docs/architecture.md): fast unit tests beside the code, and
// integration tests over real loopback sockets with the upstream simulator.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
          // The differential (fuzz) tests take 1.5-3.5 s with the other files running beside them on
          // 2 cores: vitest's 5 s default left them one slow host away from failing.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: SERIAL,
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'serial',
          include: SERIAL,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
