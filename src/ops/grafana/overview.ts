// The overview dashboard: service level at a glance, the seed article's six
// panels in current panel types with its bugs fixed (quantiles summed by `le`,
// the error rate as a ratio), then streaming, relay overhead, cost and the
// error budget.

import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { KitOptions } from '../kit.js';
import { cost, errorBudget } from './cost-and-slo.js';
import {
  type AnyPanel,
  buildDashboard,
  dashboardLinks,
  dashboardTitle,
  type Row,
  statPanel,
  timeseriesPanel,
} from './panels.js';
import { num, PromQL, RATE } from './promql.js';
import { variables } from './variables.js';

function serviceLevel(options: KitOptions, q: PromQL): AnyPanel[] {
  const t = options.thresholds;
  const budget = num(1 - t.sloAvailability);
  const slo = `${num(t.sloAvailability * 100)}%`;
  const quotaMatcher = q.has('rateLimitRemaining', 'limit') ? ['limit="requests"'] : [];
  const stat = { width: 4, height: 4 };
  return [
    statPanel({
      ...stat,
      title: 'Requests per second',
      description: 'Client requests finishing per second, every status.',
      unit: 'reqps',
      targets: [{ expr: q.rate('requests'), legend: 'requests/s' }],
    }),
    statPanel({
      ...stat,
      title: 'Error ratio',
      description: errorRatioHelp(q),
      unit: 'percentunit',
      decimals: 2,
      targets: [{ expr: q.errorRatio(RATE, true), legend: 'error ratio' }],
      thresholds: [
        { value: null, color: 'green' },
        { value: t.errorRatio / 2, color: 'orange' },
        { value: t.errorRatio, color: 'red' },
      ],
    }),
    statPanel({
      ...stat,
      title: 'Latency p95',
      description:
        'Arrival to the last byte of the response, as clients see it, all selected models together.',
      unit: 's',
      targets: [{ expr: q.quantile(0.95, 'requestDuration'), legend: 'p95' }],
      thresholds: [
        { value: null, color: 'green' },
        { value: t.latencyP95Seconds, color: 'orange' },
        { value: t.latencyP99CriticalSeconds, color: 'red' },
      ],
    }),
    statPanel({
      ...stat,
      title: `Error budget left (30d, SLO ${slo})`,
      description: `Share of the 30-day error budget (${num((1 - t.sloAvailability) * 100)}% of requests) not yet spent, for the whole relay (job filter only). Below 0: the SLO is missed. ${errorRatioHelp(q)}`,
      unit: 'percentunit',
      decimals: 1,
      targets: [{ expr: `1 - (${q.errorRatio('30d')}) / ${budget}`, legend: 'budget left' }],
      thresholds: [
        { value: null, color: 'red' },
        { value: 0, color: 'orange' },
        { value: 0.25, color: 'green' },
      ],
    }),
    statPanel({
      ...stat,
      title: 'Active requests',
      description: 'Client requests being processed now (the seed article\'s "Active Concurrent Requests").',
      unit: 'short',
      targets: [{ expr: `sum(${q.sel('active')})`, legend: 'active' }],
      thresholds: [
        { value: null, color: 'green' },
        { value: t.activeRequests / 2, color: 'orange' },
        { value: t.activeRequests, color: 'red' },
      ],
    }),
    statPanel({
      ...stat,
      title: 'Rate limit remaining (requests)',
      description:
        "Lowest remaining request quota any upstream reported (x-ratelimit-remaining-requests). The seed's panel summed it over models, which counts one quota several times: this is the minimum.",
      unit: 'short',
      targets: [{ expr: `min(${q.sel('rateLimitRemaining', quotaMatcher)})`, legend: 'remaining' }],
      thresholds: [
        { value: null, color: 'red' },
        { value: t.rateLimitHeadroomRequests, color: 'orange' },
        { value: t.rateLimitHeadroomRequests * 5, color: 'green' },
      ],
    }),
  ];
}

function errorRatioHelp(q: PromQL): string {
  return q.has('requests', 'outcome')
    ? 'Errors are requests that ended as upstream_error, failed or stream_cut (a stream cut after it began has status 200 but is a failure), over every request except those Sheepdog rejected as invalid.'
    : 'Seed label profile (no outcome label): errors are 5xx answers over all requests; a stream cut after it began counts as a 200.';
}

