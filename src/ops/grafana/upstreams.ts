// The upstreams dashboard: is each provider usable, what the router does
// about it (breakers, failovers, retries, hedges) and how much quota is left.

import { type Dashboard, MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import type { KitOptions } from '../kit.js';
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

function health(q: PromQL): AnyPanel[] {
  const third = { width: 8, height: 7 };
  return [
    statPanel({
      ...third,
      title: 'Upstream usable',
      description:
        'UP when the upstream takes traffic, DOWN when its breaker or health check took it out of rotation. With several workers: the share of workers that consider it usable.',
      unit: 'percentunit',
      showNames: true,
      min: 0,
      max: 1,
      mappings: [
        {
          type: MappingType.ValueToText,
          options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } },
        },
      ],
      thresholds: [
        { value: null, color: 'red' },
        { value: 0.01, color: 'orange' },
        { value: 1, color: 'green' },
      ],
      targets: [{ expr: `min by (upstream) (${q.sel('upstreamUp')})`, legend: '{{upstream}}' }],
    }),
    timeseriesPanel({
      ...third,
      title: 'Circuit breakers not closed',
      description:
        "Breakers open (no traffic) or half-open (probing), per upstream and model (model empty: the upstream-wide transport breaker). Series appear at a breaker's first change.",
      unit: 'short',
      min: 0,
      targets: [
        {
          expr: `sum by (upstream, model, state) (${q.sel('breakerState', ['state!="closed"'], '', ['model'])})`,
          legend: '{{upstream}} {{model}} {{state}}',
        },
      ],
    }),
    timeseriesPanel({
      ...third,
      title: 'Failovers',
      description:
        'Attempts per second that moved a request from one upstream (the one selected) to another.',
      unit: 'ops',
      targets: [
        {
          expr: q.rate('failovers', ['from_upstream', 'to_upstream'], ['from_upstream=~"$upstream"']),
          legend: '{{from_upstream}} → {{to_upstream}}',
        },
      ],
    }),
  ];
}

function attempts(q: PromQL): AnyPanel[] {
  const third = { width: 8, height: 8 };
  return [
    timeseriesPanel({
      ...third,
      title: 'Attempts by reason',
      description:
        'Upstream attempts started per second: first, a retry after the previous failure (connect_error, reset, timeout, status_5xx, status_429, stream_cut) or a hedge.',
      unit: 'ops',
      targets: [{ expr: q.rate('attempts', ['reason']), legend: '{{reason}}' }],
    }),
    timeseriesPanel({
      ...third,
      title: 'Upstream answers by outcome and status',
      description:
        'How upstream attempts ended: completed (any status), connect_error, reset, timeout, stream_cut, aborted (cancelled). status_code none: no headers arrived. Shows a 503 that a retry hid from the client.',
      unit: 'ops',
      targets: [
        {
          expr: q.rate('upstreamRequests', ['upstream', 'outcome', 'status_code']),
          legend: '{{upstream}} {{outcome}} {{status_code}}',
        },
      ],
    }),
    timeseriesPanel({
      ...third,
      title: 'Hedges by result',
      description: 'Hedged attempts per second: won (their answer was used) or lost (cancelled or failed).',
      unit: 'ops',
      targets: [{ expr: q.rate('hedges', ['upstream', 'result']), legend: '{{upstream}} {{result}}' }],
    }),
  ];
}

function latency(q: PromQL): AnyPanel[] {
  const retries = `sum(rate(${q.sel('attempts', ['reason!="first"'])}[${RATE}]))`;
  const firsts = `sum(rate(${q.sel('attempts', ['reason="first"'])}[${RATE}]))`;
  return [
    timeseriesPanel({
      width: 12,
      height: 8,
      title: 'Time to first token p95 by upstream',
      description: 'Streams: arrival to the first token relayed, by the upstream that answered.',
      unit: 's',
      targets: [{ expr: q.quantile(0.95, 'ttft', ['upstream']), legend: '{{upstream}}' }],
    }),
    timeseriesPanel({
      width: 12,
      height: 8,
      title: 'Extra upstream load from retries and hedges',
      description:
        'Retries and hedges per first attempt: the load resilience adds on top of the traffic. The retry budget caps it (retry.budget_ratio, 20% by default).',
      unit: 'percentunit',
      targets: [{ expr: `(${retries} or vector(0)) / ${firsts}`, legend: 'extra load' }],
    }),
  ];
}

function rateLimits(options: KitOptions, q: PromQL): AnyPanel[] {
  const third = { width: 8, height: 8 };
  const share = (limit: 'requests' | 'tokens'): string => {
    const quota = q.sel('rateLimitLimit', [`limit="${limit}"`]);
    if (q.has('rateLimitRemaining', 'limit'))
      return `min by (upstream, model) (${q.sel('rateLimitRemaining', [`limit="${limit}"`])} / ${quota})`;
    // Seed profile: requests headroom is rate_limit_remaining{model}; tokens have their own family.
    return limit === 'requests'
      ? `min by (model) (${q.sel('rateLimitRemaining')}) / min by (model) (${quota})`
      : `min by (upstream, model) (${q.sel('rateLimitRemainingTokens')} / ignoring(limit) ${quota})`;
  };
  const legend = (limit: string): string =>
    q.has('rateLimitRemaining', 'upstream') || limit === 'tokens' ? '{{upstream}} {{model}}' : '{{model}}';
  const steps = [
    { value: null, color: 'red' },
    { value: 0.1, color: 'orange' },
    { value: 0.25, color: 'green' },
  ];
  const t = options.thresholds;
  return [
    timeseriesPanel({
      ...third,
      title: 'Request quota left',
      description: `Remaining share of each upstream's request window (x-ratelimit-remaining-requests / -limit-requests). Alerts fire below ${num(t.rateLimitHeadroomRequests)} requests left.`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholdLines: true,
      thresholds: steps,
      targets: [{ expr: share('requests'), legend: legend('requests') }],
    }),
    timeseriesPanel({
      ...third,
      title: 'Token quota left',
      description: `Remaining share of each upstream's token window (x-ratelimit-remaining-tokens / -limit-tokens). Alerts fire below ${num(t.rateLimitHeadroomTokens)} tokens left.`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholdLines: true,
      thresholds: steps,
      targets: [{ expr: share('tokens'), legend: legend('tokens') }],
    }),
    timeseriesPanel({
      ...third,
      title: 'Quota window resets in',
      description: 'Seconds until each upstream quota window starts again full (x-ratelimit-reset-*).',
      unit: 's',
      min: 0,
      targets: [
        {
          expr: `clamp_min(max by (upstream, limit) (${q.sel('rateLimitReset')}) - time(), 0)`,
          legend: '{{upstream}} {{limit}}',
        },
      ],
    }),
  ];
}

export function upstreamsDashboard(options: KitOptions): Dashboard {
  const q = new PromQL(options);
  const rows: Row[] = [
    { title: 'Health and failover', panels: health(q) },
    { title: 'Attempts', panels: attempts(q) },
    { title: 'Latency and resilience load', panels: latency(q) },
    { title: 'Rate limits', panels: rateLimits(options, q) },
  ];
  return buildDashboard({
    uid: `${options.prefix}-upstreams`,
    title: dashboardTitle('Upstreams', options),
    description: `Sheepdog upstreams (${options.prefix}_* metrics): health, circuit breakers, failovers, retries, hedges and rate-limit headroom.`,
    tags: ['sheepdog', options.prefix],
    variables: variables(options, q),
    links: dashboardLinks(),
    rows,
  });
}
