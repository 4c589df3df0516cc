// What the relay knows about each upstream's health: circuit breakers (per
// upstream for transport failures, per upstream and model for everything
// else), recent latency, in-flight attempts, 429 cool-downs and optional
// active checks. Routing asks it which candidates are usable; attempts report
// their outcomes to it.

import { performance } from 'node:perf_hooks';
import type { BreakerConfig, HealthCheckConfig } from '../config/resilience-schema.js';
import type { EventHub } from '../events/hub.js';
import { type BreakerOptions, CircuitBreaker } from './breaker.js';
import { LatencyTracker } from './latency-tracker.js';
import type { Upstream } from './upstream.js';
import { type Slotted, WatcherList } from './watcher-list.js';

/** Something waiting on an upstream that wants to know at once when its breaker opens. */
export interface OpenWatcher extends Slotted {
  breakerOpened(): void;
}

/** Per upstream and model. */
export class ModelHealth {
  readonly breaker: CircuitBreaker;
  /** Time to the whole answer's first byte (non-stream). */
  readonly latency = new LatencyTracker();
  /** Time to first token (streams): a steadier health signal, independent of answer length. */
  readonly ttft = new LatencyTracker();
  /** `performance.now()` until which a 429 asked us to stay away. */
  coolDownUntil = 0;
  /** Told when the breaker opens: attempts still waiting on this upstream hedge at once. */
  readonly openWatchers = new WatcherList<OpenWatcher>();
  constructor(breaker: CircuitBreaker) {
    this.breaker = breaker;
  }
}

/** Per upstream. */
export class UpstreamHealthState {
  readonly upstream: Upstream;
  /** Opens on connect errors and resets: those break every model at once. */
  readonly transport: CircuitBreaker;
  readonly models = new Map<string, ModelHealth>();
  inFlight = 0;
  /** Result of the last active check (true when checks are off). */
  checkOk = true;
  healthy = true;
  constructor(upstream: Upstream, transport: CircuitBreaker) {
    this.upstream = upstream;
    this.transport = transport;
  }
}

/** Models tracked per upstream before the rest share one state: client-chosen names must not grow memory. */
const MAX_MODELS_PER_UPSTREAM = 1_000;
const OVERFLOW_MODEL = '\u0000other';
/** Samples before the adaptive slow threshold is trusted. */
const WARM_SAMPLES = 20;