function traffic(options: KitOptions, q: PromQL): AnyPanel[] {
  const t = options.thresholds;
  const { valid } = q.sli();
  const wide = { width: 12, height: 8 };
  const statusRatio = `sum by (status_code) (rate(${q.sel('requests', ['status_code=~"5.."'])}[${RATE}])) / on() group_left() sum(rate(${q.sel('requests', valid)}[${RATE}]))`;
  return [
    timeseriesPanel({
      ...wide,
      title: 'Request rate by model',
      description: 'Client requests finishing per second, by the model the client asked for.',
      unit: 'reqps',
      targets: [{ expr: q.rate('requests', ['model']), legend: '{{model}}' }],
    }),
    timeseriesPanel({
      ...wide,
      title: 'Latency percentiles',
      description:
        "Request duration quantiles over every selected model together: buckets are summed by le first (the seed's query took a quantile per series, so one slow low-traffic model drew its own line).",
      unit: 's',
      thresholdLines: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: t.latencyP95Seconds, color: 'orange' },
        { value: t.latencyP99CriticalSeconds, color: 'red' },
      ],
      targets: [0.5, 0.95, 0.99].map((quantile) => ({
        expr: q.quantile(quantile, 'requestDuration'),
        legend: `p${num(quantile * 100)}`,
      })),
    }),
    timeseriesPanel({
      ...wide,
      title: 'Tokens in the last hour by type',
      description:
        'Tokens the upstreams reported over the trailing hour. cached_prompt is part of prompt and reasoning part of completion; total is their sum. Estimated tokens (cut streams) are on the cost panels.',
      unit: 'short',
      targets: [{ expr: q.increase('tokens', ['token_type'], '1h'), legend: '{{token_type}}' }],
    }),
    timeseriesPanel({
      ...wide,
      title: 'Error ratio by status code',
      description: `Share of requests answered with each 5xx status (the seed plotted the raw rate of 5xx, which cannot be read against traffic), and the SLI error ratio. ${errorRatioHelp(q)}`,
      unit: 'percentunit',
      thresholdLines: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: t.errorRatio, color: 'red' },
      ],
      targets: [
        { expr: q.errorRatio(RATE, true), legend: 'all errors (SLI)' },
        { expr: statusRatio, legend: 'HTTP {{status_code}}' },
      ],
    }),
  ];
}

function streaming(options: KitOptions, q: PromQL): AnyPanel[] {
  const t = options.thresholds;
  const third = { width: 8, height: 8 };
  return [
    timeseriesPanel({
      ...third,
      title: 'Time to first token',
      description: 'Streams: arrival to the first generated token relayed to the client.',
      unit: 's',
      thresholdLines: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: t.ttftP95Seconds, color: 'orange' },
      ],
      targets: [
        { expr: q.quantile(0.5, 'ttft'), legend: 'p50' },
        { expr: q.quantile(0.95, 'ttft', ['model']), legend: 'p95 {{model}}' },
      ],
    }),
    timeseriesPanel({
      ...third,
      title: 'Time per output token',
      description: 'Streams that completed: mean time per generated token after the first (decode speed).',
      unit: 's',
      targets: [{ expr: q.mean('tpot', ['model']), legend: '{{model}}' }],
    }),
    timeseriesPanel({
      ...third,
      title: 'Relay overhead',
      description:
        "Time spent in Sheepdog itself per request that reached an upstream (request in to upstream out, plus relaying the answer), excluding the upstream's own time.",
      unit: 's',
      thresholdLines: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: t.overheadP95Seconds, color: 'orange' },
      ],
      targets: [0.5, 0.95, 0.99].map((quantile) => ({
        expr: q.quantile(quantile, 'overhead'),
        legend: `p${num(quantile * 100)}`,
      })),
    }),
  ];
}

export function overviewDashboard(options: KitOptions): Dashboard {
  const q = new PromQL(options);
  const rows: Row[] = [
    { title: 'Service level', panels: serviceLevel(options, q) },
    { title: 'Traffic', panels: traffic(options, q) },
    { title: 'Streaming and relay overhead', panels: streaming(options, q) },
    { title: 'Cost', panels: cost(options, q) },
    { title: 'Error budget and outcomes', panels: errorBudget(options, q) },
  ];
  return buildDashboard({
    uid: `${options.prefix}-overview`,
    title: dashboardTitle('Overview', options),
    description: `Sheepdog relay (${options.prefix}_* metrics, ${options.profile} label profile): traffic, latency, errors, cost and the SLO.`,
    tags: ['sheepdog', options.prefix],
    variables: variables(options, q),
    links: dashboardLinks(),
    rows,
  });
}
