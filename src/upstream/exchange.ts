// One HTTP exchange with an upstream through undici's dispatch API: no stream
// objects in between, and backpressure by pausing the upstream socket.

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Upstream } from './upstream.js';

export interface ExchangeEvents {
  /** undici gave the request a connection and is sending it (waiting in the pool is over). */
  onSent(): void;
  onHeaders(status: number, headers: IncomingHttpHeaders): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error): void;
}

export interface ExchangeRequest {
  /** Path under the upstream's base path, e.g. `/chat/completions`. */
  readonly path: string;
  readonly body: Buffer | string;
  readonly requestId: string;
  readonly firstByteTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

export class Exchange implements Dispatcher.DispatchHandler {
  private readonly events: ExchangeEvents;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private settled = false;

  constructor(events: ExchangeEvents) {
    this.events = events;
  }

  /** Cancels the exchange (now, or as soon as undici hands it a connection). */
  abort(reason: Error): void {
    if (this.settled) return;
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) {
      controller.abort(this.abortReason);
      return;
    }
    this.events.onSent();
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return; // 1xx informational: the real response follows
    this.events.onHeaders(status, headers);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.events.onData(chunk);
  }

  onResponseEnd(): void {
    this.settled = true;
    this.events.onEnd();
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
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
  const headers = upstream.headers.concat('x-request-id', request.requestId);
  upstream.pool.dispatch(
    {
      method: 'POST',
      path: upstream.basePath + request.path,
      headers,
      body: request.body,
      headersTimeout: request.firstByteTimeoutMs,
      bodyTimeout: request.idleTimeoutMs,
    },
    exchange,
  );
  return exchange;
}
