// Test harness: a real relay on a loopback port in front of real simulators,
// with logs and events captured for assertions.

import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { FinishInfo, RelayObserver, RequestRecord } from '../../src/events/types.js';
import { createLogger } from '../../src/logging/logger.js';
import { requestLogger } from '../../src/logging/request-log.js';
import { attachMetrics, createMetrics, type Metrics } from '../../src/metrics/index.js';
import { type App, createApp } from '../../src/server/app.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

export interface TestRelay {
  app: App;
  url: string;
  /** Base URL for the openai client: `${url}/v1`. */
  baseURL: string;
  logs: string[];
  finished: Array<{ record: RequestRecord; info: FinishInfo }>;
  client(options?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  /** Prometheus metrics, when started with `{ metrics: true }` (and `metrics.enabled` is not false). */
  metrics: Metrics | undefined;
  /** Resolves with the next `n` finished requests (counting from now). */
  nextFinished(n?: number): Promise<Array<{ record: RequestRecord; info: FinishInfo }>>;
  close(): Promise<void>;
}

export interface TestRelayOptions {
  /** Wire Prometheus metrics as the real relay does (registry, subscribers, GET /metrics). */
  metrics?: boolean;
}

/** Starts a relay on 127.0.0.1:0 with `config` (upstream URLs already filled in). */
export async function startTestRelay(
  config: ConfigInput,
  observers: RelayObserver[] = [],
  options: TestRelayOptions = {},
): Promise<TestRelay> {
  const logs: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => logs.push(line) });
  const parsed = parseConfig(config, 'test');
  const app = createApp({ config: parsed, logger });
  app.hub.subscribe(requestLogger(logger));
  const metrics = options.metrics ? createMetrics(parsed) : undefined;
  if (metrics) attachMetrics(app, metrics, logger);
  const finished: TestRelay['finished'] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  app.hub.subscribe({
    requestFinished(record, info) {
      finished.push({ record, info });
      for (const w of [...waiters]) {
        if (finished.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
  });
  for (const o of observers) app.hub.subscribe(o);
  const address: AddressInfo = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    url,
    baseURL: `${url}/v1`,
    logs,
    finished,
    metrics,
    client: (options = {}) =>
      new OpenAI({ baseURL: `${url}/v1`, apiKey: 'dummy-key', maxRetries: 0, ...options }),
    nextFinished(n = 1) {
      const target = finished.length + n;
      return new Promise((resolve) => {
        const done = (): void => resolve(finished.slice(target - n, target));
        if (finished.length >= target) done();
        else waiters.push({ count: target, resolve: done });
      });
    },
    close: () => app.shutdown(1_000),
  };
}

/** A simulator plus a relay with one upstream pointing at it. */
export async function relayWithSimulator(
  simOptions: SimulatorOptions = {},
  config: Omit<ConfigInput, 'upstreams'> & { upstream?: Record<string, unknown> } = {},
  options: TestRelayOptions = {},
): Promise<{ sim: Simulator; relay: TestRelay; close(): Promise<void> }> {
  const sim = await startSimulator(simOptions);
  const { upstream, ...rest } = config;
  const relay = await startTestRelay(
    {
      ...rest,
      upstreams: [{ name: 'sim', base_url: sim.url, ...upstream }],
    } as ConfigInput,
    [],
    options,
  );
  return {
    sim,
    relay,
    async close() {
      await relay.close();
      await sim.close();
    },
  };
}

/** Polls `check` until it is true (for state exposed only by polling, like simulator stats). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
