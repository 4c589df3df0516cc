// The process logger: pino JSON, written asynchronously so logging never
// blocks the event loop. Secrets are redacted by path as a second line of
// defence; the first is never logging headers or bodies at all.

import { type DestinationStream, type Logger, pino } from 'pino';
import { type ByteWriter, LogSink } from './log-sink.js';

export const REDACT_PATHS = [
  'api_key',
  '*.api_key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

/** Sinks on stdout, written out at exit even when the process ends without a flush (a crash). */
const sinksOnStdout = new Set<LogSink>();

export function createLogger(level: string, destination?: DestinationStream): Logger {
  let dest = destination;
  if (!dest) {
    // Lines are batched by the sink (large writes keep logging cheap under load) and written by
    // sonic-boom without blocking; buffer mode: the sink hands it bytes, never strings.
    // (sonic-boom's types declare `write(string)`; in buffer mode it takes Buffers.)
    const writer = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }) as unknown as ByteWriter;
    const sink = new LogSink(writer);
    if (sinksOnStdout.size === 0) {
      // pino ends its writer on `beforeExit` and writes it out synchronously on `exit`: the sinks hand
      // their batches over first (an event loop that runs dry), or write them out last (process.exit).
      process.on('beforeExit', () => forEachSink((s) => s.flush()));
      process.once('exit', () => forEachSink((s) => s.flushSync()));
    }
    sinksOnStdout.add(sink);
    dest = sink;
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

function forEachSink(fn: (sink: LogSink) => void): void {
  for (const sink of sinksOnStdout) {
    try {
      fn(sink);
    } catch {
      // stdout may already be closed
    }
  }
}

/** Flushes an async logger's buffer (call before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // the destination may already be closed
  }
}
