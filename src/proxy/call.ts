// One client request's journey: pick candidates, run attempts, deliver the
// answer, and emit the events that metrics, ledger and logs subscribe to.
// Which upstream to try and whether to retry are decided in upstream/; this
// file only sequences them.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { asRelayError, RelayError } from '../errors.js';
import type { EventHub } from '../events/hub.js';
import type { FinishInfo, Outcome, RequestRecord, Usage } from '../events/types.js';
import { estimateUsage, TextTally } from '../stream/token-estimate.js';
import { extractUsageFromJson } from '../stream/usage.js';
import { clientAborted, type UpstreamFailure } from '../upstream/failure.js';
import type { ModelRouter } from '../upstream/router.js';
import { type AttemptEnd, type ClientSink, UpstreamAttempt } from './attempt.js';
import { clientHeaders, contentTypeOf } from './client-headers.js';
import type { UpstreamBody } from './upstream-body.js';

export interface ProxyContext {
  readonly hub: EventHub;
  readonly router: ModelRouter;
  readonly maxEventBytes: number;
  /** Largest non-stream upstream answer accepted (it is buffered to read its usage). */
  readonly maxResponseBytes: number;
  readonly onInternalError: (err: unknown, record: RequestRecord) => void;
}

export interface ProxyRequest {
  readonly record: RequestRecord;
  readonly body: Record<string, unknown>;
  readonly upstreamBody: UpstreamBody;
  readonly res: ServerResponse;
}

const NOOP = (): void => {};

export class ProxyCall implements ClientSink {
  private readonly ctx: ProxyContext;
  private readonly req: ProxyRequest;
  private readonly record: RequestRecord;
  private readonly res: ServerResponse;
  private current: UpstreamAttempt | undefined;
  private finished = false;
  gone = false;
  private dispatchedAt = 0;
  private relayMs = 0;
  private upstreamEndedAt = 0;

  constructor(ctx: ProxyContext, req: ProxyRequest) {
    this.ctx = ctx;
    this.req = req;
    this.record = req.record;
    this.res = req.res;
    this.res.on('close', () => {
      if (!this.res.writableFinished) this.onClientGone();
    });
  }

  /** Runs the request to completion; never rejects. */
  async run(): Promise<void> {
    try {
      const candidates = this.ctx.router.candidates(this.record.model);
      let lastFailure: UpstreamFailure | undefined;
      for (let i = 0; i < candidates.length && i < 1 && !this.gone; i++) {
        const candidate = candidates[i]!;
        const attempt = new UpstreamAttempt({
          hub: this.ctx.hub,
          record: this.record,
          candidate,
          number: i + 1,
          reason: 'first',
          failoverFrom: undefined,
          body: this.req.upstreamBody.forModel(candidate.upstreamModel),
          dropUsageOnly: this.req.upstreamBody.usageInjected,
          maxEventBytes: this.ctx.maxEventBytes,
          maxResponseBytes: this.ctx.maxResponseBytes,
          client: this,
        });
        this.record.upstream = candidate.upstream.name;
        this.record.upstreamModel = candidate.upstreamModel;
        this.record.attempts = i + 1;
        if (this.dispatchedAt === 0) this.dispatchedAt = performance.now();
        this.current = attempt;
        const end = await attempt.done;
        this.current = undefined;
        this.relayMs += attempt.relayMs;
        this.upstreamEndedAt = attempt.endedAt;
        if (end.kind === 'failed') {
          lastFailure = end.failure;
          continue;
        }
        this.deliver(end);
        return;
      }
      if (this.gone) {
        this.finish('aborted', 499, 'client_aborted');
        return;
      }
      if (lastFailure) this.sendError(new RelayError(lastFailure.relayCode, lastFailure.message), 'failed');
    } catch (err) {
      if (err instanceof RelayError) {
        this.sendError(err, err.status < 500 ? 'rejected' : 'failed');
        return;
      }
      this.ctx.onInternalError(err, this.record);
      this.sendError(asRelayError(err), 'failed');
    }
  }

  private deliver(end: Exclude<AttemptEnd, { kind: 'failed' }>): void {
    if (end.kind === 'streamed') {
      const status = end.outcome === 'aborted' ? 499 : 200;
      this.finish(end.outcome, status, end.errorCode, end.accountant.usage, end.accountant.text);
      return;
    }
    const { status, headers, body } = end;
    const ok = status < 400;
    if (!this.gone) {
      const out = clientHeaders(this.record.id, this.record.upstream, contentTypeOf(headers), headers);
      out.push('content-length', String(body.length));
      this.record.status = status;
      this.res.writeHead(status, out);
      this.res.end(body);
    }
    if (this.gone) {
      this.finish('aborted', 499, 'client_aborted');
      return;
    }
    if (!ok) {
      this.finish('upstream_error', status, upstreamErrorCode(body, status));
      return;
    }
    this.finish('success', status, undefined, extractUsageFromJson(body), undefined, body);
  }

