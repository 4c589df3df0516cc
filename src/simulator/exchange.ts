// One request/response pair: its stats lifecycle and the waits that must stop when the caller goes away.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import type { StatsCollector } from './stats.js';

export class Exchange {
  /** The connection is gone or the response has ended; nothing more will be written. */
  closed = false;
  /** Set when the simulator itself destroys the socket (injected reset or cut), so it is not an abort. */
  private dropped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Resolves the pending sleep or drain wait; called with false when the connection closes. */
  private wake: ((alive: boolean) => void) | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly stats: StatsCollector,
  ) {
    stats.counters.in_flight += 1;
    res.once('close', this.onClose);
  }

  private readonly onClose = (): void => {
    this.closed = true;
    const counters = this.stats.counters;
    counters.in_flight -= 1;
    if (this.res.writableFinished) counters.completed += 1;
    else if (!this.dropped) counters.aborted += 1;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.(false);
  };

  /** Resolves true after `ms`, or false as soon as the caller disconnects (the timer is cancelled). */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve(true);
      }, ms);
    });
  }

  /** Waits for 'drain' after a write returned false; false when the caller disconnected instead. */
  waitDrain(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onDrain = (): void => {
        this.wake = undefined;
        resolve(true);
      };
      this.wake = (alive) => {
        this.res.off('drain', onDrain);
        resolve(alive);
      };
      this.res.once('drain', onDrain);
    });
  }

  sendJson(status: number, body: string, headers: OutgoingHttpHeaders): void {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
    this.res.writeHead(status, headers);
    this.res.end(body);
  }

  /** Injected connection reset: the socket dies before any byte of the response. */
  reset(): void {
    this.dropped = true;
    this.req.socket.destroy();
  }

  /** Injected stream cut: `text` reaches the kernel, then the socket dies without the rest of the body. */
  cutAfter(text: string): void {
    this.dropped = true;
    this.res.write(text, () => this.req.socket.destroy());
  }
}
