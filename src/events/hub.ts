// Fans each relay event out to its subscribers. Listeners are kept in one array
// per event so emitting costs a loop over exactly the interested subscribers.

import type { UpstreamHeaders } from '../upstream/upstream-headers.js';
import type {
  AttemptInfo,
  AttemptResult,
  BreakerState,
  FinishInfo,
  RelayObserver,
  RequestRecord,
  Usage,
  UsageSource,
} from './types.js';

type EventName = keyof RelayObserver;
type Listeners = { [K in EventName]: Array<NonNullable<RelayObserver[K]>> };

const EVENT_NAMES: readonly EventName[] = [
  'requestStarted',
  'attemptStarted',
  'upstreamHeaders',
  'attemptFinished',
  'firstToken',
  'usageKnown',
  'aborted',
  'requestFinished',
  'breakerStateChanged',
  'upstreamHealthChanged',
];

export class EventHub {
  private readonly listeners: Listeners = {
    requestStarted: [],
    attemptStarted: [],
    upstreamHeaders: [],
    attemptFinished: [],
    firstToken: [],
    usageKnown: [],
    aborted: [],
    requestFinished: [],
    breakerStateChanged: [],
    upstreamHealthChanged: [],
  };
  /** Called when a subscriber throws: one bad subscriber must not break a request. */
  onSubscriberError: (err: unknown, event: EventName) => void = () => {};

  /** Subscribes every method `observer` implements; returns the unsubscribe function. */
  subscribe(observer: RelayObserver): () => void {
    const added: Array<[EventName, unknown]> = [];
    for (const name of EVENT_NAMES) {
      const fn = observer[name];
      if (typeof fn !== 'function') continue;
      const bound = fn.bind(observer);
      (this.listeners[name] as unknown[]).push(bound);
      added.push([name, bound]);
    }
    return () => {
      for (const [name, bound] of added) {
        const list = this.listeners[name] as unknown[];
        const i = list.indexOf(bound);
        if (i >= 0) list.splice(i, 1);
      }
    };
  }

  requestStarted(req: RequestRecord): void {
    for (const fn of this.listeners.requestStarted) {
      try {
        fn(req);
      } catch (err) {
        this.onSubscriberError(err, 'requestStarted');
      }
    }
  }
  attemptStarted(req: RequestRecord, attempt: AttemptInfo): void {
    for (const fn of this.listeners.attemptStarted) {
      try {
        fn(req, attempt);
      } catch (err) {
        this.onSubscriberError(err, 'attemptStarted');
      }
    }
  }
  upstreamHeaders(req: RequestRecord, attempt: AttemptInfo, status: number, headers: UpstreamHeaders): void {
    for (const fn of this.listeners.upstreamHeaders) {
      try {
        fn(req, attempt, status, headers);
      } catch (err) {
        this.onSubscriberError(err, 'upstreamHeaders');
      }
    }
  }
  attemptFinished(req: RequestRecord, result: AttemptResult): void {
    for (const fn of this.listeners.attemptFinished) {
      try {
        fn(req, result);
      } catch (err) {
        this.onSubscriberError(err, 'attemptFinished');
      }
    }
  }
  firstToken(req: RequestRecord, ttftMs: number): void {
    for (const fn of this.listeners.firstToken) {
      try {
        fn(req, ttftMs);
      } catch (err) {
        this.onSubscriberError(err, 'firstToken');
      }
    }
  }
  usageKnown(req: RequestRecord, usage: Usage, source: UsageSource): void {
    for (const fn of this.listeners.usageKnown) {
      try {
        fn(req, usage, source);
      } catch (err) {
        this.onSubscriberError(err, 'usageKnown');
      }
    }
  }
  aborted(req: RequestRecord): void {
    for (const fn of this.listeners.aborted) {
      try {
        fn(req);
      } catch (err) {
        this.onSubscriberError(err, 'aborted');
      }
    }
  }
  requestFinished(req: RequestRecord, info: FinishInfo): void {
    for (const fn of this.listeners.requestFinished) {
      try {
        fn(req, info);
      } catch (err) {
        this.onSubscriberError(err, 'requestFinished');
      }
    }
  }
  breakerStateChanged(upstream: string, model: string | undefined, state: BreakerState): void {
    for (const fn of this.listeners.breakerStateChanged) {
      try {
        fn(upstream, model, state);
      } catch (err) {
        this.onSubscriberError(err, 'breakerStateChanged');
      }
    }
  }
  upstreamHealthChanged(upstream: string, healthy: boolean, reason: string): void {
    for (const fn of this.listeners.upstreamHealthChanged) {
      try {
        fn(upstream, healthy, reason);
      } catch (err) {
        this.onSubscriberError(err, 'upstreamHealthChanged');
      }
    }
  }
}
