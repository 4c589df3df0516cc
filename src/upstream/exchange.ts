// One HTTP exchange with an upstream through undici's dispatch API: no stream
// objects in between, and backpressure by pausing the upstream socket.
//
// It uses undici's raw handler callbacks (onConnect, onHeaders with raw
// header bytes, onData returning false to pause), the same ones undici's own
// APIs are built on: the newer controller callbacks wrap every response in
// an adapter that parses all headers into an object (~10 us a request
// measured). Only the headers the relay reads are decoded.

import type { Dispatcher } from 'undici';
import type { Upstream } from './upstream.js';
import { readHeaders, type UpstreamHeaders } from './upstream-headers.js';

export interface ExchangeEvents {
  /** undici gave the request a connection and is sending it (waiting in the pool is over). */
  onSent(): void;
  /** The response headers, of which only those the relay reads are decoded (see upstream-headers.ts). */
  onHeaders(status: number, headers: UpstreamHeaders): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error): void;
}

export interface ExchangeRequest {
  /** Path under the upstream's base path, e.g. `/chat/completions`. */
  readonly path: string;
  readonly body: Buffer | string;
  readonly requestId: string;
  /**
   * undici's own header and body timeouts, a backstop only: the attempt runs
   * its own, precise deadlines (first byte or token, idle, total). One value
   * for both, so each response lets undici refresh its connection's timer
   * instead of replacing it: a replaced timer lingers in undici's list for up
   * to half a second, long enough to be promoted to the old generation (one
   * such timer a request made major collections 3-4 times as frequent).
   */
  readonly backstopTimeoutMs: number;
}

export class Exchange implements Dispatcher.DispatchHandler {
  private readonly events: ExchangeEvents;
  private abortRequest: ((err: Error) => void) | undefined;
  private resumeResponse: (() => void) | undefined;
  private abortReason: Error | undefined;
  private settled = false;
  private paused = false;

  constructor(events: ExchangeEvents) {
    this.events = events;
  }

  /** Cancels the exchange (now, or as soon as undici hands it a connection). */
  abort(reason: Error): void {
    if (this.settled) return;
    this.abortReason ??= reason;
    this.abortRequest?.(reason);
  }

  pause(): void {
    this.paused = true;
  }

  /** The relay paused the response (its client is slow): silence is then not the upstream's. */
  get isPaused(): boolean {
    return this.paused;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeResponse?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.abortReason) {
      abort(this.abortReason);
      return;
    }
    this.events.onSent();
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (status < 200) return true; // 1xx informational: the real response follows
    this.resumeResponse = resume;
    this.events.onHeaders(status, readHeaders(rawHeaders));
    return !this.paused;
  }

  onData(chunk: Buffer): boolean {
    this.events.onData(chunk);
    return !this.paused;
  }

  onComplete(): void {
    this.settled = true;
    this.events.onEnd();
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.events.onError(this.abortReason ?? err);
  }
}

/** Sends `request` to `upstream`; events arrive on `events`. */
export function dispatchExchange(
  upstream: Upstream,
  request: ExchangeRequest,
  events: ExchangeEvents,
): Exchange {
  const exchange = new Exchange(events);
  // A spread, not `concat`: V8 runs Array.prototype.concat in its C++ runtime (~1.5k instructions a call).
  const headers = [...upstream.headers, 'x-request-id', request.requestId];
  upstream.pool.dispatch(
    {
      method: 'POST',
      path: upstream.basePath + request.path,
      headers,
      body: request.body,
      headersTimeout: request.backstopTimeoutMs,
      bodyTimeout: request.backstopTimeoutMs,
    },
    exchange,
  );
  return exchange;
}
