// The composition root: config in, a running relay out. Starts the built-in
// simulator when no upstream is configured, subscribes logs and metrics (and,
// later, the ledger) to the event hub, and listens.

import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type ResolvedConfig, splitListen } from './config/load.js';
import { upstreamSchema } from './config/schema.js';
import { requestLogger } from './logging/request-log.js';
import {
  attachMetrics,
  createMetrics,
  listenMetrics,
  type Metrics,
  metricsHandler,
} from './metrics/index.js';
import { type App, createApp } from './server/app.js';
import { type Simulator, startSimulator } from './simulator/index.js';

export interface RunningRelay {
  readonly app: App;
  readonly address: AddressInfo;
  /** The in-process simulator, when no upstream was configured. */
  readonly simulator: Simulator | undefined;
  /** Prometheus metrics (served on /metrics), unless `metrics.enabled` is false. */
  readonly metrics: Metrics | undefined;
  /** The separate `metrics.listen` address, when one is configured (never in a cluster worker). */
  readonly metricsAddress: AddressInfo | undefined;
  /** Graceful stop: drains in-flight requests up to the configured deadline. */
  stop(timeoutMs?: number): Promise<void>;
}

export const SIMULATOR_UPSTREAM = 'simulator';

export interface StartOptions {
  /** Cluster worker: the primary owns the simulator (its URL) and any `metrics.listen` port. */
  readonly clusterWorker?: { readonly simulatorUrl: string | undefined };
}

export async function startRelay(
  resolved: ResolvedConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningRelay> {
  const config = structuredClone(resolved.config);
  let simulator: Simulator | undefined;
  if (resolved.useSimulator) {
    const sharedUrl = options.clusterWorker?.simulatorUrl;
    if (!sharedUrl) simulator = await startSimulator({ host: '127.0.0.1', port: 0 });
    const base_url = sharedUrl ?? simulator!.url;
    config.upstreams = [upstreamSchema.parse({ name: SIMULATOR_UPSTREAM, base_url })];
  }
  const app = createApp({ config, logger });
  // Its lines are batched by the logger's sink, written out by `flushLogger` and at exit.
  app.hub.subscribe(requestLogger(logger));
  const metrics = createMetrics(config, { clusterWorker: options.clusterWorker !== undefined });
  if (metrics) attachMetrics(app, metrics, logger);
  let address: AddressInfo;
  let metricsServer: Awaited<ReturnType<typeof listenMetrics>> | undefined;
  try {
    address = await app.listen();
    if (metrics && config.metrics.listen && !options.clusterWorker) {
      const { host, port } = splitListen(config.metrics.listen);
      const handler = metricsHandler(metrics, config.metrics.bearer_token, (err) =>
        logger.error({ err }, 'metrics scrape failed'),
      );
      metricsServer = await listenMetrics(handler, host, port);
    }
  } catch (err) {
    await app.shutdown(0);
    await simulator?.close();
    throw err;
  }
  return {
    app,
    address,
    simulator,
    metrics,
    metricsAddress: metricsServer?.address,
    async stop(timeoutMs) {
      await app.shutdown(timeoutMs);
      await metricsServer?.close();
      await simulator?.close();
    },
  };
}
