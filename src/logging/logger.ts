// The process logger: pino JSON, written asynchronously so logging never
// blocks the event loop. Secrets are redacted by path as a second line of
// defence; the first is never logging headers or bodies at all.

import { type DestinationStream, type Logger, pino } from 'pino';

export const REDACT_PATHS = [
  'api_key',
  '*.api_key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

/** How long a log line may wait in the buffer at low traffic. */
const FLUSH_INTERVAL_MS = 1_000;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  let dest = destination;
  if (!dest) {
    // Buffered writes (4 KiB) keep logging cheap under load; the timer bounds the delay when traffic is low.
    const boom = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    setInterval(() => boom.flush(), FLUSH_INTERVAL_MS).unref();
    dest = boom;
  }
  return pino(
    {
      level,
      base: { service: 'sheepdog' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Epoch milliseconds (pino's default): an ISO string costs ~4 us a line.
    },
    dest,
  );
}

/** Flushes an async logger's buffer (call before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // the destination may already be closed
  }
}
