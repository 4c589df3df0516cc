// One attempt at one upstream: dispatch, deadlines, and the answer either
// buffered whole (JSON, error statuses) or relayed as SSE. A stream reaches
// the client only from its first token on, so until then a failed attempt
// leaves the client untouched and can be retried or raced elsewhere.

import { performance } from 'node:perf_hooks';
import type { AttemptInfo, Outcome, RequestRecord } from '../events/types.js';
import { ChunkAccountant } from '../stream/chunk-accountant.js';
import { SseEventTooLargeError } from '../stream/sse-framer.js';
import { SseRelay } from '../stream/sse-relay.js';
import { dispatchExchange, type Exchange, type ExchangeEvents } from '../upstream/exchange.js';
import {
  classifyError,
  firstByteTimeout,
  firstTokenTimeout,
  hedgeLost,
  idleTimeout,
  totalTimeout,
  UpstreamFailure,
} from '../upstream/failure.js';
import type { Candidate } from '../upstream/router.js';
import { UpstreamHeaders } from '../upstream/upstream-headers.js';
import { contentTypeOf } from './client-headers.js';

/** Where a stream's bytes go: the client response, seen through a narrow window. */
export interface ClientSink {
  /**
   * Claims the client for this attempt and sends status 200 with the stream's
   * headers. False when another attempt (a hedge) already has it.
   */
  commit(attempt: UpstreamAttempt, upstreamHeaders: UpstreamHeaders): boolean;
  /** False when the client's buffer is full. */
  write(bytes: Buffer): boolean;
  /** Writes several pieces in one syscall; false when the client's buffer is full. */
  writeMany(pieces: readonly Buffer[]): boolean;
  /** Calls `fn` once the client's buffer has drained. */
  onDrain(fn: () => void): void;
  /** Ends the response, optionally with a final SSE error event. */
  end(errorEvent?: { code: string; message: string }): void;
  readonly gone: boolean;
}

export type AttemptEnd =
  /** A whole answer, success or error status, not yet sent to the client. */
  | { kind: 'buffered'; status: number; headers: UpstreamHeaders; body: Buffer }
  /** Nothing reached the client; another upstream may be tried. */
  | { kind: 'failed'; failure: UpstreamFailure }
  /** A stream was relayed and has ended; the client response is closed. */
  | {
      kind: 'streamed';
      outcome: Outcome;
      failure: UpstreamFailure | undefined;
      accountant: ChunkAccountant;
    };

export interface AttemptOptions {
  readonly record: RequestRecord;
  readonly candidate: Candidate;
  readonly info: AttemptInfo;
  readonly body: Buffer | string;
  readonly dropUsageOnly: boolean;
  readonly maxEventBytes: number;
  readonly maxResponseBytes: number;
  readonly client: ClientSink;
  readonly owner: AttemptOwner;
}

/** Who runs the attempt (the race) and hears how it goes. */
export interface AttemptOwner {
  /** The request left on a connection: the upstream's own time starts now. */
  attemptSent(attempt: UpstreamAttempt): void;
  /** Upstream response headers arrived (rate-limit headers live here). */
  attemptHeaders(attempt: UpstreamAttempt, status: number, headers: UpstreamHeaders): void;
  /** The first sign of an answer: headers of a non-stream (or error) answer, the first token of a stream. */
  attemptSignalled(attempt: UpstreamAttempt, latencyMs: number): void;
  /** The attempt's upstream breaker opened while it waited for an answer. */
  attemptBreakerOpened(attempt: UpstreamAttempt): void;
  /** The attempt is over; called exactly once. */
  attemptEnded(attempt: UpstreamAttempt, end: AttemptEnd): void;
}

/** Before an answer's headers arrive: none read. */
const NO_HEADERS = new UpstreamHeaders();

/** Timer callback (a plain function: no closure per request). */
function onDeadline(attempt: UpstreamAttempt): void {
  attempt.deadlinePassed();
}

export class UpstreamAttempt implements ExchangeEvents {
  readonly info: AttemptInfo;
  readonly candidate: Candidate;
  readonly startedAt = performance.now();
  /** `performance.now()` when the request left on a connection (0 while waiting in the pool). */
  sentAt = 0;
  /** Time spent relaying stream chunks, ms (part of the relay's own overhead). */
  relayMs = 0;
  endedAt = 0;
  /** `performance.now()` when its response headers arrived (0 before). */
  firstByteAt = 0;
  /** `performance.now()` of its first token (streams; 0 before). */
  firstTokenAt = 0;
  status = 0;
  /** The first signal (see AttemptOptions.onFirstSignal) arrived. */
  signalled = false;
  /** This attempt's stream holds the client. */
  committed = false;
  // State the owning race keeps on the attempt (no per-request maps).
  /** The race's slow-threshold timer for this attempt. */
  slowTimer: NodeJS.Timeout | undefined;
  /** A verdict already reached the breakers. */
  reported = false;
  /** Its slot among the watchers of its breaker (health.watchOpen), -1 when not watching. */
  watchSlot = -1;
  private readonly o: AttemptOptions;
  private exchange: Exchange | undefined;
  /** The one timer watching every deadline (see armWatchdog). */
  private timer: NodeJS.Timeout | undefined;
  /** `performance.now()` of the answer's latest byte (headers or body), or of a resume after backpressure. */
  private lastDataAt = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private headers: UpstreamHeaders = NO_HEADERS;
  private relay: SseRelay | undefined;
  private accountant: ChunkAccountant | undefined;
  private ended = false;

