// Where the relay's log lines go: one batch of bytes, handed to an async
// writer (sonic-boom in buffer mode) when it reaches BATCH_BYTES or has
// waited BATCH_MS. pino's own lines (startup, warnings, errors) are appended
// as they come; the request log writes its lines straight into the batch as
// bytes (see line-bytes.ts), so the lines keep their order and none of them
// is a string the writer must measure and encode again.

import type { DestinationStream } from 'pino';
import { LineBytes } from './line-bytes.js';

/** Lines are handed to the writer in batches of about this many bytes... */
const BATCH_BYTES = 32 * 1024;
/** ...or at least this often, so a quiet relay's lines still show within a moment. */
const BATCH_MS = 200;
/** Room for the last line that crosses BATCH_BYTES, so a batch's buffer rarely grows. */
const CAPACITY = BATCH_BYTES + 8 * 1024;

/** The part of sonic-boom (in `contentMode: 'buffer'`) the sink uses. */
export interface ByteWriter {
  write(bytes: Buffer): boolean;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
}

export class LogSink implements DestinationStream {
  /** The batch being filled: a writer appends a whole line, then calls `written()`. */
  readonly lines = new LineBytes(CAPACITY);
  private readonly out: ByteWriter;
  private timer: NodeJS.Timeout | undefined;
  private readonly handOverLater = (): void => {
    this.timer = undefined;
    this.handOver();
  };

  constructor(out: ByteWriter) {
    this.out = out;
  }

  /** A line pino serialised (the destination interface). */
  write(line: string): boolean {
    this.lines.utf8(line);
    this.written();
    return true;
  }

  /** A whole line was appended to `lines`. */
  written(): void {
    if (this.lines.length >= BATCH_BYTES) this.handOver();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.handOverLater, BATCH_MS);
      this.timer.unref();
    }
  }

  /** Hands the batch to the writer and asks it to write what it holds (pino's `logger.flush`). */
  flush(cb?: (err?: Error) => void): void {
    this.handOver();
    this.out.flush(cb);
  }

  /** Writes everything out before returning (at exit). */
  flushSync(): void {
    this.handOver();
    this.out.flushSync();
  }

  private handOver(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length > 0) this.out.write(this.lines.take(CAPACITY));
  }
}
