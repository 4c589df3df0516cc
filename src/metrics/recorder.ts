// The metrics subscriber: turns relay events into counter, gauge and histogram
// updates. Everything a request touches is cached per (model label, upstream),
// created on first use, so an event costs a couple of map lookups and field
// updates: no label strings are built per request.

import type {
  AttemptInfo,
  AttemptResult,
  BreakerState,
  Endpoint,
  FinishInfo,
  Outcome,
  RelayObserver,
  RequestRecord,
  Usage,
  UsageSource,
} from '../events/types.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { UpstreamHeaders } from '../upstream/upstream-headers.js';
import {
  ATTEMPT_OUTCOMES,
  BREAKER_STATES,
  ENDPOINTS,
  type FamilySet,
  type LabelProfile,
  NO_UPSTREAM,
  OTHER,
  OUTCOMES,
} from './definitions.js';
import type { CounterChild, GaugeChild, HistogramChild, LabelSet, UsdChild } from './instruments.js';
import { ModelLabelGuard, statusLabel } from './labels.js';
import { RATE_LIMIT_SERIES, type RateLimitReading, readRateLimitHeaders } from './rate-limit-headers.js';

export interface RecorderOptions {
  readonly families: FamilySet;
  readonly profile: LabelProfile;
  readonly prices: PriceTable;
  /** Model names from the configuration: they always get their own label value. */
  readonly configuredModels: Iterable<string>;
  readonly maxModelLabels: number;
  /** Configured upstream names, the only values of the `upstream` label. */
  readonly upstreams: readonly string[];
}

const ENDPOINT_INDEX: Record<Endpoint, number> = { 'chat/completions': 0, completions: 1, embeddings: 2 };
const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;
const ATTEMPT_OUTCOME_INDEX = Object.fromEntries(ATTEMPT_OUTCOMES.map((o, i) => [o, i])) as Record<
  string,
  number
>;

/** 0 for "none", 1 for "other", else the code itself: a numeric series key without strings. */
const statusKey = (status: number | undefined): number =>
  status === undefined ? 0 : Number.isInteger(status) && status >= 100 && status <= 599 ? status : 1;

/** The series of one (model label, upstream label) pair, created as they are first needed. */
class Slot {
  readonly base: LabelSet;
  readonly requests: Array<Map<number, CounterChild>> = [new Map(), new Map(), new Map()];
  readonly duration: Array<HistogramChild | undefined> = [undefined, undefined, undefined];
  ttft: HistogramChild | undefined;
  tpot: HistogramChild | undefined;
  /** prompt, completion, total, cached_prompt, reasoning */
  readonly tokens: Array<CounterChild | undefined> = [];
  /** prompt, completion, total */
  readonly estimatedTokens: Array<CounterChild | undefined> = [];
  cost: UsdChild | undefined;
  estimatedCost: UsdChild | undefined;
  unpriced: CounterChild | undefined;
  readonly upstreamRequests = new Map<number, CounterChild>();
  readonly attempts = new Map<string, CounterChild>();
  readonly hedges: Array<CounterChild | undefined> = [undefined, undefined];
  readonly rateLimit: Array<GaugeChild | undefined> = [];

  constructor(model: string, upstream: string) {
    this.base = Object.freeze({ model, upstream });
  }
}

class ModelEntry {
  readonly slots = new Map<string, Slot>();
  constructor(
    readonly label: string,
    readonly active: GaugeChild,
  ) {}
}

const TOKEN_TYPES = ['prompt', 'completion', 'total', 'cached_prompt', 'reasoning'] as const;

const seriesIndex = (field: keyof RateLimitReading): number =>
  RATE_LIMIT_SERIES.findIndex((spec) => spec.field === field);
const REMAINING_REQUESTS = seriesIndex('remainingRequests');
const REMAINING_TOKENS = seriesIndex('remainingTokens');
const LIMIT_REQUESTS = seriesIndex('limitRequests');
const LIMIT_TOKENS = seriesIndex('limitTokens');
const RESET_REQUESTS = seriesIndex('resetRequestsMs');
const RESET_TOKENS = seriesIndex('resetTokensMs');

export class MetricsRecorder implements RelayObserver {
  private readonly f: FamilySet;
  private readonly profile: LabelProfile;
  private readonly prices: PriceTable;
  private readonly models: ModelLabelGuard<ModelEntry>;
  private readonly upstreamLabels: Map<string, string>;
  private readonly breakers = new Map<string, GaugeChild[]>();
  private readonly upstreamUp = new Map<string, GaugeChild>();
  private readonly failovers = new Map<string, CounterChild>();

  constructor(options: RecorderOptions) {
    this.f = options.families;
    this.profile = options.profile;
    this.prices = options.prices;
    const active = this.f.gauge('active');
    this.models = new ModelLabelGuard(
      options.configuredModels,
      options.maxModelLabels,
      (label) => new ModelEntry(label, active.child({ model: label })),
    );
    this.upstreamLabels = new Map(options.upstreams.map((u) => [u, u]));
    const up = this.f.gauge('upstreamUp');
    for (const name of options.upstreams) {
      const child = up.child({ upstream: name });
      child.set(1);
      this.upstreamUp.set(name, child);
    }
  }