  constructor(options: AttemptOptions) {
    this.o = options;
    this.info = options.info;
    this.candidate = options.candidate;
  }

  /** Dispatches the request (separate from construction so the owner can register the attempt first). */
  start(): void {
    const options = this.o;
    // One timer of our own watches every deadline: undici's tick in half seconds and are backstops here.
    this.armWatchdog(this.startedAt);
    this.exchange = dispatchExchange(
      options.candidate.upstream,
      {
        path: `/${options.record.endpoint}`,
        body: options.body,
        requestId: options.record.id,
        backstopTimeoutMs: options.candidate.backstopMs,
      },
      this,
    );
  }

  /**
   * Arms the timer for the earliest deadline that may pass next: the first
   * byte or token (until signalled), the total, and the idle gap since the
   * latest byte. It is never armed later than `now + idle_ms` either, so a gap
   * that opens after this (the answer's first byte, a resume) is checked in
   * time without touching the timer per chunk: each chunk only stamps
   * `lastDataAt`, and a fast answer costs one timer, set at start and cleared
   * at the end. While the upstream is paused its latest byte is old news: the
   * timer then looks again one idle period on.
   */
  private armWatchdog(now: number): void {
    const t = this.candidate.timeouts;
    const idleFrom = this.lastDataAt > 0 && !this.exchange?.isPaused ? this.lastDataAt : now;
    let due = Math.min(this.startedAt + t.total_ms, idleFrom + t.idle_ms);
    if (!this.signalled)
      due = Math.min(due, this.startedAt + (this.o.record.stream ? t.first_token_ms : t.first_byte_ms));
    this.timer = setTimeout(onDeadline, Math.max(1, due - now), this);
  }

  /** Its breaker opened (the health registry calls this while the owner watches). */
  breakerOpened(): void {
    this.o.owner.attemptBreakerOpened(this);
  }

  /** Cancels the attempt: client gone, a hedge won, or shutdown. */
  abort(failure: UpstreamFailure): void {
    if (this.ended) return;
    this.failOrCut(failure);
  }

  /** The watchdog's timer fired: fail on the deadline that passed, or re-arm for the next. */
  deadlinePassed(): void {
    this.timer = undefined;
    if (this.ended) return;
    const t = this.candidate.timeouts;
    const name = this.info.upstream;
    const now = performance.now();
    // Timers keep whole milliseconds: a deadline within one of now has passed.
    const elapsed = now - this.startedAt + 1;
    const first = this.o.record.stream ? t.first_token_ms : t.first_byte_ms;
    if (!this.signalled && elapsed >= Math.min(first, t.total_ms)) {
      if (t.total_ms <= first) this.failOrCut(totalTimeout(name, t.total_ms));
      else if (this.o.record.stream) this.failOrCut(firstTokenTimeout(name, t.first_token_ms));
      else this.failOrCut(firstByteTimeout(name, t.first_byte_ms));
      return;
    }
    if (elapsed >= t.total_ms) {
      this.failOrCut(totalTimeout(name, t.total_ms));
      return;
    }
    // Silence while the relay holds the upstream back for a slow client is not the upstream's.
    if (this.lastDataAt > 0 && !this.exchange?.isPaused && now + 1 - this.lastDataAt >= t.idle_ms) {
      this.failOrCut(idleTimeout(name, t.idle_ms));
      return;
    }
    this.armWatchdog(now);
  }

  private signal(): void {
    if (this.signalled) return;
    this.signalled = true;
    // The first deadline's timer is left armed (no timer churn per request): it re-arms itself for the total.
    const now = performance.now();
    // The upstream's latency: from sending, not from waiting for a pooled connection.
    this.o.owner.attemptSignalled(this, now - (this.sentAt || this.startedAt));
  }

  // ExchangeEvents: what undici reports about the exchange.
  onSent(): void {
    this.sentAt = performance.now();
    this.o.owner.attemptSent(this);
  }

