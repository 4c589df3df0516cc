// The composition root: config in, a running relay out. Starts the built-in
// simulator when no upstream is configured, subscribes logs (and, later,
// metrics and the ledger) to the event hub, and listens.

import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config/load.js';
import { upstreamSchema } from './config/schema.js';
import { requestLogger } from './logging/request-log.js';
import { type App, createApp } from './server/app.js';
import { type Simulator, startSimulator } from './simulator/index.js';

export interface RunningRelay {
  readonly app: App;
  readonly address: AddressInfo;
  /** The in-process simulator, when no upstream was configured. */
  readonly simulator: Simulator | undefined;
  /** Graceful stop: drains in-flight requests up to the configured deadline. */
  stop(timeoutMs?: number): Promise<void>;
}

export const SIMULATOR_UPSTREAM = 'simulator';

export async function startRelay(resolved: ResolvedConfig, logger: Logger): Promise<RunningRelay> {
  const config = structuredClone(resolved.config);
  let simulator: Simulator | undefined;
  if (resolved.useSimulator) {
    simulator = await startSimulator({ host: '127.0.0.1', port: 0 });
    config.upstreams = [upstreamSchema.parse({ name: SIMULATOR_UPSTREAM, base_url: simulator.url })];
  }
  const app = createApp({ config, logger });
  app.hub.subscribe(requestLogger(logger));
  let address: AddressInfo;
  try {
    address = await app.listen();
  } catch (err) {
    await simulator?.close();
    throw err;
  }
  return {
    app,
    address,
    simulator,
    async stop(timeoutMs) {
      await app.shutdown(timeoutMs);
      await simulator?.close();
    },
  };
}