  /** Answers the client with one of our own errors, if nothing was sent yet. */
  sendError(err: RelayError, outcome: Outcome): void {
    if (this.finished) return;
    if (!this.gone && !this.res.headersSent) {
      const body = err.toBody();
      const headers = ['content-type', 'application/json', 'x-request-id', this.record.id];
      if (err.retryAfterS !== undefined) headers.push('retry-after', String(err.retryAfterS));
      headers.push('content-length', String(Buffer.byteLength(body)));
      this.res.writeHead(err.status, headers);
      this.res.end(body);
    }
    if (this.gone) {
      this.finish('aborted', 499, 'client_aborted');
      return;
    }
    this.finish(outcome, err.status, err.code);
  }

  // ClientSink: the stream's window onto the client response.
  commit(upstreamHeaders: IncomingHttpHeaders): void {
    this.record.status = 200;
    const out = clientHeaders(
      this.record.id,
      this.record.upstream,
      contentTypeOf(upstreamHeaders),
      upstreamHeaders,
    );
    out.push('cache-control', 'no-cache', 'x-accel-buffering', 'no');
    this.res.writeHead(200, out);
  }
  write(bytes: Buffer): boolean {
    return this.gone ? true : this.res.write(bytes);
  }
  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }
  end(errorEvent?: { code: string; message: string }): void {
    if (this.gone) return;
    if (!errorEvent) {
      this.res.end();
      return;
    }
    const type = errorEvent.code === 'upstream_timeout' ? 'timeout_error' : 'upstream_error';
    const error = { message: errorEvent.message, type, param: null, code: errorEvent.code };
    this.res.end(`data: ${JSON.stringify({ error })}\n\n`);
  }

  private onClientGone(): void {
    if (this.finished || this.gone) return;
    this.gone = true;
    this.ctx.hub.aborted(this.record);
    // The attempt's end (aborted) finishes the request; with none running, finish now.
    if (this.current) this.current.abort(clientAborted());
  }

  /**
   * Records the end: the relay's own overhead, usage (estimated when it never
   * arrived) and the final events. Runs exactly once.
   */
  private finish(
    outcome: Outcome,
    status: number,
    errorCode: string | undefined,
    usage?: Usage,
    streamedText?: TextTally,
    jsonBody?: Buffer,
  ): void {
    if (this.finished) return;
    this.finished = true;
    const record = this.record;
    record.status = status;
    const now = performance.now();
    const pre = this.dispatchedAt > 0 ? this.dispatchedAt - record.startedAt : now - record.startedAt;
    const post = this.upstreamEndedAt > 0 ? now - this.upstreamEndedAt : 0;
    record.overheadMs = pre + this.relayMs + post;
    const info: FinishInfo = { outcome, status, durationMs: now - record.startedAt, errorCode };
    const hub = this.ctx.hub;
    if (usage) {
      record.usage = usage;
      record.usageSource = 'reported';
      hub.usageKnown(record, usage, 'reported');
      hub.requestFinished(record, info);
      return;
    }
    const text = streamedText ?? (jsonBody ? completionTextOf(jsonBody) : undefined);
    if (!text || (text.totalChars === 0 && outcome !== 'success')) {
      hub.requestFinished(record, info);
      return;
    }
    // Usage never arrived: estimate it (the tokenizer loads on first need).
    estimateUsage(record.endpoint, this.req.body, text)
      .then((estimated) => {
        record.usage = estimated;
        record.usageSource = 'estimated';
        hub.usageKnown(record, estimated, 'estimated');
      }, NOOP)
      .finally(() => hub.requestFinished(record, info));
  }
}

/** The upstream's own error code from an OpenAI-shaped error body, else `http_<status>`. */
function upstreamErrorCode(body: Buffer, status: number): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; type?: unknown } };
    const code = parsed.error?.code ?? parsed.error?.type;
    if (typeof code === 'string' && code.length <= 64) return code;
  } catch {
    // not JSON: use the status
  }
  return `http_${status}`;
}

/** Generated text of a non-stream answer that came without usage. */
function completionTextOf(body: Buffer): TextTally | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      choices?: Array<{ message?: { content?: unknown }; text?: unknown }>;
    };
    if (!Array.isArray(parsed.choices)) return undefined;
    const tally = new TextTally();
    for (const choice of parsed.choices) {
      const text = choice.message?.content ?? choice.text;
      if (typeof text === 'string') tally.add(text);
    }
    return tally;
  } catch {
    return undefined;
  }
}
