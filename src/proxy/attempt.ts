// One attempt at one upstream: dispatch, timers, and the answer either
// buffered whole (JSON, error statuses) or relayed as SSE. A stream reaches
// the client only from its first token on, so until then a failed attempt
// leaves the client untouched and can be retried elsewhere.

import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { EventHub } from '../events/hub.js';
import type { AttemptInfo, AttemptReason, Outcome, RequestRecord } from '../events/types.js';
import { ChunkAccountant } from '../stream/chunk-accountant.js';
import { SseEventTooLargeError } from '../stream/sse-framer.js';
import { SseRelay } from '../stream/sse-relay.js';
import { dispatchExchange, type Exchange } from '../upstream/exchange.js';
import { classifyError, firstTokenTimeout, totalTimeout, UpstreamFailure } from '../upstream/failure.js';
import type { Candidate } from '../upstream/router.js';
import { contentTypeOf } from './client-headers.js';

/** Where a stream's bytes go: the client response, seen through a narrow window. */
export interface ClientSink {
  /** Sends status 200 and the stream's headers (built from the upstream's). */
  commit(upstreamHeaders: IncomingHttpHeaders): void;
  /** False when the client's buffer is full. */
  write(bytes: Buffer): boolean;
  /** Calls `fn` once the client's buffer has drained. */
  onDrain(fn: () => void): void;
  /** Ends the response, optionally with a final SSE error event. */
  end(errorEvent?: { code: string; message: string }): void;
  readonly gone: boolean;
}

