// `sheepdog start --workers N`: a primary process that owns the simulator (when
// no upstream is configured), the optional metrics listener and the workers'
// lifecycle, and N workers (node:cluster) that share the port and each run a
// whole relay. A scrape on any worker returns the aggregate of all of them.

import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type ResolvedConfig, splitListen } from '../config/load.js';
import { flushLogger } from '../logging/logger.js';
import { listenMetrics, metricsHandler, PrimaryMetrics } from '../metrics/index.js';
import { startRelay } from '../relay.js';
import { type Simulator, startSimulator } from '../simulator/index.js';
import { banner } from './banner.js';
import { exitAfterDrain } from './shutdown.js';

const LISTENING = 'sheepdog:worker:listening';
const FAILED = 'sheepdog:worker:failed';
const SIMULATOR_URL_ENV = 'SHEEPDOG_CLUSTER_SIMULATOR_URL';
/** A crashed worker is replaced after this delay (never while stopping). */
const RESTART_DELAY_MS = 1_000;

interface ListeningMessage {
  type: typeof LISTENING;
  address: AddressInfo;
  upstreams: Array<{ name: string; origin: string; basePath: string }>;
}

const isType = (message: unknown, type: string): boolean =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

/** Runs the primary: forks the workers, waits until all listen, prints the banner, handles signals. */
export async function runPrimary(resolved: ResolvedConfig, logger: Logger): Promise<void> {
  const { config } = resolved;
  const count = config.server.workers;
  const simulator: Simulator | undefined = resolved.useSimulator
    ? await startSimulator({ host: '127.0.0.1', port: 0 })
    : undefined;
  const env = simulator ? { [SIMULATOR_URL_ENV]: simulator.url } : {};
  const metrics = config.metrics.enabled ? new PrimaryMetrics(cluster) : undefined;
  const metricsServer =
    metrics && config.metrics.listen
      ? await listenMetrics(
          metricsHandler(metrics, config.metrics.bearer_token, (err) =>
            logger.error({ err }, 'metrics scrape failed'),
          ),
          splitListen(config.metrics.listen).host,
          splitListen(config.metrics.listen).port,
        )
      : undefined;

  const listened = new Set<number>();
  let stopping = false;
  let first: ListeningMessage | undefined;
  const fork = (): Worker => cluster.fork(env);

  const allListening = new Promise<void>((resolve, reject) => {
    cluster.on('message', (worker, message: unknown) => {
      if (isType(message, LISTENING)) {
        listened.add(worker.id);
        first ??= message as ListeningMessage;
        if (listened.size === count) resolve();
      } else if (isType(message, FAILED)) {
        reject(
          new Error(`worker ${worker.id} failed to start: ${(message as { message?: string }).message}`),
        );
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      metrics?.retire(worker.id);
      if (stopping) return;
      if (!listened.has(worker.id)) {
        reject(new Error(`worker ${worker.id} exited before listening (code ${code}, signal ${signal})`));
        return;
      }
      logger.error({ worker: worker.id, code, signal }, 'worker exited unexpectedly; starting a replacement');
      setTimeout(() => !stopping && fork(), RESTART_DELAY_MS).unref();
    });
  });
  for (let i = 0; i < count; i++) fork();

  const stopAll = async (signal: string, exitCode: number): Promise<never> => {
    stopping = true;
    logger.info(
      { signal, workers: Object.keys(cluster.workers ?? {}).length },
      'shutting down: draining workers',
    );
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const force = setTimeout(
              () => w.process.kill('SIGKILL'),
              config.server.shutdown_timeout_ms + 5_000,
            );
            w.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await metricsServer?.close();
    await simulator?.close();
    logger.info('stopped');
    flushLogger(logger);
    process.exit(exitCode);
  };

  try {
    await allListening;
  } catch (err) {
    logger.error({ err }, 'workers failed to start');
    process.stderr.write(`sheepdog: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll('startup_failure', 1);
  }
  const shown = first!;
  process.stderr.write(
    `${banner({ address: shown.address, simulator, app: { upstreams: shown.upstreams }, metrics }, resolved.source, count)}\n`,
  );
  logger.info({ address: shown.address, workers: count, source: resolved.source }, 'sheepdog started');
  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    void stopAll(signal, 0);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/** Runs one worker: a whole relay on the shared port, stopped by SIGTERM/SIGINT or the primary going away. */
export async function runWorker(resolved: ResolvedConfig, baseLogger: Logger): Promise<void> {
  const logger = baseLogger.child({ worker: cluster.worker?.id });
  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay(resolved, logger, {
      clusterWorker: { simulatorUrl: process.env[SIMULATOR_URL_ENV] },
    });
  } catch (err) {
    process.send?.({ type: FAILED, message: err instanceof Error ? err.message : String(err) });
    flushLogger(logger);
    process.exit(1);
  }
  const message: ListeningMessage = {
    type: LISTENING,
    address: relay.address,
    upstreams: relay.app.upstreams.map(({ name, origin, basePath }) => ({ name, origin, basePath })),
  };
  process.send?.(message);
  const stop = exitAfterDrain(
    logger,
    'worker',
    () => relay.app.inFlight(),
    async () => {
      await relay.stop();
      await relay.metrics?.worker?.sendFinal();
    },
  );
  process.on('disconnect', () => stop('primary_gone'));
}