  /** The model label a raw model name gets (for tests and other subscribers). */
  modelLabel(model: string): string {
    return this.models.get(model).label;
  }

  private upstreamLabel(name: string | undefined): string {
    return name === undefined ? NO_UPSTREAM : (this.upstreamLabels.get(name) ?? OTHER);
  }

  /**
   * The last slot handed out: a request's events ask for the same one four or
   * five times in a row, and a slot never changes once made (three `Map`
   * lookups saved on each repeat).
   */
  private lastSlot: Slot | undefined;
  private lastSlotModel = '';
  private lastSlotUpstream: string | undefined;

  private slot(model: string, upstream: string | undefined): Slot {
    if (this.lastSlot !== undefined && model === this.lastSlotModel && upstream === this.lastSlotUpstream)
      return this.lastSlot;
    const slot = this.findSlot(model, upstream);
    this.lastSlot = slot;
    this.lastSlotModel = model;
    this.lastSlotUpstream = upstream;
    return slot;
  }

  private findSlot(model: string, upstream: string | undefined): Slot {
    const entry = this.models.get(model);
    const label = this.upstreamLabel(upstream);
    let slot = entry.slots.get(label);
    if (!slot) {
      slot = new Slot(entry.label, label);
      entry.slots.set(label, slot);
    }
    return slot;
  }

  requestStarted(req: RequestRecord): void {
    this.models.get(req.model).active.inc();
  }

  attemptStarted(req: RequestRecord, attempt: AttemptInfo): void {
    const slot = this.slot(req.model, attempt.upstream);
    let child = slot.attempts.get(attempt.reason);
    if (!child) {
      child = this.f.counter('attempts').child({ ...slot.base, reason: attempt.reason });
      slot.attempts.set(attempt.reason, child);
    }
    child.inc();
    const from = attempt.failoverFrom;
    if (from !== undefined && from !== attempt.upstream) this.failover(from, attempt.upstream);
  }

  private failover(from: string, to: string): void {
    const fromLabel = this.upstreamLabel(from);
    const toLabel = this.upstreamLabel(to);
    const key = `${fromLabel}\u0000${toLabel}`; // failovers are rare: a key string is fine here
    let child = this.failovers.get(key);
    if (!child) {
      child = this.f.counter('failovers').child({ from_upstream: fromLabel, to_upstream: toLabel });
      this.failovers.set(key, child);
    }
    child.inc();
  }

  upstreamHeaders(req: RequestRecord, attempt: AttemptInfo, _status: number, headers: UpstreamHeaders): void {
    const now = Date.now();
    const reading = readRateLimitHeaders(headers, now);
    if (!reading) return;
    const slot = this.slot(req.model, attempt.upstream);
    // Each field read by name: `reading[spec.field]` over six names was a megamorphic keyed load.
    this.rateLimit(slot, REMAINING_REQUESTS, reading.remainingRequests, now);
    this.rateLimit(slot, REMAINING_TOKENS, reading.remainingTokens, now);
    this.rateLimit(slot, LIMIT_REQUESTS, reading.limitRequests, now);
    this.rateLimit(slot, LIMIT_TOKENS, reading.limitTokens, now);
    this.rateLimit(slot, RESET_REQUESTS, reading.resetRequestsMs, now);
    this.rateLimit(slot, RESET_TOKENS, reading.resetTokensMs, now);
  }

  /** Sets the gauge of series `i` (an index in RATE_LIMIT_SERIES), when the upstream sent its header. */
  private rateLimit(slot: Slot, i: number, value: number | undefined, now: number): void {
    if (value === undefined) return;
    const spec = RATE_LIMIT_SERIES[i]!;
    let child = slot.rateLimit[i];
    if (!child) {
      const family = this.profile === 'seed' ? spec.seedFamily : spec.family;
      child = this.f.gauge(family).child({ ...slot.base, limit: spec.limit });
      slot.rateLimit[i] = child;
    }
    // A reset is exported as the time it happens, so the gauge stays true between responses.
    child.set(spec.isReset ? (now + value) / 1000 : value, now);
  }

  attemptFinished(req: RequestRecord, result: AttemptResult): void {
    const slot = this.slot(req.model, result.upstream);
    const key = (ATTEMPT_OUTCOME_INDEX[result.outcome] ?? 0) * 1024 + statusKey(result.status);
    let child = slot.upstreamRequests.get(key);
    if (!child) {
      child = this.f
        .counter('upstreamRequests')
        .child({ ...slot.base, outcome: result.outcome, status_code: statusLabel(result.status) });
      slot.upstreamRequests.set(key, child);
    }
    child.inc();
    if (result.reason === 'hedge') {
      const i = result.used ? 0 : 1;
      let hedge = slot.hedges[i];
      if (!hedge) {
        hedge = this.f.counter('hedges').child({ ...slot.base, result: result.used ? 'won' : 'lost' });
        slot.hedges[i] = hedge;
      }
      hedge.inc();
    }
  }

