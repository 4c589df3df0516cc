// One HTTP exchange with an upstream through undici's dispatch API: no stream
// objects in between, and backpressure by pausing the upstream socket.
//
// It uses undici's raw handler callbacks (onConnect, onHeaders with raw
// header bytes, onData returning false to pause), the same ones undici's own
// APIs are built on: the newer controller callbacks wrap every response in
// an adapter that parses all headers into an object (~10 us a request
// measured). Only the headers the relay reads are decoded.

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Upstream } from './upstream.js';

export interface ExchangeEvents {
  /** undici gave the request a connection and is sending it (waiting in the pool is over). */
  onSent(): void;
  /**
   * The response headers, of which only those the relay reads are decoded:
   * `content-type`, `retry-after(-ms)`, `x-request-id`, `x-ratelimit-*`, `openai-*`.
   */
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

/**
 * The names the relay reads that upstreams commonly send, matched on their
 * bytes (no decoding: ~20 ns a name against ~150 for `toString` and
 * `toLowerCase`). Other names of the families it reads (`x-ratelimit-*`,
 * `openai-*`) are decoded and checked against READ_FAMILIES.
 */
export const KNOWN_HEADER_NAMES: readonly string[] = [
  'content-type',
  'x-request-id',
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'openai-processing-ms',
  'openai-version',
  'openai-model',
];

/**
 * The known names of one length, and the first position where they differ:
 * the byte there picks the one candidate, which is then compared whole
 * (OpenAI's six rate-limit names share their first 12 bytes).
 */
interface SameLength {
  readonly at: number;
  /** Candidates by the (lower-cased) byte at `at`. */
  readonly byByte: ReadonlyMap<number, { readonly name: string; readonly bytes: Buffer }>;
}
/** By name length: an array, so no hashing per header. */
const BY_LENGTH: Array<SameLength | undefined> = [];
for (const length of new Set(KNOWN_HEADER_NAMES.map((n) => n.length))) {
  const names = KNOWN_HEADER_NAMES.filter((n) => n.length === length);
  let at = 0;
  while (at < length - 1 && names.every((n) => n.charCodeAt(at) === names[0]!.charCodeAt(at))) at++;
  const byByte = new Map(names.map((name) => [name.charCodeAt(at), { name, bytes: Buffer.from(name) }]));
  if (byByte.size !== names.length) throw new Error(`known header names of length ${length} clash`);
  BY_LENGTH[length] = { at, byByte };
}
/** Prefixes of the other names the relay reads: those are decoded to be checked. */
const READ_FAMILIES = ['x-ratelimit-', 'openai-'];

const codeAt = (field: Buffer | string, i: number): number =>
  typeof field === 'string' ? field.charCodeAt(i) : field[i]!;

/** The lower-case name `field` spells, if it is one of KNOWN_HEADER_NAMES (in any case). */
function knownName(field: Buffer | string): string | undefined {
  const group = BY_LENGTH[field.length];
  if (group === undefined) return undefined;
  // Header names are tokens: setting bit 0x20 lower-cases letters and leaves `-` as it is.
  const candidate = group.byByte.get(codeAt(field, group.at) | 0x20);
  if (candidate === undefined) return undefined;
  const bytes = candidate.bytes;
  // Two loops rather than codeAt in one: each stays monomorphic (undici hands over Buffers).
  if (typeof field === 'string') {
    for (let i = 0; i < bytes.length; i++) if ((field.charCodeAt(i) | 0x20) !== bytes[i]) return undefined;
  } else {
    for (let i = 0; i < bytes.length; i++) if ((field[i]! | 0x20) !== bytes[i]) return undefined;
  }
  return candidate.name;
}

/** Decodes only the headers the relay and its subscribers read. */
export function readHeaders(raw: ReadonlyArray<Buffer | string>): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i]!;
    // Skip most unread names (date, connection, keep-alive, ...) on their first byte and length, undecoded.
    const first = codeAt(field, 0) | 0x20;
    if (first === 0x63 /* c */) {
      if (field.length !== 12) continue;
    } else if (first !== 0x78 /* x */ && first !== 0x72 /* r */ && first !== 0x6f /* o */) continue;
    let name = knownName(field);
    if (name === undefined) {
      const lower = field.toString('latin1').toLowerCase();
      if (!READ_FAMILIES.some((prefix) => lower.startsWith(prefix))) continue;
      name = lower;
    }
    if (headers[name] === undefined) headers[name] = raw[i + 1]!.toString('latin1');
  }
  return headers;
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
      headersTimeout: request.backstopTimeoutMs,
      bodyTimeout: request.backstopTimeoutMs,
    },
    exchange,
  );
  return exchange;
}