  onHeaders(status: number, headers: UpstreamHeaders): void {
    this.firstByteAt = performance.now();
    this.lastDataAt = this.firstByteAt;
    this.status = status;
    this.headers = headers;
    const record = this.o.record;
    this.o.owner.attemptHeaders(this, status, headers);
    if (!record.stream || status >= 300 || !contentTypeOf(headers).includes('text/event-stream')) {
      this.signal();
      return;
    }
    const accountant = new ChunkAccountant(record.endpoint);
    this.accountant = accountant;
    const client = this.o.client;
    this.relay = new SseRelay({
      accountant,
      maxEventBytes: this.o.maxEventBytes,
      dropUsageOnly: this.o.dropUsageOnly,
      commit: () => {
        this.committed = client.commit(this, headers);
        return this.committed;
      },
      write: (bytes) => client.write(bytes),
      writeMany: (pieces) => client.writeMany(pieces),
      onFirstToken: () => {
        this.firstTokenAt = performance.now();
        this.signal();
      },
    });
  }

  onData(chunk: Buffer): void {
    if (this.ended) return;
    const relay = this.relay;
    if (!relay) {
      this.lastDataAt = performance.now();
      this.bytes += chunk.length;
      if (this.bytes > this.o.maxResponseBytes) {
        const message = `Upstream ${this.info.upstream} answered with more than ${this.o.maxResponseBytes} bytes`;
        this.failOrCut(
          new UpstreamFailure('stream_cut', 'response_too_large', 'upstream_bad_response', message),
        );
      } else this.chunks.push(chunk);
      return;
    }
    const t = performance.now();
    this.lastDataAt = t;
    let writable: boolean;
    try {
      writable = relay.push(chunk);
    } catch (err) {
      if (!(err instanceof SseEventTooLargeError)) throw err;
      this.failOrCut(new UpstreamFailure('stream_cut', err.code, 'upstream_bad_response', err.message));
      return;
    } finally {
      this.relayMs += performance.now() - t;
    }
    if (relay.lost) {
      this.failOrCut(hedgeLost());
    } else if (relay.failedBeforeCommit) {
      const e = this.accountant!.streamError!;
      const message = `Upstream ${this.info.upstream} sent an error: ${e.message}`;
      this.failOrCut(new UpstreamFailure('stream_cut', e.code, 'upstream_bad_response', message));
    } else if (!writable && !this.o.client.gone) {
      this.exchange?.pause();
      this.o.client.onDrain(() => {
        // The idle gap starts over, as undici's own timer did on resume.
        this.lastDataAt = performance.now();
        this.exchange?.resume();
      });
    }
  }

  onEnd(): void {
    if (this.ended) return;
    const relay = this.relay;
    if (!relay) {
      const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
      this.chunks = [];
      this.settle({ kind: 'buffered', status: this.status, headers: this.headers, body });
      return;
    }
    const how = relay.end();
    if (relay.lost) {
      this.failOrCut(hedgeLost());
      return;
    }
    if (how === 'done') {
      this.o.client.end();
      this.settle({ kind: 'streamed', outcome: 'success', failure: undefined, accountant: this.accountant! });
      return;
    }
    const name = this.info.upstream;
    const e = this.accountant!.streamError;
    const failure =
      how === 'cut'
        ? new UpstreamFailure(
            'stream_cut',
            'stream_cut',
            'upstream_stream_cut',
            `Upstream ${name} ended the stream before it finished`,
          )
        : new UpstreamFailure(
            'stream_cut',
            e?.code ?? 'stream_error',
            'upstream_stream_cut',
            `Upstream ${name} sent an error: ${e?.message}`,
          );
    if (!relay.committed) {
      this.settle({ kind: 'failed', failure });
      return;
    }
    // An error event was already relayed to the client as it came; a cut gets ours.
    this.o.client.end(how === 'cut' ? { code: failure.relayCode, message: failure.message } : undefined);
    this.settle({ kind: 'streamed', outcome: 'stream_cut', failure, accountant: this.accountant! });
  }

  onError(err: Error): void {
    if (this.ended) return;
    let failure = classifyError(err, this.info.upstream);
    // The connection broke after the answer began: for the client that is a cut stream.
    if (this.status > 0 && failure.outcome === 'reset') {
      const message = `Upstream ${this.info.upstream} ended the stream before it finished`;
      failure = new UpstreamFailure('stream_cut', failure.errorCode, 'upstream_stream_cut', message);
    }
    this.failOrCut(failure);
  }

  /**
   * Ends the attempt on a failure: before the stream reached the client it is a
   * retryable failure; after, the client gets an SSE error event.
   */
  private failOrCut(failure: UpstreamFailure): void {
    if (this.ended) return;
    if (!this.committed) {
      this.settle({ kind: 'failed', failure });
    } else {
      const client = this.o.client;
      const outcome: Outcome = client.gone || failure.outcome === 'aborted' ? 'aborted' : 'stream_cut';
      client.end(outcome === 'aborted' ? undefined : { code: failure.relayCode, message: failure.message });
      this.settle({ kind: 'streamed', outcome, failure, accountant: this.accountant! });
    }
    // Last: undici reports the abort back through onError at once, which the ended attempt ignores.
    // (Aborting first ran this method again from inside itself and ended the response twice.)
    this.exchange?.abort(failure);
  }

  private settle(end: AttemptEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.endedAt = performance.now();
    this.o.owner.attemptEnded(this, end);
  }
}
