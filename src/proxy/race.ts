// Runs a request's attempts until one answer is good enough to give the
// client: failover to the next healthy upstream at once, backoff only before
// retrying the same upstream, a hedge when an attempt is past its slow
// threshold, and a retry budget so none of this can turn an outage into a
// storm. Health decisions live in upstream/health.ts; this file sequences.

import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HedgingConfig, RetryConfig } from '../config/resilience-schema.js';
import type { EventHub } from '../events/hub.js';
import type { AttemptInfo, AttemptReason, RequestRecord } from '../events/types.js';
import { hedgeLost, type UpstreamFailure } from '../upstream/failure.js';
import type { HealthRegistry } from '../upstream/health.js';
import { backoffMs, type RetryBudget } from '../upstream/retry-budget.js';
import type { Candidate, Route } from '../upstream/router.js';
import { type AttemptEnd, type ClientSink, UpstreamAttempt } from './attempt.js';
import type { UpstreamBody } from './upstream-body.js';

export interface RaceContext {
  readonly hub: EventHub;
  readonly health: HealthRegistry;
  readonly budget: RetryBudget;
  readonly retry: RetryConfig;
  readonly hedging: HedgingConfig;
  readonly maxEventBytes: number;
  readonly maxResponseBytes: number;
}

type Answer = Exclude<AttemptEnd, { kind: 'failed' }>;

export type RaceResult =
  /** The answer the client gets (a success, a stream that ran, or an upstream error passed through). */
  | { kind: 'answer'; attempt: UpstreamAttempt; end: Answer }
  /** Every attempt failed without an answer. */
  | { kind: 'failed'; failure: UpstreamFailure }
  /** No candidate could be tried: every breaker is open. */
  | { kind: 'unavailable'; retryAfterMs: number }
  | { kind: 'gone' };

const RETRYABLE_5XX = (status: number): boolean => status >= 500 && status !== 501 && status !== 505;

