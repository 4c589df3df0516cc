// Counters behind /_sim/stats and the ring buffer behind /_sim/requests.
import type { RecordedRequest, SimulatorStats, UsageTotals } from './types.js';

function emptyStats(inFlight: number): SimulatorStats {
  return {
    requests_total: 0,
    in_flight: inFlight,
    completed: 0,
    aborted: 0,
    errors_injected: 0,
    resets_injected: 0,
    cuts_injected: 0,
    by_path: {},
    usage_reported: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

export class StatsCollector {
  /** Mutated in place on the hot path; only `snapshot()` copies. */
  counters: SimulatorStats = emptyStats(0);

  countRequest(path: string): void {
    this.counters.requests_total += 1;
    this.counters.by_path[path] = (this.counters.by_path[path] ?? 0) + 1;
  }

  addUsage(usage: UsageTotals): void {
    const sum = this.counters.usage_reported;
    sum.prompt_tokens += usage.prompt_tokens;
    sum.completion_tokens += usage.completion_tokens;
    sum.total_tokens += usage.total_tokens;
  }

  snapshot(): SimulatorStats {
    const c = this.counters;
    return { ...c, by_path: { ...c.by_path }, usage_reported: { ...c.usage_reported } };
  }

  /** Zeroes the counters; `in_flight` is a gauge of live requests, so it is kept. */
  reset(): void {
    this.counters = emptyStats(this.counters.in_flight);
  }
}

interface RawRecord {
  method: string;
  path: string;
  rawHeaders: string[];
  body: unknown;
  at: number;
}

/** Joins node's flat [name, value, ...] list; done on read so recording costs one object per request. */
function headerRecord(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return headers;
}

export class RequestRecorder {
  private readonly slots: (RawRecord | undefined)[];
  private nextSlot = 0;

  constructor(readonly capacity = 100) {
    this.slots = new Array<RawRecord | undefined>(capacity);
  }

  record(entry: RawRecord): void {
    this.slots[this.nextSlot] = entry;
    this.nextSlot = (this.nextSlot + 1) % this.capacity;
  }

  /** Oldest first. */
  list(): RecordedRequest[] {
    const ordered: RecordedRequest[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const entry = this.slots[(this.nextSlot + i) % this.capacity];
      if (entry === undefined) continue;
      const { method, path, rawHeaders, body, at } = entry;
      ordered.push({ method, path, headers: headerRecord(rawHeaders), body, at });
    }
    return ordered;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.nextSlot = 0;
  }
}
