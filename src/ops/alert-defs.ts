// The alert rules, as data: what each watches, its severity, its inhibition
// group and its text. src/ops/rules.ts turns them into Prometheus rule files;
// docs/runbook.md has a section per alert (anchor: the name in lower case).

import type { KitOptions } from './kit.js';
import { count, num, Promql, percent, seconds } from './promql.js';
import { recordedNames } from './recording.js';

export type Severity = 'warning' | 'critical';
/** Alertmanager inhibits warnings by a firing critical of the same service and group. */
export type InhibitGroup = 'latency' | 'availability' | 'capacity' | 'cost' | 'meta';

export interface AlertDef {
  /** Name without the alert prefix (`HighLatency` -> `SheepdogHighLatency`); the runbook anchor in lower case. */
  name: string;
  severity: Severity;
  group: InhibitGroup;
  expr: string;
  for: string;
  summary: string;
  description: string;
}

/** The seed's seven alerts, fixed, plus relay-down and the no-success alert that replace its outage rule. */
function seedAlerts(o: KitOptions, q: Promql): AlertDef[] {
  const t = o.thresholds;
  const n = recordedNames(o);
  const seedProfile = o.profile === 'seed';
  const rateLimit = (limit: 'requests' | 'tokens'): string => {
    const threshold = limit === 'requests' ? t.rateLimitHeadroomRequests : t.rateLimitHeadroomTokens;
    // A header seen sets both the remaining and the limit gauge: a remaining gauge without a limit
    // beside it was never set by a response (or comes from another exporter's default 0).
    const limitSet = (by: string) =>
      `and on (${by}) (max by (${by}) (${q.sel('rateLimitLimit', `limit="${limit}"`)}) > 0)`;
    if (!seedProfile)
      return `min by (job, upstream, model) (${q.sel('rateLimitRemaining', `limit="${limit}"`)}) < ${num(threshold)}\n${limitSet('job, upstream, model')}`;
    if (limit === 'requests')
      return `min by (job, model) (${q.sel('rateLimitRemaining')}) < ${num(threshold)}\n${limitSet('job, model')}`;
    return `min by (job, upstream, model) (${q.sel('rateLimitRemainingTokens')}) < ${num(threshold)}\n${limitSet('job, upstream, model')}`;
  };
  const quotaOf = (what: string, hasUpstream: boolean) =>
    hasUpstream
      ? `Upstream {{ $labels.upstream }} has {{ $value | printf "%.0f" }} ${what} left in its rate-limit window for model {{ $labels.model }}`
      : `{{ $value | printf "%.0f" }} ${what} left in the upstream rate-limit window for model {{ $labels.model }}`;
  return [
    {
      name: 'HighLatency',
      severity: 'warning',
      group: 'latency',
      expr: `${n.latencyByModel('p95')}{${q.job()}} > ${num(t.latencyP95Seconds)}`,
      for: q.for(t.warningFor),
      summary: `p95 latency of {{ $labels.model }} above ${seconds(t.latencyP95Seconds)}`,
      description: `The p95 request duration of model {{ $labels.model }} is {{ $value | humanizeDuration }} over the last 5m (threshold ${seconds(t.latencyP95Seconds)}), as clients see it.`,
    },
    {
      name: 'CriticalLatency',
      severity: 'critical',
      group: 'latency',
      expr: `${n.latencyByModel('p99')}{${q.job()}} > ${num(t.latencyP99CriticalSeconds)}`,
      for: q.for(t.criticalFor),
      summary: `p99 latency of {{ $labels.model }} above ${seconds(t.latencyP99CriticalSeconds)}`,
      description: `The p99 request duration of model {{ $labels.model }} is {{ $value | humanizeDuration }} over the last 5m (threshold ${seconds(t.latencyP99CriticalSeconds)}): clients are waiting, or timing out.`,
    },
    {
      name: 'HighErrorRate',
      severity: 'warning',
      group: 'availability',
      expr: `${n.errorRatio('5m')}{${q.job()}} > ${num(t.errorRatio)}`,
      for: q.for(t.warningFor),
      summary: `More than ${percent(t.errorRatio)} of requests fail`,
      description: `{{ $value | humanizePercentage }} of the requests to {{ $labels.job }} failed over the last 5m (threshold ${percent(t.errorRatio)}).`,
    },
    {
      name: 'RelayDown',
      severity: 'critical',
      group: 'availability',
      expr: `up{${q.job()}} == 0\nor\nabsent(up{${q.job()}})`,
      for: q.for(t.downFor),
      summary: `Relay ${o.job} down`,
      description: `{{ if $labels.instance }}Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}): the relay is down, unreachable, or refusing the scrape.{{ else }}Prometheus has no target for job ${o.job}: the relay is not deployed or service discovery lost it.{{ end }}`,
    },
    {
      name: 'NoSuccessfulRequests',
      severity: 'critical',
      group: 'availability',
      expr: `sum by (job) (rate(${q.sel('requests', q.servedRequests())}[${q.window('5m')}])) > 0\nunless on (job)\nsum by (job) (rate(${q.sel('requests', q.successRequests())}[${q.window('5m')}])) > 0`,
      for: q.for(t.zeroSuccessFor),
      summary: 'Requests arrive but none succeeds',
      description:
        '{{ $labels.job }} received {{ $value | printf "%.2f" }} requests per second over the last 5m and none of them succeeded.',
    },
    {
      name: 'TokenSpike',
      severity: 'warning',
      group: 'cost',
      expr: `${n.tokensIncrease1h}{${q.job()}} > ${num(t.tokensPerHour)}`,
      for: q.for(t.warningFor),
      summary: `More than ${count(t.tokensPerHour)} tokens in an hour`,
      description: `{{ $value | humanize }} tokens (prompt + completion, all models) went through {{ $labels.job }} in the last hour (threshold ${count(t.tokensPerHour)}).`,
    },
    {
      name: 'RateLimitRequestsLow',
      severity: 'warning',
      group: 'capacity',
      expr: rateLimit('requests'),
      for: q.for(t.warningFor),
      summary: 'Upstream request quota running low',
      description: `${quotaOf('requests', !seedProfile)} (threshold ${count(t.rateLimitHeadroomRequests)}).`,
    },
    {
      name: 'RateLimitTokensLow',
      severity: 'warning',
      group: 'capacity',
      expr: rateLimit('tokens'),
      for: q.for(t.warningFor),
      summary: 'Upstream token quota running low',
      description: `${quotaOf('tokens', true)} (threshold ${count(t.rateLimitHeadroomTokens)}).`,
    },
    {
      name: 'RequestSaturation',
      severity: 'warning',
      group: 'capacity',
      expr: `sum by (job, instance) (${q.sel('active')}) > ${num(t.activeRequests)}`,
      for: q.for(t.warningFor),
      summary: `More than ${count(t.activeRequests)} requests in flight`,
      description: `{{ $value | printf "%.0f" }} requests are in flight on {{ $labels.instance }} (threshold ${count(t.activeRequests)}).`,
    },
  ];
}

