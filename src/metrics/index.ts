/**
 * Prometheus metrics for the relay: the families of ./definitions.ts in an
 * injected prom-client Registry, fed by subscribers on the event hub, served on
 * /metrics. Nothing here touches the proxy.
 *
 * @example
 * const metrics = createMetrics(config);
 * if (metrics) attachMetrics(app, metrics, logger);
 * // GET /metrics now answers, e.g. sheepdog_requests_total{endpoint="chat/completions",...} 1
 */

import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { RelayObserver } from '../events/types.js';
import { PriceTable } from '../pricing/price-table.js';
import type { App } from '../server/app.js';
import { VERSION } from '../version.js';
import { WorkerMetrics } from './cluster.js';
import {
  defaultLabelProfile,
  type FamilySet,
  instantiateFamilies,
  type NamingOptions,
} from './definitions.js';
import { GenAiRecorder } from './genai.js';
import { type ExpositionSource, metricsHandler } from './http.js';
import { MetricsRecorder } from './recorder.js';

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface Metrics extends ExpositionSource {
  readonly registry: Registry;
  readonly families: FamilySet;
  readonly naming: NamingOptions;
  readonly recorder: MetricsRecorder;
  /** Subscribers to put on the event hub. */
  readonly observers: readonly RelayObserver[];
  /** In a cluster worker: the worker side, which also sends final counters on exit. */
  readonly worker: WorkerMetrics | undefined;
}

export interface CreateMetricsOptions {
  /** This process is a cluster worker: scrapes return the aggregate from the primary. */
  readonly clusterWorker?: boolean;
}

/** Model names the configuration knows: they always keep their own `model` label value. */
export function configuredModels(config: Config, prices: PriceTable): Set<string> {
  const names = new Set<string>(['unknown']);
  for (const u of config.upstreams) {
    for (const m of u.models ?? []) names.add(m);
    for (const m of Object.keys(u.aliases ?? {})) names.add(m);
  }
  for (const m of Object.keys(config.routes ?? {})) if (m !== '*') names.add(m);
  for (const m of prices.modelNames()) names.add(m);
  return names;
}

/** Builds the registry and subscribers for `config`; undefined when `metrics.enabled` is false. */
export function createMetrics(config: Config, options: CreateMetricsOptions = {}): Metrics | undefined {
  const m = config.metrics;
  if (!m.enabled) return undefined;
  const registry = new Registry();
  const naming: NamingOptions = {
    prefix: m.prefix,
    profile: m.label_profile ?? defaultLabelProfile(m.prefix),
    genai: m.opentelemetry_genai,
  };
  const families = instantiateFamilies(registry, naming);
  if (m.process_metrics) {
    collectDefaultMetrics({ register: registry });
    // Gauges named *_total break the naming rules promtool checks (and rate() on them lies);
    // their per-type siblings (nodejs_active_handles{type}, ...) stay.
    for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  families.gauge('buildInfo').child({ version: VERSION }).set(1);
  families.gauge('workers').child({}).set(1);
  const prices = new PriceTable(config.pricing);
  const recorder = new MetricsRecorder({
    families,
    profile: naming.profile,
    prices,
    configuredModels: configuredModels(config, prices),
    maxModelLabels: m.max_model_labels,
    upstreams: config.upstreams.map((u) => u.name),
  });
  const observers: RelayObserver[] = [recorder];
  if (naming.genai)
    observers.push(
      new GenAiRecorder({
        families,
        modelLabel: (model) => recorder.modelLabel(model),
        upstreams: config.upstreams,
      }),
    );
  const worker = options.clusterWorker ? new WorkerMetrics(registry) : undefined;
  return {
    registry,
    families,
    naming,
    recorder,
    observers,
    worker,
    contentType: registry.contentType,
    scrape: worker ? () => worker.scrape() : () => registry.metrics(),
  };
}

/** Subscribes `metrics` to the app's events and serves them on `GET /metrics` of the main port. */
export function attachMetrics(app: App, metrics: Metrics, logger: Logger): void {
  for (const observer of metrics.observers) app.hub.subscribe(observer);
  app.route(
    'GET',
    '/metrics',
    metricsHandler(metrics, app.config.metrics.bearer_token, (err) =>
      logger.error({ err }, 'metrics scrape failed'),
    ),
  );
}

export { aggregateSnapshots, PrimaryMetrics, WorkerMetrics } from './cluster.js';
export * from './definitions.js';
export { listenMetrics, metricsHandler } from './http.js';
