// Metrics across worker processes (node:cluster). Each worker keeps its own
// registry; a scrape that lands on any worker asks the primary, which collects
// every worker's snapshot over IPC and merges them family by family: counters
// and histograms sum, gauges per their definition (active requests sum,
// rate-limit gauges take the most recent value, upstream_up averages).
// Counters never go backwards: a worker that exits leaves its last snapshot
// (sent as it stops) in a retired total, and a worker that does not answer in
// time is counted with its previous snapshot.

import type { Cluster, Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { FamilySnapshot, MetricJson } from './instruments.js';

const COLLECT = 'sheepdog:metrics:collect';
const SNAPSHOT = 'sheepdog:metrics:snapshot';
const SCRAPE = 'sheepdog:metrics:scrape';
const SCRAPED = 'sheepdog:metrics:scraped';
const FINAL = 'sheepdog:metrics:final';

interface Message {
  type?: unknown;
  id?: unknown;
  metrics?: MetricJson[];
  text?: string;
  error?: string;
}

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null;

type Snapshot = MetricJson[];

function labelKey(labels: Record<string, unknown>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${String(labels[k])}`)
    .join('\u0000');
}

/**
 * Merges worker snapshots into one registry. `latest` gauges (values carry the
 * epoch ms they were set at) keep the most recent value per series; everything
 * else goes through prom-client's AggregatorRegistry.
 */
export function aggregateSnapshots(snapshots: readonly Snapshot[]): Registry {
  const latest = new Map<
    string,
    { metric: FamilySnapshot; values: Map<string, FamilySnapshot['values'][number]> }
  >();
  const rest: Snapshot[] = [];
  for (const snapshot of snapshots) {
    const kept: Snapshot = [];
    for (const metric of snapshot) {
      const m = metric as unknown as FamilySnapshot;
      if (m.aggregator !== 'latest') {
        kept.push(metric);
        continue;
      }
      let merged = latest.get(m.name);
      if (!merged) {
        merged = { metric: m, values: new Map() };
        latest.set(m.name, merged);
      }
      for (const v of m.values) {
        const key = labelKey(v.labels);
        const seen = merged.values.get(key);
        if (!seen || (v.at ?? 0) > (seen.at ?? 0)) merged.values.set(key, v);
      }
    }
    rest.push(kept);
  }
  const merged: Snapshot = [...latest.values()].map(
    ({ metric, values }) =>
      ({
        ...metric,
        aggregator: 'first',
        values: [...values.values()].map(({ value, labels }) => ({ value, labels })),
      }) as unknown as MetricJson,
  );
  rest.push(merged);
  return AggregatorRegistry.aggregate(rest);
}

/** Only what must stay monotonic once a worker is gone. */
function cumulativeOnly(snapshot: Snapshot): Snapshot {
  return snapshot.filter((m) => {
    const type = (m as unknown as FamilySnapshot).type as string;
    return type === 'counter' || type === 'histogram';
  });
}

export interface PrimaryMetricsOptions {
  /** How long a scrape waits for each worker before using its previous snapshot. */
  readonly collectTimeoutMs?: number;
}

/** The primary's side: answers workers' scrape requests with the aggregate. */
export class PrimaryMetrics {
  private readonly cluster: Cluster;
  private readonly timeoutMs: number;
  private readonly last = new Map<number, Snapshot>();
  private retired: Snapshot[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { snapshots: Map<number, Snapshot>; done: () => void }>();
  contentType = 'text/plain; version=0.0.4; charset=utf-8';

  constructor(cluster: Cluster, options: PrimaryMetricsOptions = {}) {
    this.cluster = cluster;
    this.timeoutMs = options.collectTimeoutMs ?? 2_000;
    cluster.on('message', (worker, message: unknown) => this.onMessage(worker, message));
  }

  private onMessage(worker: Worker, message: unknown): void {
    if (!isMessage(message)) return;
    if (message.type === SNAPSHOT && typeof message.id === 'number' && message.metrics) {
      this.last.set(worker.id, message.metrics);
      const request = this.pending.get(message.id);
      if (request) {
        request.snapshots.set(worker.id, message.metrics);
        request.done();
      }
    } else if (message.type === FINAL && message.metrics) {
      this.last.set(worker.id, message.metrics);
    } else if (message.type === SCRAPE && typeof message.id === 'number') {
      const id = message.id;
      this.scrape().then(
        (text) => worker.isConnected() && worker.send({ type: SCRAPED, id, text }),
        (err: unknown) => worker.isConnected() && worker.send({ type: SCRAPED, id, error: String(err) }),
      );
    }
  }

  /** A worker exited: its last counters and histograms stay in the total. */
  retire(workerId: number): void {
    const snapshot = this.last.get(workerId);
    this.last.delete(workerId);
    if (snapshot) this.retired.push(cumulativeOnly(snapshot));
  }

  /** Every retired worker's counters, folded into one snapshot. */
  private async retiredTotal(): Promise<Snapshot | undefined> {
    if (this.retired.length > 1) {
      const parts = this.retired;
      this.retired = [];
      const merged = cumulativeOnly(await aggregateSnapshots(parts).getMetricsAsJSON());
      this.retired.unshift(merged);
    }
    return this.retired[0];
  }

  /** Collects every live worker's snapshot (or its previous one on timeout) and renders the aggregate. */
  async scrape(): Promise<string> {
    const workers = Object.values(this.cluster.workers ?? {}).filter(
      (w): w is Worker => w?.isConnected() === true,
    );
    const id = this.nextId++;
    const snapshots = new Map<number, Snapshot>();
    await new Promise<void>((resolve) => {
      let waiting = workers.length;
      const timer = setTimeout(resolve, this.timeoutMs);
      const done = (): void => {
        if (--waiting <= 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.pending.set(id, { snapshots, done });
      if (waiting === 0) done();
      for (const w of workers) w.send({ type: COLLECT, id });
    });
    this.pending.delete(id);
    const all: Snapshot[] = [];
    for (const w of workers) {
      const s = snapshots.get(w.id) ?? this.last.get(w.id);
      if (s) all.push(s);
    }
    const retired = await this.retiredTotal();
    if (retired) all.push(retired);
    return aggregateSnapshots(all).metrics();
  }
}

/** The worker's side: answers the primary's collect requests, and asks it for the aggregate. */
export class WorkerMetrics {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (text: string) => void; reject: (err: Error) => void }
  >();
  readonly contentType: string;

  constructor(
    private readonly registry: Registry,
    private readonly timeoutMs = 5_000,
  ) {
    this.contentType = registry.contentType;
    process.on('message', (message: unknown) => {
      if (!isMessage(message)) return;
      if (message.type === COLLECT) {
        const id = message.id;
        registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: SNAPSHOT, id, metrics }));
      } else if (message.type === SCRAPED && typeof message.id === 'number') {
        const w = this.waiting.get(message.id);
        if (!w) return;
        this.waiting.delete(message.id);
        if (message.error !== undefined) w.reject(new Error(message.error));
        else w.resolve(message.text ?? '');
      }
    });
  }

  /** The aggregate of every worker, from the primary. */
  scrape(): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('the primary did not answer the metrics request in time'));
      }, this.timeoutMs);
      this.waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: SCRAPE, id });
    });
  }

  /** Sends this worker's final counters to the primary before it exits, so they stay in the total. */
  async sendFinal(): Promise<void> {
    const metrics = await this.registry.getMetricsAsJSON();
    await new Promise<void>((resolve) => {
      if (!process.send || !process.connected) return resolve();
      process.send({ type: FINAL, metrics }, undefined, {}, () => resolve());
    });
  }
}