export class AttemptRace {
  private readonly ctx: RaceContext;
  private readonly record: RequestRecord;
  private readonly route: Route;
  private readonly order: readonly Candidate[];
  private readonly body: UpstreamBody;
  private readonly client: ClientSink;
  private readonly running = new Set<UpstreamAttempt>();
  /** Every attempt started, in order. */
  readonly attempts: UpstreamAttempt[] = [];
  /** Attempts whose verdict already reached the breakers. */
  private readonly reported = new Set<UpstreamAttempt>();
  private readonly tried = new Set<string>();
  private resolve!: (result: RaceResult) => void;
  private settled = false;
  private started = 0;
  private hedged = false;
  private winner: UpstreamAttempt | undefined;
  /** The best error answer so far, passed through if nothing better comes. */
  private fallback: { attempt: UpstreamAttempt; end: Answer; info: AttemptInfo } | undefined;
  private lastFailure: UpstreamFailure | undefined;
  /** Per running attempt: fires at its slow threshold if no first byte/token came by then. */
  private readonly slowTimers = new Map<UpstreamAttempt, NodeJS.Timeout>();
  /** Per running attempt: stops watching its breaker for an open. */
  private readonly unwatch = new Map<UpstreamAttempt, () => void>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    ctx: RaceContext,
    record: RequestRecord,
    route: Route,
    order: readonly Candidate[],
    body: UpstreamBody,
    client: ClientSink,
  ) {
    this.ctx = ctx;
    this.record = record;
    this.route = route;
    this.order = order;
    this.body = body;
    this.client = client;
  }

  run(): Promise<RaceResult> {
    const done = new Promise<RaceResult>((resolve) => {
      this.resolve = resolve;
    });
    this.ctx.budget.deposit();
    if (!this.launch(this.order, 'first', undefined)) this.settle();
    return done;
  }

  /** A stream's first token arrived: the first attempt to claim the client wins, the others are cancelled. */
  claim(attempt: UpstreamAttempt): boolean {
    if (this.client.gone || (this.winner && this.winner !== attempt)) return false;
    this.win(attempt);
    return true;
  }

  /** The client went away: cancel everything. */
  cancel(failure: UpstreamFailure): void {
    this.clearTimers();
    for (const attempt of this.running) attempt.abort(failure);
    if (this.running.size === 0) this.finishWith({ kind: 'gone' });
  }

  /** Starts an attempt on the first candidate in `from` whose breaker lets it through. */
  private launch(
    from: readonly Candidate[],
    reason: AttemptReason,
    previous: UpstreamAttempt | undefined,
  ): boolean {
    const model = this.route.model;
    const candidate = from.find((c) => this.ctx.health.acquire(c.upstream, model));
    if (!candidate) return false;
    const upstream = candidate.upstream.name;
    const info: AttemptInfo = {
      upstream,
      upstreamModel: candidate.upstreamModel,
      number: this.attempts.length + 1,
      reason,
      failoverFrom: previous && previous.info.upstream !== upstream ? previous.info.upstream : undefined,
    };
    if (reason !== 'hedge') this.started++;
    this.tried.add(upstream);
    const record = this.record;
    record.upstream = upstream;
    record.upstreamModel = candidate.upstreamModel;
    record.attempts = info.number;
    this.ctx.hub.attemptStarted(record, info);
    const attempt = new UpstreamAttempt({
      record,
      candidate,
      info,
      body: this.body.forModel(candidate.upstreamModel),
      dropUsageOnly: this.body.usageInjected,
      maxEventBytes: this.ctx.maxEventBytes,
      maxResponseBytes: this.ctx.maxResponseBytes,
      client: this.client,
      onHeaders: (a, status, headers) => this.ctx.hub.upstreamHeaders(record, a.info, status, headers),
      onFirstSignal: (a, latencyMs) => this.onFirstSignal(a, latencyMs),
      onSent: (a) => this.armSlowTimer(a),
    });
    this.running.add(attempt);
    this.attempts.push(attempt);
    attempt.done.then((end) => this.onEnd(attempt, end));
    return true;
  }

  private onFirstSignal(attempt: UpstreamAttempt, latencyMs: number): void {
    this.clearSlowTimer(attempt);
    // Slow samples count too: the threshold must learn a model's normal pace (long answers included).
    if (attempt.status < 400)
      this.ctx.health.recordLatency(
        attempt.candidate.upstream,
        this.route.model,
        this.record.stream,
        latencyMs,
      );
  }

  /**
   * Past the slow threshold without a first byte/token, or as soon as its
   * upstream's breaker opens, the attempt is treated as slow: it counts against
   * its breaker (latency over the SLO) and, once per request, a hedge races it
   * on another healthy upstream.
   */
  private armSlowTimer(attempt: UpstreamAttempt): void {
    const { upstream } = attempt.candidate;
    const model = this.route.model;
    const health = this.ctx.health;
    const usual = health.slowThresholdMs(upstream, model, this.record.stream);
    // With no other upstream to go to, a brief slowdown must not refuse every
    // request: the lone upstream counts as slow only when it is far off its pace.
    const alone = !this.route.candidates.some(
      (c) => c.upstream !== upstream && health.available(c.upstream, model),
    );
    const threshold = alone ? Math.max(usual, health.loneSlowMs) : usual;
    const hedgeAt = this.ctx.hedging.delay_ms ?? usual;
    this.setSlowTimer(attempt, Math.min(hedgeAt, threshold), threshold, hedgeAt);
    this.unwatch.set(
      attempt,
      this.ctx.health.onOpen(upstream, this.route.model, () => this.onSlow(attempt, false, Infinity, 0)),
    );
  }

  private setSlowTimer(attempt: UpstreamAttempt, delay: number, threshold: number, hedgeAt: number): void {
    this.slowTimers.set(
      attempt,
      setTimeout(() => this.onSlow(attempt, true, threshold, hedgeAt), delay),
    );
  }

  /**
   * `threshold`: when the attempt counts as slow (Infinity when its breaker just
   * opened); `hedgeAt`: when to race a hedge. Either may come first.
   */
  private onSlow(attempt: UpstreamAttempt, fromTimer: boolean, threshold: number, hedgeAt: number): void {
    if (fromTimer) this.slowTimers.delete(attempt);
    if (attempt.signalled || !this.running.has(attempt) || this.settled) return;
    const { upstream } = attempt.candidate;
    const model = this.route.model;
    const elapsed = performance.now() - (attempt.sentAt || attempt.startedAt);
    const slow = elapsed >= threshold - 1;
    if (slow && this.ctx.health.warm(upstream, model, this.record.stream)) this.report(attempt, 'failure');
    const breakerOpened = threshold === Infinity;
    if (!slow && fromTimer) {
      // The hedge came first: wait on for the slow threshold.
      this.setSlowTimer(attempt, threshold - elapsed, threshold, Infinity);
    }
    if (!this.ctx.hedging.enabled || this.hedged || elapsed < hedgeAt - 1) return;
    const others = this.order.filter((c) => !this.isRunningOn(c.upstream.name));
    if (others.length === 0) return;
    // A hedge past the threshold spends retry budget. One caused by the breaker
    // opening does not: the open breaker already stops new load on that upstream,
    // so moving the attempts caught in flight is a one-off transfer, not a storm.
    if (!breakerOpened && !this.ctx.budget.withdraw()) return;
    this.hedged = true;
    this.launch(others, 'hedge', attempt);
  }

  private clearSlowTimer(attempt: UpstreamAttempt): void {
    const timer = this.slowTimers.get(attempt);
    if (timer) {
      clearTimeout(timer);
      this.slowTimers.delete(attempt);
    }
    const unwatch = this.unwatch.get(attempt);
    if (unwatch) {
      unwatch();
      this.unwatch.delete(attempt);
    }
  }

  private onEnd(attempt: UpstreamAttempt, end: AttemptEnd): void {
    this.running.delete(attempt);
    this.clearSlowTimer(attempt);
    const { upstream } = attempt.candidate;
    const model = this.route.model;
    const health = this.ctx.health;
    this.verdict(attempt, end);
    if (end.kind === 'streamed') {
      this.emitFinished(attempt, end, true);
      this.finishWith({ kind: 'answer', attempt, end });
      return;
    }
    if (end.kind === 'buffered') {
      const status = end.status;
      if (status < 400 || !(RETRYABLE_5XX(status) || status === 429 || status === 408) || this.client.gone) {
        // A success, or an error that another upstream would repeat (the client's fault): done.
        this.win(attempt);
        this.emitFinished(attempt, end, true);
        this.finishWith({ kind: 'answer', attempt, end });
        return;
      }
      let waitMs: number | undefined;
      if (status === 429) {
        waitMs = retryAfterMs(end.headers);
        health.coolDown(upstream, model, waitMs ?? this.ctx.retry.backoff_max_ms);
      }
      if (this.fallback) this.emitFinished(this.fallback.attempt, this.fallback.end, false);
      this.fallback = { attempt, end, info: attempt.info };
      this.lastFailure = undefined;
      this.retryOrSettle(
        status === 429 ? 'status_429' : status === 408 ? 'timeout' : 'status_5xx',
        attempt,
        waitMs,
      );
      return;
    }
    this.emitFinished(attempt, end, false);
    if (end.failure.errorCode === 'hedge_lost' || this.settled) {
      if (this.running.size === 0 && !this.settled) this.settle();
      return;
    }
    if (this.client.gone) {
      if (this.running.size === 0) this.finishWith({ kind: 'gone' });
      return;
    }
    this.lastFailure = end.failure;
    const outcome = end.failure.outcome;
    const reason: AttemptReason =
      outcome === 'timeout' || outcome === 'stream_cut'
        ? outcome
        : outcome === 'reset'
          ? 'reset'
          : 'connect_error';
    this.retryOrSettle(reason, attempt, undefined);
  }

  /** Feeds the breakers and frees the attempt's slot. */
  private verdict(attempt: UpstreamAttempt, end: AttemptEnd): void {
    const { upstream } = attempt.candidate;
    const model = this.route.model;
    if (end.kind === 'buffered') {
      const s = end.status;
      if (s === 429) {
        // rate-limited: cool down, no breaker verdict
      } else if (RETRYABLE_5XX(s) || s === 408) this.report(attempt, 'failure');
      else this.report(attempt, 'success');
    } else if (end.kind === 'streamed') {
      if (end.outcome === 'stream_cut') this.report(attempt, 'failure', true);
      else this.report(attempt, 'success');
    } else {
      const { outcome, errorCode } = end.failure;
      if (outcome === 'connect_error' || outcome === 'reset' || errorCode === 'UND_ERR_CONNECT_TIMEOUT')
        this.report(attempt, 'transport');
      else if (outcome !== 'aborted') this.report(attempt, 'failure');
    }
    this.ctx.health.finish(upstream, model, this.reported.has(attempt));
    this.reported.delete(attempt);
  }

  /** One verdict per attempt, except that a stream cut after a good start still counts as a failure. */
  private report(
    attempt: UpstreamAttempt,
    verdict: 'success' | 'failure' | 'transport',
    force = false,
  ): void {
    if (this.reported.has(attempt) && !force) return;
    this.reported.add(attempt);
    this.ctx.health.report(attempt.candidate.upstream, this.route.model, verdict);
  }

  /**
   * Decides what follows a failed attempt: wait for a running hedge, fail over
   * to an untried upstream now, retry the same one after a backoff (or the
   * 429's Retry-After), or give up.
   */
  private retryOrSettle(
    reason: AttemptReason,
    previous: UpstreamAttempt,
    retryAfter: number | undefined,
  ): void {
    if (this.running.size > 0) return;
    const retry = this.ctx.retry;
    if (this.started >= retry.max_attempts || !this.ctx.budget.withdraw()) {
      this.settle();
      return;
    }
    const untried = this.order.filter(
      (c) => !this.tried.has(c.upstream.name) && !this.ctx.health.coolingDown(c.upstream, this.route.model),
    );
    if (untried.length > 0 && this.launch(untried, reason, previous)) return;
    // Only upstreams already tried are left: back off, then try the best of them again.
    const wait = retryAfter ?? backoffMs(this.started, retry.backoff_base_ms, retry.backoff_max_ms);
    if (wait > retry.retry_after_max_ms) {
      this.settle();
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.settled) return;
      if (this.client.gone) {
        this.finishWith({ kind: 'gone' });
        return;
      }
      if (!this.launch(this.order, reason, previous)) this.settle();
    }, wait);
  }

  private win(attempt: UpstreamAttempt): void {
    this.winner = attempt;
    this.clearTimers();
    for (const other of this.running) if (other !== attempt) other.abort(hedgeLost());
  }

  /** Nothing better will come: pass the last error answer through, or report the last failure. */
  private settle(): void {
    if (this.settled) return;
    if (this.client.gone) {
      this.finishWith({ kind: 'gone' });
      return;
    }
    if (this.fallback) {
      this.emitFinished(this.fallback.attempt, this.fallback.end, true);
      this.finishWith({ kind: 'answer', attempt: this.fallback.attempt, end: this.fallback.end });
      return;
    }
    if (this.lastFailure) {
      this.finishWith({ kind: 'failed', failure: this.lastFailure });
      return;
    }
    const all = this.route.candidates.map((c) => ({ upstream: c.upstream, model: this.route.model }));
    this.finishWith({ kind: 'unavailable', retryAfterMs: this.ctx.health.retryAfterMs(all) });
  }

  private finishWith(result: RaceResult): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimers();
    this.resolve(result);
  }

  private emitFinished(attempt: UpstreamAttempt, end: AttemptEnd, used: boolean): void {
    const failure = end.kind === 'failed' ? end.failure : end.kind === 'streamed' ? end.failure : undefined;
    this.ctx.hub.attemptFinished(this.record, {
      ...attempt.info,
      outcome: failure ? failure.outcome : 'completed',
      status: attempt.status || undefined,
      durationMs: attempt.endedAt - attempt.startedAt,
      errorCode: failure?.errorCode,
      used,
    });
  }

  private isRunningOn(upstream: string): boolean {
    for (const a of this.running) if (a.info.upstream === upstream) return true;
    return false;
  }

  private clearTimers(): void {
    for (const timer of this.slowTimers.values()) clearTimeout(timer);
    this.slowTimers.clear();
    for (const unwatch of this.unwatch.values()) unwatch();
    this.unwatch.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** A 429's wait, ms, from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
