// One client request's journey: pick candidates, run attempts, deliver the
// answer, and emit the events that metrics, ledger and logs subscribe to.
// Which upstream to try and whether to retry are decided in upstream/; this
// file only sequences them.

import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { asRelayError, RelayError } from '../errors.js';
import type { FinishInfo, Outcome, RequestRecord, Usage } from '../events/types.js';
import type { JsonBody } from '../server/body.js';
import { estimateUsage, TextTally } from '../stream/token-estimate.js';
import { extractUsageFromJson } from '../stream/usage.js';
import { clientAborted } from '../upstream/failure.js';
import type { ModelRouter } from '../upstream/router.js';
import { orderCandidates } from '../upstream/strategy.js';
import type { UpstreamHeaders } from '../upstream/upstream-headers.js';
import type { AttemptEnd, ClientSink, UpstreamAttempt } from './attempt.js';
import { clientHeaders, contentTypeOf } from './client-headers.js';
import { AttemptRace, type RaceContext, type RaceResult } from './race.js';
import type { UpstreamBody } from './upstream-body.js';

export interface ProxyContext extends RaceContext {
  readonly router: ModelRouter;
  readonly onInternalError: (err: unknown, record: RequestRecord) => void;
}

export interface ProxyRequest {
  readonly record: RequestRecord;
  readonly body: JsonBody;
  readonly upstreamBody: UpstreamBody;
  readonly res: ServerResponse;
}

const NOOP = (): void => {};

export class ProxyCall implements ClientSink {
  private readonly ctx: ProxyContext;
  private readonly req: ProxyRequest;
  private readonly record: RequestRecord;
  private readonly res: ServerResponse;
  private race: AttemptRace | undefined;
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

  /** Runs the request to completion; never throws. */
  run(): void {
    try {
      const route = this.ctx.router.route(this.record.model);
      const order = orderCandidates(route, this.record.stream, this.ctx.health);
      this.dispatchedAt = performance.now();
      if (order.length === 0) {
        const all = route.candidates.map((c) => ({ upstream: c.upstream, model: route.model }));
        this.sendUnavailable(route.model, this.ctx.health.retryAfterMs(all));
        return;
      }
      this.race = new AttemptRace(
        this.ctx,
        this.record,
        route,
        order,
        this.req.upstreamBody,
        this,
        (result) => this.onRaceResult(route.model, result),
      );
      this.race.run();
    } catch (err) {
      this.fail(err);
    }
  }

  private onRaceResult(model: string, result: RaceResult): void {
    try {
      for (const attempt of this.race!.attempts) {
        this.relayMs += attempt.relayMs;
        if (attempt.endedAt > this.upstreamEndedAt) this.upstreamEndedAt = attempt.endedAt;
      }
      if (result.kind === 'answer') this.deliver(result.attempt, result.end);
      else if (result.kind === 'gone') this.finish('aborted', 499, 'client_aborted');
      else if (result.kind === 'unavailable') this.sendUnavailable(model, result.retryAfterMs);
      else this.sendError(new RelayError(result.failure.relayCode, result.failure.message), 'failed');
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (err instanceof RelayError) {
      this.sendError(err, err.status < 500 ? 'rejected' : 'failed');
      return;
    }
    this.ctx.onInternalError(err, this.record);
    this.sendError(asRelayError(err), 'failed');
  }

  private sendUnavailable(model: string, retryAfterMs: number): void {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const message = `Every upstream for \`${model}\` is unavailable right now (circuit open after repeated failures); retry in ${seconds} s`;
    this.sendError(new RelayError('no_upstream_available', message, { retryAfterS: seconds }), 'failed');
  }

  private deliver(attempt: UpstreamAttempt, end: Exclude<AttemptEnd, { kind: 'failed' }>): void {
    if (end.kind === 'streamed') {
      const status = end.outcome === 'aborted' ? 499 : 200;
      this.finish(end.outcome, status, end.failure?.errorCode, end.accountant.usage, end.accountant.text);
      return;
    }
    this.record.upstream = attempt.info.upstream;
    this.record.upstreamModel = attempt.info.upstreamModel;
    this.record.firstByteAt = attempt.firstByteAt;
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
  commit(attempt: UpstreamAttempt, upstreamHeaders: UpstreamHeaders): boolean {
    if (!this.race?.claim(attempt)) return false;
    const record = this.record;
    record.status = 200;
    record.upstream = attempt.info.upstream;
    record.upstreamModel = attempt.info.upstreamModel;
    record.firstByteAt = attempt.firstByteAt;
    // The stream that takes the client is committed on its first token (or its end, if it has none).
    if (attempt.firstTokenAt > 0) {
      record.firstTokenAt = attempt.firstTokenAt;
      this.ctx.hub.firstToken(record, attempt.firstTokenAt - record.startedAt);
    }
    const out = clientHeaders(
      this.record.id,
      this.record.upstream,
      contentTypeOf(upstreamHeaders),
      upstreamHeaders,
    );
    out.push('cache-control', 'no-cache', 'x-accel-buffering', 'no');
    this.res.writeHead(200, out);
    return true;
  }
  write(bytes: Buffer): boolean {
    return this.gone ? true : this.res.write(bytes);
  }
  writeMany(pieces: readonly Buffer[]): boolean {
    if (this.gone) return true;
    // Corked, the pieces (each its own chunk in chunked encoding) leave in one writev.
    const res = this.res;
    res.cork();
    let ok = true;
    for (const piece of pieces) ok = res.write(piece) && ok;
    res.uncork();
    return ok;
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
    // The race ends (gone) once its attempts are cancelled; the request finishes then.
    this.race?.cancel(clientAborted());
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
    if (!text || (text.isEmpty && outcome !== 'success')) {
      hub.requestFinished(record, info);
      return;
    }
    // Usage never arrived: estimate it (the tokenizer loads on first need).
    estimateUsage(record.endpoint, this.req.body.text(), text)
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