export type AttemptEnd =
  /** A whole answer, success or error status, not yet sent to the client. */
  | { kind: 'buffered'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  /** Nothing reached the client; another upstream may be tried. */
  | { kind: 'failed'; failure: UpstreamFailure }
  /** A stream was relayed and has ended; the client response is closed. */
  | { kind: 'streamed'; outcome: Outcome; errorCode: string | undefined; accountant: ChunkAccountant };

export interface AttemptOptions {
  readonly hub: EventHub;
  readonly record: RequestRecord;
  readonly candidate: Candidate;
  readonly number: number;
  readonly reason: AttemptReason;
  readonly failoverFrom: string | undefined;
  readonly body: Buffer | string;
  readonly dropUsageOnly: boolean;
  readonly maxEventBytes: number;
  readonly maxResponseBytes: number;
  readonly client: ClientSink;
}

export class UpstreamAttempt {
  readonly done: Promise<AttemptEnd>;
  /** Time spent relaying stream chunks, ms (part of the relay's own overhead). */
  relayMs = 0;
  endedAt = 0;
  private readonly o: AttemptOptions;
  private readonly info: AttemptInfo;
  private readonly startedAt = performance.now();
  private resolve!: (end: AttemptEnd) => void;
  private exchange: Exchange | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private headers: IncomingHttpHeaders = {};
  private relay: SseRelay | undefined;
  private accountant: ChunkAccountant | undefined;
  private ended = false;

  constructor(options: AttemptOptions) {
    this.o = options;
    const { upstream, upstreamModel } = options.candidate;
    this.info = {
      upstream: upstream.name,
      upstreamModel,
      number: options.number,
      reason: options.reason,
      failoverFrom: options.failoverFrom,
    };
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    options.hub.attemptStarted(options.record, this.info);
    const t = upstream.timeouts;
    const stream = options.record.stream;
    if (stream)
      this.arm(Math.min(t.first_token_ms, t.total_ms), () =>
        firstTokenTimeout(upstream.name, t.first_token_ms),
      );
    else this.arm(t.total_ms, () => totalTimeout(upstream.name, t.total_ms));
    this.exchange = dispatchExchange(
      upstream,
      {
        path: `/${options.record.endpoint}`,
        body: options.body,
        requestId: options.record.id,
        // A stream's first byte is due by its first-token deadline at the latest.
        firstByteTimeoutMs: stream ? Math.min(t.first_byte_ms, t.first_token_ms) : t.first_byte_ms,
        idleTimeoutMs: t.idle_ms,
      },
      {
        onHeaders: (s, h) => this.onHeaders(s, h),
        onData: (chunk) => this.onData(chunk),
        onEnd: () => this.onEnd(),
        onError: (err) => this.onError(err),
      },
    );
  }

  /** Cancels the attempt (client gone, or shutdown). */
  abort(failure: UpstreamFailure): void {
    if (this.ended) return;
    this.exchange?.abort(failure);
  }

  private arm(ms: number, make: () => UpstreamFailure): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.failOrCut(make()), Math.max(1, ms));
  }

  private onHeaders(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
    const record = this.o.record;
    record.firstByteAt = performance.now();
    this.o.hub.upstreamHeaders(record, this.info, status, headers);
    if (!record.stream || status >= 300 || !contentTypeOf(headers).includes('text/event-stream')) return;
    const accountant = new ChunkAccountant(record.endpoint);
    this.accountant = accountant;
    const client = this.o.client;
    this.relay = new SseRelay({
      accountant,
      maxEventBytes: this.o.maxEventBytes,
      dropUsageOnly: this.o.dropUsageOnly,
      commit: () => client.commit(headers),
      write: (bytes) => client.write(bytes),
      onFirstToken: () => this.onFirstToken(),
    });
  }

  private onFirstToken(): void {
    const record = this.o.record;
    const now = performance.now();
    record.firstTokenAt = now;
    this.o.hub.firstToken(record, now - record.startedAt);
    const t = this.o.candidate.upstream.timeouts;
    this.arm(t.total_ms - (now - this.startedAt), () => totalTimeout(this.info.upstream, t.total_ms));
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    const relay = this.relay;
    if (!relay) {
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
    if (relay.failedBeforeCommit) {
      const e = this.accountant!.streamError!;
      const message = `Upstream ${this.info.upstream} sent an error: ${e.message}`;
      this.failOrCut(new UpstreamFailure('stream_cut', e.code, 'upstream_bad_response', message));
    } else if (!writable && !this.o.client.gone) {
      this.exchange?.pause();
      this.o.client.onDrain(() => this.exchange?.resume());
    }
  }

  private onEnd(): void {
    if (this.ended) return;
    const relay = this.relay;
    if (!relay) {
      const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
      this.chunks = [];
      this.settle({ kind: 'buffered', status: this.status, headers: this.headers, body });
      return;
    }
    const how = relay.end();
    if (how === 'done') {
      this.o.client.end();
      this.settle({
        kind: 'streamed',
        outcome: 'success',
        errorCode: undefined,
        accountant: this.accountant!,
      });
      return;
    }
    const e = this.accountant!.streamError;
    const failure =
      how === 'cut'
        ? new UpstreamFailure(
            'stream_cut',
            'stream_cut',
            'upstream_stream_cut',
            `Upstream ${this.info.upstream} ended the stream before it finished`,
          )
        : new UpstreamFailure(
            'stream_cut',
            e?.code ?? 'stream_error',
            'upstream_stream_cut',
            `Upstream ${this.info.upstream} sent an error: ${e?.message}`,
          );
    if (!relay.committed) {
      this.settle({ kind: 'failed', failure });
      return;
    }
    // An error event was already relayed to the client as it came; a cut gets ours.
    this.o.client.end(how === 'cut' ? { code: failure.relayCode, message: failure.message } : undefined);
    this.settle(
      { kind: 'streamed', outcome: 'stream_cut', errorCode: failure.errorCode, accountant: this.accountant! },
      failure,
    );
  }

  private onError(err: Error): void {
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
    this.exchange?.abort(failure);
    const relay = this.relay;
    if (!relay?.committed) {
      this.settle({ kind: 'failed', failure });
      return;
    }
    const client = this.o.client;
    const outcome: Outcome = client.gone || failure.outcome === 'aborted' ? 'aborted' : 'stream_cut';
    client.end(outcome === 'aborted' ? undefined : { code: failure.relayCode, message: failure.message });
    this.settle(
      { kind: 'streamed', outcome, errorCode: failure.errorCode, accountant: this.accountant! },
      failure,
    );
  }

  private settle(end: AttemptEnd, streamFailure?: UpstreamFailure): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.endedAt = performance.now();
    const failure = end.kind === 'failed' ? end.failure : streamFailure;
    this.o.hub.attemptFinished(this.o.record, {
      ...this.info,
      outcome: failure ? failure.outcome : 'completed',
      status: this.status || undefined,
      durationMs: this.endedAt - this.startedAt,
      errorCode: failure?.errorCode,
      used: end.kind !== 'failed',
    });
    this.resolve(end);
  }
}
