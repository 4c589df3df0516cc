// Runs a request's attempts until one answer is good enough to give the
// client: failover to the next healthy upstream at once, backoff only before
// retrying the same upstream, a hedge when an attempt is past its slow
// threshold, and a retry budget so none of this can turn an outage into a
// storm. Health decisions live in upstream/health.ts; this file sequences.
// It runs on callbacks, not promises: it is on every request's path.

import { performance } from 'node:perf_hooks';
import type { HedgingConfig, RetryConfig } from '../config/resilience-schema.js';
import type { EventHub } from '../events/hub.js';
import type { AttemptInfo, AttemptReason, AttemptResult, RequestRecord } from '../events/types.js';
import { hedgeLost, type UpstreamFailure } from '../upstream/failure.js';
import type { HealthRegistry } from '../upstream/health.js';
import { backoffMs, type RetryBudget } from '../upstream/retry-budget.js';
import type { Candidate, Route } from '../upstream/router.js';
import type { UpstreamHeaders } from '../upstream/upstream-headers.js';
import { type AttemptEnd, type AttemptOwner, type ClientSink, UpstreamAttempt } from './attempt.js';
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

/** Slow-timer callback (a plain function: no closure per attempt). */
function onSlowTimer(race: AttemptRace, attempt: UpstreamAttempt, threshold: number, hedgeAt: number): void {
  attempt.slowTimer = undefined;
  race.slow(attempt, true, threshold, hedgeAt);
}

