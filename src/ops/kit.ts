// The ops kit's shared contract: options every part of the kit (alert rules,
// Alertmanager, Grafana, deploy) is rendered from, and the file type they
// return. `sheepdog ops render` builds KitOptions from its flags and writes
// what renderKit (src/ops/render.ts) returns.

import { defaultLabelProfile, type LabelProfile, resolveFamilies } from '../metrics/definitions.js';

/**
 * Every alert threshold, with the seed's values where it had one. Durations
 * are Prometheus duration strings at their shipped length; `KitOptions.timeScale`
 * shortens them all for tests.
 */
export interface Thresholds {
  /** Availability SLO: share of requests that succeed (default 0.995); the burn-rate alerts derive from it. */
  sloAvailability: number;
  /** Warning when a model's p95 request duration is above this, in seconds (seed: 5). */
  latencyP95Seconds: number;
  /** Critical when a model's p99 request duration is above this, in seconds (seed: 10). */
  latencyP99CriticalSeconds: number;
  /** Warning when a model's p95 time to first token (streams) is above this, in seconds. */
  ttftP95Seconds: number;
  /** Warning when the relay's own p95 overhead is above this, in seconds. */
  overheadP95Seconds: number;
  /** Warning when the share of failed requests over 5m is above this ratio (seed: 0.05). */
  errorRatio: number;
  /** Warning when the relay's tokens (prompt + completion, every model) over the last hour exceed this (seed: 1M). */
  tokensPerHour: number;
  /** Warning when spend (reported + estimated cost) over the last hour is above this many USD per hour. */
  costBudgetUsdPerHour: number;
  /** Warning when an upstream's remaining request quota is below this (seed: 50). */
  rateLimitHeadroomRequests: number;
  /** Warning when an upstream's remaining token quota is below this. */
  rateLimitHeadroomTokens: number;
  /** Warning when more requests than this are in flight on one relay instance (seed: 100). */
  activeRequests: number;
  /** Warning when more than this share of requests fail over away from one upstream. */
  failoverRatio: number;
  /** `for:` of warnings. */
  warningFor: string;
  /** `for:` of criticals (latency, fast burn). */
  criticalFor: string;
  /** `for:` of relay-down and upstream-down alerts. */
  downFor: string;
  /** `for:` of the no-successful-requests alert. */
  zeroSuccessFor: string;
}

export interface KitOptions {
  /** Metric name prefix (`sheepdog`; `holysheep` for the seed-compatible kit). */
  prefix: string;
  /** Prometheus scrape job of the relay (default `sheepdog`; `holysheep-relay` for prefix holysheep, as the seed). */
  job: string;
  /** Label profile of the relay's metrics (`seed` for prefix holysheep, else `full`). */
  profile: LabelProfile;
  /** `service` label on every alert (default: the job). Alertmanager groups and inhibits by it. */
  service: string;
  /** Alert name prefix (`Sheepdog`; `HolySheep` for prefix holysheep, so the seed's names carry over). */
  alertPrefix: string;
  thresholds: Thresholds;
  /** Relay address Prometheus scrapes, `host:port` (default `relay:5000`; the seed's `relay-server:5000`). */
  relayTarget: string;
  /** Alertmanager address Prometheus sends to, `host:port`. */
  alertmanagerTarget: string;
  /** Prometheus' own address, for its self-scrape. */
  prometheusTarget: string;
  /** Scrape interval of the relay job (default 10s). */
  scrapeInterval: string;
  /** Rule evaluation interval (default 10s). */
  evaluationInterval: string;
  /** URL of docs/runbook.md; each alert links to `${runbookUrl}#<anchor>`. */
  runbookUrl: string;
  /** Directory Alertmanager reads its secret files from (Slack webhook URLs, PagerDuty routing key). */
  secretsDir: string;
  /**
   * Multiplies every duration of the kit: rule windows (never below 4 scrape intervals), `for:`,
   * Alertmanager group_wait/group_interval/repeat_interval. 1 ships; tests use e.g. 1/120.
   * Recording rule names keep the shipped window (`rate5m`) so dashboards work at any scale.
   */
  timeScale: number;
}

/** A rendered file; `path` is relative to the output directory (e.g. `prometheus/alert_rules.yml`). */
export interface KitFile {
  path: string;
  content: string;
}

export type KitPart = (options: KitOptions) => KitFile[];

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
  sloAvailability: 0.995,
  latencyP95Seconds: 5,
  latencyP99CriticalSeconds: 10,
  ttftP95Seconds: 3,
  overheadP95Seconds: 0.05,
  errorRatio: 0.05,
  tokensPerHour: 1_000_000,
  costBudgetUsdPerHour: 10,
  rateLimitHeadroomRequests: 50,
  rateLimitHeadroomTokens: 10_000,
  activeRequests: 100,
  failoverRatio: 0.1,
  warningFor: '5m',
  criticalFor: '1m',
  downFor: '1m',
  zeroSuccessFor: '5m',
};

/** Where alerts link to: docs/runbook.md on the repository's default branch. */
export const DEFAULT_RUNBOOK_URL = 'https://github.com/sheepdog-relay/sheepdog/blob/main/docs/runbook.md';

export type KitOverrides = Partial<Omit<KitOptions, 'thresholds'>> & { thresholds?: Partial<Thresholds> };

/** `sheepdog` -> `Sheepdog`, `my_relay` -> `MyRelay`; the seed's `holysheep` -> `HolySheep`. */
export function alertPrefixFor(prefix: string): string {
  if (prefix === 'holysheep') return 'HolySheep';
  return prefix
    .split('_')
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

export function defaultKitOptions(overrides: KitOverrides = {}): KitOptions {
  const prefix = overrides.prefix ?? 'sheepdog';
  const seed = prefix === 'holysheep';
  const job = overrides.job ?? (seed ? 'holysheep-relay' : prefix);
  const { thresholds, ...rest } = overrides;
  return {
    prefix,
    job,
    profile: defaultLabelProfile(prefix),
    service: job,
    alertPrefix: alertPrefixFor(prefix),
    relayTarget: seed ? 'relay-server:5000' : 'relay:5000',
    alertmanagerTarget: 'alertmanager:9093',
    prometheusTarget: 'localhost:9090',
    scrapeInterval: '10s',
    evaluationInterval: '10s',
    runbookUrl: DEFAULT_RUNBOOK_URL,
    secretsDir: '/etc/alertmanager/secrets',
    timeScale: 1,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    thresholds: { ...DEFAULT_THRESHOLDS, ...thresholds },
  };
}

/**
 * Full metric name of a family (`requests` -> `sheepdog_requests_total`) under the kit's
 * prefix and profile. Throws for a family the profile does not export, so a renamed or
 * removed metric fails the render instead of leaving a rule that queries nothing.
 */
export function metric(options: Pick<KitOptions, 'prefix' | 'profile'>, key: string): string {
  const found = resolveFamilies({ prefix: options.prefix, profile: options.profile, genai: true }).find(
    (family) => family.def.key === key,
  );
  if (!found)
    throw new Error(`ops kit: metric family "${key}" is not exported with profile ${options.profile}`);
  return found.name;
}

/** Label names of a family under the kit's profile (throws like `metric`). */
export function metricLabels(
  options: Pick<KitOptions, 'prefix' | 'profile'>,
  key: string,
): readonly string[] {
  const found = resolveFamilies({ prefix: options.prefix, profile: options.profile, genai: true }).find(
    (family) => family.def.key === key,
  );
  if (!found)
    throw new Error(`ops kit: metric family "${key}" is not exported with profile ${options.profile}`);
  return found.labels;
}