export class HealthRegistry {
  private readonly states = new Map<string, UpstreamHealthState>();
  private readonly options: BreakerOptions;
  private readonly config: BreakerConfig;
  private readonly hub: EventHub;
  private readonly now: () => number;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    upstreams: readonly Upstream[],
    config: BreakerConfig,
    hub: EventHub,
    now = () => performance.now(),
  ) {
    this.config = config;
    this.hub = hub;
    this.now = now;
    this.options = {
      consecutiveFailures: config.consecutive_failures,
      failureRatio: config.failure_ratio,
      windowMs: config.window_ms,
      minRequests: config.min_requests,
      openMs: config.open_ms,
      openMaxMs: config.open_max_ms,
      halfOpenProbes: config.half_open_probes,
    };
    for (const upstream of upstreams) {
      const state: UpstreamHealthState = new UpstreamHealthState(
        upstream,
        new CircuitBreaker(this.options, now, (s) => {
          hub.breakerStateChanged(upstream.name, undefined, s);
          this.updateHealth(state, s === 'open' ? 'transport failures' : 'transport recovered');
        }),
      );
      this.states.set(upstream.name, state);
    }
  }

  state(upstream: Upstream): UpstreamHealthState {
    return this.states.get(upstream.name)!;
  }

  model(upstream: Upstream, model: string): ModelHealth {
    const state = this.state(upstream);
    let health = state.models.get(model);
    if (health) return health;
    if (state.models.size >= MAX_MODELS_PER_UPSTREAM) {
      health = state.models.get(OVERFLOW_MODEL);
      if (health) return health;
      model = OVERFLOW_MODEL;
    }
    const label = model === OVERFLOW_MODEL ? 'other' : model;
    const created: ModelHealth = new ModelHealth(
      new CircuitBreaker(this.options, this.now, (s) => {
        this.hub.breakerStateChanged(upstream.name, label, s);
        if (s === 'open') for (const watcher of created.openWatchers.snapshot()) watcher.breakerOpened();
      }),
    );
    state.models.set(model, created);
    return created;
  }

  /** Usable right now (without reserving a half-open probe slot)? */
  available(upstream: Upstream, model: string): boolean {
    const state = this.state(upstream);
    return state.checkOk && state.transport.available() && this.model(upstream, model).breaker.available();
  }

  coolingDown(upstream: Upstream, model: string): boolean {
    return this.model(upstream, model).coolDownUntil > this.now();
  }

  /** Reserves an attempt on this upstream (a probe slot when half-open); false when its breaker says no. */
  acquire(upstream: Upstream, model: string): boolean {
    const state = this.state(upstream);
    if (!state.checkOk) return false;
    if (!state.transport.acquire()) return false;
    if (this.model(upstream, model).breaker.acquire()) {
      state.inFlight++;
      return true;
    }
    state.transport.release();
    return false;
  }

  /**
   * Feeds an attempt's verdict to the breakers: `transport` (connect error,
   * reset), `failure` (5xx, timeout, cut, too slow) or `success`.
   */
  report(upstream: Upstream, model: string, verdict: 'success' | 'failure' | 'transport'): void {
    const state = this.state(upstream);
    const breaker = this.model(upstream, model).breaker;
    if (verdict === 'success') {
      breaker.success();
      state.transport.success();
    } else if (verdict === 'failure') {
      // The upstream answered badly or slowly, but the connection itself worked.
      breaker.failure();
      state.transport.success();
    } else {
      breaker.failure();
      state.transport.failure();
    }
  }

  /** The attempt ended; without any verdict reported (cancelled, rate-limited) its probe slots are freed. */
  finish(upstream: Upstream, model: string, reported: boolean): void {
    const state = this.state(upstream);
    state.inFlight--;
    if (reported) return;
    this.model(upstream, model).breaker.release();
    state.transport.release();
  }

  /** Tells `watcher` when this upstream's breaker for `model` opens, until unwatched. */
  watchOpen(upstream: Upstream, model: string, watcher: OpenWatcher): void {
    this.model(upstream, model).openWatchers.add(watcher);
  }

  /** Attempts registered to hear a breaker open, over every upstream and model (0 when nothing waits). */
  openWatcherCount(): number {
    let n = 0;
    for (const state of this.states.values()) for (const m of state.models.values()) n += m.openWatchers.size;
    return n;
  }

  unwatchOpen(upstream: Upstream, model: string, watcher: OpenWatcher): void {
    this.model(upstream, model).openWatchers.delete(watcher);
  }

  recordLatency(upstream: Upstream, model: string, stream: boolean, ms: number): void {
    this.tracker(upstream, model, stream).record(ms);
  }

  tracker(upstream: Upstream, model: string, stream: boolean): LatencyTracker {
    const health = this.model(upstream, model);
    return stream ? health.ttft : health.latency;
  }

  /** Enough samples to trust the adaptive slow threshold (before that, slowness is not held against it). */
  warm(upstream: Upstream, model: string, stream: boolean): boolean {
    return (
      this.config.slow_ms !== 'auto' || this.tracker(upstream, model, stream).sampleCount >= WARM_SAMPLES
    );
  }

  coolDown(upstream: Upstream, model: string, ms: number): void {
    this.model(upstream, model).coolDownUntil = this.now() + ms;
  }

  /** The slow threshold when no other upstream could take the request, ms. */
  get loneSlowMs(): number {
    return this.config.lone_slow_ms;
  }

  /** The slow threshold for this upstream, model and kind of request, ms (the hedge delay too). */
  slowThresholdMs(upstream: Upstream, model: string, stream: boolean): number {
    if (this.config.slow_ms !== 'auto') return this.config.slow_ms;
    const latency = this.tracker(upstream, model, stream);
    if (latency.sampleCount < WARM_SAMPLES) return this.config.initial_slow_ms;
    return Math.max(this.config.min_slow_ms, Math.round(1.5 * latency.p95(this.now())));
  }

  /** Milliseconds until one of these upstreams may be tried again. */
  retryAfterMs(upstreams: ReadonlyArray<{ upstream: Upstream; model: string }>): number {
    let soonest = Number.POSITIVE_INFINITY;
    for (const { upstream, model } of upstreams) {
      const state = this.state(upstream);
      const wait = Math.max(
        state.transport.retryAfterMs(),
        this.model(upstream, model).breaker.retryAfterMs(),
      );
      soonest = Math.min(soonest, wait);
    }
    return Number.isFinite(soonest) ? soonest : this.config.open_ms;
  }

  /** At least one upstream can take traffic (for /readyz). */
  anyUsable(): boolean {
    for (const state of this.states.values()) if (state.checkOk && state.transport.available()) return true;
    return false;
  }

  /** Emits each upstream's current health (subscribers attached after construction learn the start state). */
  announce(): void {
    for (const state of this.states.values())
      this.hub.upstreamHealthChanged(state.upstream.name, state.healthy, 'start');
  }

  /** Starts active checks for upstreams that configure an interval. */
  startActiveChecks(checks: ReadonlyMap<string, HealthCheckConfig>): void {
    for (const state of this.states.values()) {
      const check = checks.get(state.upstream.name);
      if (!check || check.interval_ms === 0) continue;
      const run = (): void => {
        probe(state.upstream, check).then((ok) => {
          if (ok === state.checkOk) return;
          state.checkOk = ok;
          this.updateHealth(state, ok ? 'active check passed' : 'active check failed');
        });
      };
      run();
      const timer = setInterval(run, check.interval_ms);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private updateHealth(state: UpstreamHealthState, reason: string): void {
    const healthy = state.checkOk && state.transport.state !== 'open';
    if (healthy === state.healthy) return;
    state.healthy = healthy;
    this.hub.upstreamHealthChanged(state.upstream.name, healthy, reason);
  }
}

async function probe(upstream: Upstream, check: HealthCheckConfig): Promise<boolean> {
  try {
    const { statusCode, body } = await upstream.pool.request({
      method: 'GET',
      path: upstream.basePath + check.path,
      headers: upstream.getHeaders as string[],
      signal: AbortSignal.timeout(check.timeout_ms),
    });
    await body.dump();
    return statusCode < 500;
  } catch {
    return false;
  }
}