export class AttemptRace implements AttemptOwner {
  private readonly ctx: RaceContext;
  private readonly record: RequestRecord;
  private readonly route: Route;
  private readonly order: readonly Candidate[];
  private readonly body: UpstreamBody;
  private readonly client: ClientSink;
  private readonly onResult: (result: RaceResult) => void;
  /** Every attempt started, in order. */
  readonly attempts: UpstreamAttempt[] = [];
  /** Attempts still running (rarely more than one: a hedge). */
  private running: UpstreamAttempt[] = [];
  private settled = false;
  private started = 0;
  private hedged = false;
  private winner: UpstreamAttempt | undefined;
  /** The best error answer so far, passed through if nothing better comes. */
  private fallback: { attempt: UpstreamAttempt; end: Answer } | undefined;
  private lastFailure: UpstreamFailure | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    ctx: RaceContext,
    record: RequestRecord,
    route: Route,
    order: readonly Candidate[],
    body: UpstreamBody,
    client: ClientSink,
    onResult: (result: RaceResult) => void,
  ) {
    this.ctx = ctx;
    this.record = record;
    this.route = route;
    this.order = order;
    this.body = body;
    this.client = client;
    this.onResult = onResult;
  }

  /** Starts the first attempt; the result arrives on `onResult`, exactly once. */
  run(): void {
    this.ctx.budget.deposit();
    if (!this.launch(this.order, 'first', undefined)) this.settle();
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
    for (const attempt of [...this.running]) attempt.abort(failure);
    if (this.running.length === 0) this.finishWith({ kind: 'gone' });
  }

  /** Starts an attempt on the first candidate in `from` whose breaker lets it through. */
  private launch(
    from: readonly Candidate[],
    reason: AttemptReason,
    previous: UpstreamAttempt | undefined,
  ): boolean {
    const model = this.route.model;
    let candidate: Candidate | undefined;
    for (const c of from) {
      if (this.ctx.health.acquire(c.upstream, model)) {
        candidate = c;
        break;
      }
    }
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
      owner: this,
    });
    this.running.push(attempt);
    this.attempts.push(attempt);
    attempt.start();
    return true;
  }

  // AttemptOwner: how each attempt goes.
  attemptSent(attempt: UpstreamAttempt): void {
    this.armSlowTimer(attempt);
  }

  attemptHeaders(attempt: UpstreamAttempt, status: number, headers: UpstreamHeaders): void {
    this.ctx.hub.upstreamHeaders(this.record, attempt.info, status, headers);
  }

  attemptSignalled(attempt: UpstreamAttempt, latencyMs: number): void {
    this.stopWatching(attempt);
    // Slow samples count too: the threshold must learn a model's normal pace (long answers included).
    if (attempt.status < 400)
      this.ctx.health.recordLatency(
        attempt.candidate.upstream,
        this.route.model,
        this.record.stream,
        latencyMs,
      );
  }

  attemptBreakerOpened(attempt: UpstreamAttempt): void {
    this.slow(attempt, false, Number.POSITIVE_INFINITY, 0);
  }

  attemptEnded(attempt: UpstreamAttempt, end: AttemptEnd): void {
    const i = this.running.indexOf(attempt);
    if (i >= 0) this.running.splice(i, 1);
    this.stopWatching(attempt);
    this.verdict(attempt, end);
    if (end.kind === 'streamed') {
      this.emitFinished(attempt, end, true);
      this.finishWith({ kind: 'answer', attempt, end });
      return;
    }
    if (end.kind === 'buffered') {
      this.bufferedEnded(attempt, end);
      return;
    }
    this.emitFinished(attempt, end, false);
    if (end.failure.errorCode === 'hedge_lost' || this.settled) {
      // A loser is cancelled from inside `win` (undici may report it at once): the winner decides.
      if (this.running.length === 0 && !this.settled && !this.winner) this.settle();
      return;
    }
    if (this.client.gone) {
      if (this.running.length === 0) this.finishWith({ kind: 'gone' });
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

  private bufferedEnded(attempt: UpstreamAttempt, end: Extract<AttemptEnd, { kind: 'buffered' }>): void {
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
      this.ctx.health.coolDown(
        attempt.candidate.upstream,
        this.route.model,
        waitMs ?? this.ctx.retry.backoff_max_ms,
      );
    }
    if (this.fallback) this.emitFinished(this.fallback.attempt, this.fallback.end, false);
    this.fallback = { attempt, end };
    this.lastFailure = undefined;
    const reason = status === 429 ? 'status_429' : status === 408 ? 'timeout' : 'status_5xx';
    this.retryOrSettle(reason, attempt, waitMs);
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
    let alone = true;
    for (const c of this.route.candidates) {
      if (c.upstream !== upstream && health.available(c.upstream, model)) {
        alone = false;
        break;
      }
    }
    const threshold = alone ? Math.max(usual, health.loneSlowMs) : usual;
    const hedgeAt = this.ctx.hedging.delay_ms ?? usual;
    attempt.slowTimer = setTimeout(
      onSlowTimer,
      Math.min(hedgeAt, threshold),
      this,
      attempt,
      threshold,
      hedgeAt,
    );
    health.watchOpen(upstream, model, attempt);
  }

  /**
   * `threshold`: when the attempt counts as slow (Infinity when its breaker just
   * opened); `hedgeAt`: when to race a hedge. Either may come first.
   */
  slow(attempt: UpstreamAttempt, fromTimer: boolean, threshold: number, hedgeAt: number): void {
    if (attempt.signalled || !this.running.includes(attempt) || this.settled) return;
    const { upstream } = attempt.candidate;
    const model = this.route.model;
    const elapsed = performance.now() - (attempt.sentAt || attempt.startedAt);
    const slow = elapsed >= threshold - 1;
    if (slow && this.ctx.health.warm(upstream, model, this.record.stream)) this.report(attempt, 'failure');
    const breakerOpened = threshold === Number.POSITIVE_INFINITY;
    if (!slow && fromTimer) {
      // The hedge came first: wait on for the slow threshold.
      attempt.slowTimer = setTimeout(
        onSlowTimer,
        threshold - elapsed,
        this,
        attempt,
        threshold,
        Number.POSITIVE_INFINITY,
      );
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

  /** The attempt got its answer or ended: no more slow timer or breaker watch. */
  private stopWatching(attempt: UpstreamAttempt): void {
    if (attempt.slowTimer) {
      clearTimeout(attempt.slowTimer);
      attempt.slowTimer = undefined;
    }
    if (attempt.watchSlot >= 0)
      this.ctx.health.unwatchOpen(attempt.candidate.upstream, this.route.model, attempt);
  }

  /** Feeds the breakers and frees the attempt's slot. */
  private verdict(attempt: UpstreamAttempt, end: AttemptEnd): void {
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
    this.ctx.health.finish(attempt.candidate.upstream, this.route.model, attempt.reported);
  }

  /** One verdict per attempt, except that a stream cut after a good start still counts as a failure. */
  private report(
    attempt: UpstreamAttempt,
    verdict: 'success' | 'failure' | 'transport',
    force = false,
  ): void {
    if (attempt.reported && !force) return;
    attempt.reported = true;
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
    if (this.running.length > 0) return;
    const retry = this.ctx.retry;
    if (this.started >= retry.max_attempts || !this.ctx.budget.withdraw()) {
      this.settle();
      return;
    }
    const untried = this.order.filter(
      (c) => !this.hasTried(c.upstream.name) && !this.ctx.health.coolingDown(c.upstream, this.route.model),
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
    // (The winner may already have left `running`: a buffered answer ends before it wins.)
    if (this.running.length === 0) return;
    for (const other of [...this.running]) if (other !== attempt) other.abort(hedgeLost());
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
    this.onResult(result);
  }

  private emitFinished(attempt: UpstreamAttempt, end: AttemptEnd, used: boolean): void {
    const failure = end.kind === 'buffered' ? undefined : end.failure;
    const info = attempt.info;
    const result: AttemptResult = {
      upstream: info.upstream,
      upstreamModel: info.upstreamModel,
      number: info.number,
      reason: info.reason,
      failoverFrom: info.failoverFrom,
      outcome: failure ? failure.outcome : 'completed',
      status: attempt.status || undefined,
      durationMs: attempt.endedAt - attempt.startedAt,
      errorCode: failure?.errorCode,
      used,
    };
    this.ctx.hub.attemptFinished(this.record, result);
  }

  private isRunningOn(upstream: string): boolean {
    for (const a of this.running) if (a.info.upstream === upstream) return true;
    return false;
  }

  private hasTried(upstream: string): boolean {
    for (const a of this.attempts) if (a.info.upstream === upstream) return true;
    return false;
  }

  private clearTimers(): void {
    for (const attempt of this.running) this.stopWatching(attempt);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** A 429's wait, ms, from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: UpstreamHeaders): number | undefined {
  const msValue = headers.get('retry-after-ms');
  const ms = Number(msValue);
  if (Number.isFinite(ms) && ms >= 0 && msValue !== undefined) return ms;
  const value = headers.get('retry-after');
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