/** What users of a relay need beyond the seed. */
function moreAlerts(o: KitOptions, q: Promql): AlertDef[] {
  const t = o.thresholds;
  const n = recordedNames(o);
  const budget = Number((1 - t.sloAvailability).toPrecision(12));
  const burn = (factor: number, long: '1h' | '6h', short: '5m' | '30m') =>
    `${n.errorRatio(long)}{${q.job()}} > (${factor} * ${num(budget)})\nand\n${n.errorRatio(short)}{${q.job()}} > (${factor} * ${num(budget)})`;
  const slo = percent(t.sloAvailability);
  return [
    {
      name: 'ErrorBudgetBurnFast',
      severity: 'critical',
      group: 'availability',
      expr: burn(14.4, '1h', '5m'),
      for: q.for('2m'),
      summary: `Error budget of the ${slo} SLO burning 14.4x too fast`,
      description: `{{ $value | humanizePercentage }} of requests failed over the last hour, and more than 14.4x the ${slo} SLO's budget still over the last 5m: 2% of the 30-day error budget burns every hour, all of it in about 2 days.`,
    },
    {
      name: 'ErrorBudgetBurnSlow',
      severity: 'warning',
      group: 'availability',
      expr: burn(6, '6h', '30m'),
      for: q.for('15m'),
      summary: `Error budget of the ${slo} SLO burning 6x too fast`,
      description: `{{ $value | humanizePercentage }} of requests failed over the last 6 hours, and more than 6x the ${slo} SLO's budget still over the last 30m: 5% of the 30-day error budget burns every 6 hours, all of it in 5 days.`,
    },
    {
      name: 'HighTimeToFirstToken',
      severity: 'warning',
      group: 'latency',
      expr: `${n.ttftByModel}{${q.job()}} > ${num(t.ttftP95Seconds)}`,
      for: q.for(t.warningFor),
      summary: `p95 time to first token of {{ $labels.model }} above ${seconds(t.ttftP95Seconds)}`,
      description: `Streaming clients of model {{ $labels.model }} wait {{ $value | humanizeDuration }} for the first token (p95 over the last 5m, threshold ${seconds(t.ttftP95Seconds)}).`,
    },
    {
      name: 'HighRelayOverhead',
      severity: 'warning',
      group: 'latency',
      expr: `${n.overhead('p95')}{${q.job()}} > ${num(t.overheadP95Seconds)}`,
      for: q.for(t.warningFor),
      summary: `Relay overhead p95 above ${seconds(t.overheadP95Seconds)}`,
      description: `Sheepdog itself adds {{ $value | humanizeDuration }} per request (p95 over the last 5m, upstream time excluded; threshold ${seconds(t.overheadP95Seconds)}).`,
    },
    {
      name: 'UpstreamDown',
      severity: 'warning',
      group: 'availability',
      expr: `max by (job, upstream) (${q.sel('upstreamUp')}) == 0`,
      for: q.for(t.downFor),
      summary: 'Upstream {{ $labels.upstream }} out of rotation',
      description:
        'Upstream {{ $labels.upstream }} is not usable (circuit breaker open or health check failing): requests fail over to the other upstreams of their route, if any.',
    },
    {
      name: 'AllUpstreamsDown',
      severity: 'critical',
      group: 'availability',
      expr: `max by (job, instance) (${q.sel('upstreamUp')}) == 0`,
      for: q.for(t.downFor),
      summary: 'No usable upstream',
      description:
        'Every upstream of {{ $labels.instance }} is out of rotation: requests get 503 no_upstream_available until a circuit half-opens.',
    },
    {
      name: 'CircuitBreakerOpen',
      severity: 'warning',
      group: 'availability',
      expr: `avg by (job, upstream, model) (avg_over_time(${q.sel('breakerState', 'state="closed"')}[${q.window('5m')}])) < 0.5`,
      for: q.for(t.downFor),
      summary: 'Circuit breaker of {{ $labels.upstream }} mostly open',
      description:
        'The circuit breaker of upstream {{ $labels.upstream }}{{ with $labels.model }} for model {{ . }}{{ end }} was closed only {{ $value | humanizePercentage }} of the last 5m: its calls keep failing or are too slow.',
    },
    {
      name: 'FailingOver',
      severity: 'warning',
      group: 'availability',
      expr: `sum by (job, from_upstream) (rate(${q.sel('failovers')}[${q.window('5m')}]))\n/ on (job) group_left\nsum by (job) (rate(${q.sel('requests')}[${q.window('5m')}]))\n> ${num(t.failoverRatio)}`,
      for: q.for(t.warningFor),
      summary: 'Requests failing over away from {{ $labels.from_upstream }}',
      description: `{{ $value | humanizePercentage }} of requests moved from upstream {{ $labels.from_upstream }} to another one over the last 5m (threshold ${percent(t.failoverRatio)}).`,
    },
    {
      name: 'CostBudgetBurn',
      severity: 'warning',
      group: 'cost',
      expr: `${n.costRate}{${q.job()}} * 3600 > ${num(t.costBudgetUsdPerHour)}`,
      for: q.for(t.warningFor),
      summary: `Spending more than ${num(t.costBudgetUsdPerHour)} USD per hour`,
      description: `{{ $labels.job }} spent at {{ $value | printf "%.2f" }} USD per hour over the last hour (reported + estimated cost; budget ${num(t.costBudgetUsdPerHour)} USD per hour).`,
    },
    {
      name: 'ScrapeFailing',
      severity: 'warning',
      group: 'meta',
      expr: `up{${q.job()}} == 1\nunless on (job, instance)\n${q.sel('buildInfo')}`,
      for: q.for(t.downFor),
      summary: `Target of job ${o.job} exports no ${q.name('buildInfo')}`,
      description: `Prometheus scrapes {{ $labels.instance }} but finds no ${q.name('buildInfo')}: the target is not a Sheepdog relay, its metrics are off, or it uses another prefix than ${o.prefix}, and every other alert of this kit is blind.`,
    },
    {
      name: 'RuleEvaluationFailing',
      severity: 'warning',
      group: 'meta',
      expr: `sum by (job, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total{rule_group=~".*;${o.prefix}[.].*"}[${q.window('5m')}])) > 0`,
      for: q.for(t.downFor),
      summary: 'Rules of the Sheepdog kit fail to evaluate',
      description:
        'Rule group {{ $labels.rule_group }} failed {{ $value | humanize }} evaluations over the last 5m on {{ $labels.instance }}: its alerts cannot fire.',
    },
  ];
}

export function alertDefs(options: KitOptions): AlertDef[] {
  const q = new Promql(options);
  return [...seedAlerts(options, q), ...moreAlerts(options, q)];
}