  firstToken(req: RequestRecord, ttftMs: number): void {
    const slot = this.slot(req.model, req.upstream);
    slot.ttft ??= this.f.histogram('ttft').child(slot.base);
    slot.ttft.observe(ttftMs / 1000);
  }

  usageKnown(req: RequestRecord, usage: Usage, source: UsageSource): void {
    const slot = this.slot(req.model, req.upstream);
    const price = this.prices.lookup(req.upstream, req.upstreamModel, req.model);
    if (source === 'reported') {
      this.tokens(slot, 0, usage.promptTokens);
      this.tokens(slot, 1, usage.completionTokens);
      this.tokens(slot, 2, usage.totalTokens);
      if (usage.cachedPromptTokens > 0) this.tokens(slot, 3, usage.cachedPromptTokens);
      if (usage.reasoningTokens > 0) this.tokens(slot, 4, usage.reasoningTokens);
    } else {
      this.estimatedTokens(slot, 0, usage.promptTokens);
      this.estimatedTokens(slot, 1, usage.completionTokens);
      this.estimatedTokens(slot, 2, usage.totalTokens);
    }
    if (!price) {
      slot.unpriced ??= this.f.counter('unpricedTokens').child(slot.base);
      slot.unpriced.inc(usage.totalTokens);
      return;
    }
    let cost: UsdChild;
    if (source === 'reported') cost = slot.cost ??= this.f.usd('cost').child(slot.base);
    else cost = slot.estimatedCost ??= this.f.usd('estimatedCost').child(slot.base);
    const cached = Math.min(usage.cachedPromptTokens, usage.promptTokens);
    cost.addTokens(usage.promptTokens - cached, price.inputMicro);
    cost.addTokens(cached, price.cachedInputMicro);
    cost.addTokens(usage.completionTokens, price.outputMicro);
  }

  private tokens(slot: Slot, type: number, n: number): void {
    let child = slot.tokens[type];
    if (!child) {
      child = this.f.counter('tokens').child({ ...slot.base, token_type: TOKEN_TYPES[type]! });
      slot.tokens[type] = child;
    }
    child.inc(n);
  }

  private estimatedTokens(slot: Slot, type: number, n: number): void {
    let child = slot.estimatedTokens[type];
    if (!child) {
      child = this.f.counter('estimatedTokens').child({ ...slot.base, token_type: TOKEN_TYPES[type]! });
      slot.estimatedTokens[type] = child;
    }
    child.inc(n);
  }

  requestFinished(req: RequestRecord, info: FinishInfo): void {
    const entry = this.models.get(req.model);
    entry.active.dec();
    const slot = this.slot(req.model, req.upstream);
    const e = ENDPOINT_INDEX[req.endpoint] ?? 0;
    const key = OUTCOME_INDEX[info.outcome] * 1024 + statusKey(info.status);
    const byStatus = slot.requests[e]!;
    let child = byStatus.get(key);
    if (!child) {
      child = this.f.counter('requests').child({
        ...slot.base,
        endpoint: ENDPOINTS[e]!,
        status_code: statusLabel(info.status),
        outcome: info.outcome,
      });
      byStatus.set(key, child);
    }
    child.inc();
    let duration = slot.duration[e];
    if (!duration) {
      duration = this.f.histogram('requestDuration').child({ ...slot.base, endpoint: ENDPOINTS[e]! });
      slot.duration[e] = duration;
    }
    duration.observe(info.durationMs / 1000);
    if (req.attempts > 0) this.overhead(e).observe(req.overheadMs / 1000);
    const completion = req.usage?.completionTokens ?? 0;
    if (req.stream && info.outcome === 'success' && req.firstTokenAt !== undefined && completion > 1) {
      const decodeMs = req.startedAt + info.durationMs - req.firstTokenAt;
      slot.tpot ??= this.f.histogram('tpot').child(slot.base);
      slot.tpot.observe(decodeMs / 1000 / (completion - 1));
    }
  }

  private readonly overheadChildren: Array<HistogramChild | undefined> = [undefined, undefined, undefined];
  private overhead(e: number): HistogramChild {
    let child = this.overheadChildren[e];
    if (!child) {
      child = this.f.histogram('overhead').child({ endpoint: ENDPOINTS[e]! });
      this.overheadChildren[e] = child;
    }
    return child;
  }

  breakerStateChanged(upstream: string, model: string | undefined, state: BreakerState): void {
    const upstreamLabel = this.upstreamLabel(upstream);
    const modelLabel = model === undefined ? '' : this.models.get(model).label;
    const key = `${upstreamLabel}\u0000${modelLabel}`; // rare event
    let children = this.breakers.get(key);
    if (!children) {
      const family = this.f.gauge('breakerState');
      children = BREAKER_STATES.map((s) =>
        family.child({ upstream: upstreamLabel, model: modelLabel, state: s }),
      );
      this.breakers.set(key, children);
    }
    BREAKER_STATES.forEach((s, i) => {
      children[i]!.set(s === state ? 1 : 0);
    });
  }

  upstreamHealthChanged(upstream: string, healthy: boolean): void {
    const child = this.upstreamUp.get(upstream);
    if (child) child.set(healthy ? 1 : 0);
  }
}
