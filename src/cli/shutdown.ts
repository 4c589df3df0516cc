// Graceful stop on SIGTERM/SIGINT (and any other trigger the caller wires):
// drain once, flush the logs, exit 0, or 1 if draining failed.

import type { Logger } from 'pino';
import { flushLogger } from '../logging/logger.js';

/** Returns `stop(reason)`: the first call drains with `drain()` then exits; later calls do nothing. */
export function exitAfterDrain(
  logger: Logger,
  what: string,
  inFlight: () => number,
  drain: () => Promise<unknown>,
) {
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, in_flight: inFlight() }, `${what} shutting down: draining in-flight requests`);
    drain().then(
      () => {
        logger.info(`${what} stopped`);
        flushLogger(logger);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, `error during ${what} shutdown`);
        flushLogger(logger);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return stop;
}
