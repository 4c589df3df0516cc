// The overview's last two rows: what the relay costs (reported and estimated
// spend, unpriced tokens) and how fast the error budget burns.

import type { KitOptions } from '../kit.js';
import { recordedNames } from '../recording.js';
import { type AnyPanel, statPanel, timeseriesPanel } from './panels.js';
import { num, type PromQL } from './promql.js';

export function cost(options: KitOptions, q: PromQL): AnyPanel[] {
  const t = options.thresholds;
  const perHour = (key: string, by: string[]): string => `${q.rate(key, by)} * 3600`;
  return [
    timeseriesPanel({
      width: 12,
      height: 8,
      title: 'Cost per hour by model',
      description: `USD per hour at the current rate, from reported usage and, apart, from usage Sheepdog had to estimate (cut or aborted streams). The dashed line is the cost budget (${num(t.costBudgetUsdPerHour)} USD/hour).`,
      unit: 'currencyUSD',
      thresholdLines: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: t.costBudgetUsdPerHour, color: 'red' },
      ],
      targets: [
        { expr: perHour('cost', ['model']), legend: '{{model}}' },
        { expr: perHour('estimatedCost', ['model']), legend: '{{model}} (estimated)' },
        {
          expr: `(${perHour('cost', [])} or vector(0)) + (${perHour('estimatedCost', [])} or vector(0))`,
          legend: 'total',
        },
      ],
    }),
    statPanel({
      width: 6,
      height: 8,
      title: 'Cost today by model',
      description: 'USD since midnight (dashboard time zone), reported and estimated.',
      unit: 'currencyUSD',
      decimals: 2,
      timeFrom: 'now/d',
      targets: [
        { expr: q.increase('cost', ['model'], '$__range'), legend: '{{model}}', instant: true },
        {
          expr: q.increase('estimatedCost', ['model'], '$__range'),
          legend: '{{model}} (estimated)',
          instant: true,
        },
      ],
    }),
    statPanel({
      width: 6,
      height: 8,
      title: 'Unpriced tokens (last hour)',
      description:
        'Tokens of models missing from the price table: their cost is counted nowhere. Add them under pricing.models.',
      unit: 'short',
      noValue: 'none',
      showNames: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'orange' },
      ],
      targets: [{ expr: q.increase('unpricedTokens', ['model'], '1h'), legend: '{{model}}' }],
    }),
  ];
}

export function errorBudget(options: KitOptions, q: PromQL): AnyPanel[] {
  const budget = num(1 - options.thresholds.sloAvailability);
  const byOutcome = q.has('requests', 'outcome');
  const recorded = recordedNames(options);
  return [
    timeseriesPanel({
      width: 12,
      height: 8,
      title: 'Error budget burn rate',
      description:
        'Error ratio divided by the error budget (1 = spending it exactly over 30 days), from the recorded SLO ratios the burn-rate alerts evaluate (whole relay, job filter only). The SRE workbook pages at 14.4 (1h and 5m windows: 2% of the budget in an hour) and tickets at 6 (6h and 30m).',
      unit: 'suffix:×',
      thresholdLines: true,
      thresholds: [
        { value: null, color: 'green' },
        { value: 6, color: 'orange' },
        { value: 14.4, color: 'red' },
      ],
      targets: (['5m', '1h', '6h'] as const).map((window) => ({
        expr: `sum(${recorded.errorRatio(window)}{job=~"$job"}) / ${budget}`,
        legend: window,
      })),
    }),
    timeseriesPanel({
      width: 12,
      height: 8,
      title: byOutcome ? 'Requests by outcome' : 'Requests by status code',
      description: byOutcome
        ? 'How client requests ended: success, rejected (invalid, refused by Sheepdog), upstream_error, failed (no usable answer), stream_cut, aborted (the client left).'
        : 'Client requests by the status they got (seed label profile: no outcome label).',
      unit: 'reqps',
      targets: [
        byOutcome
          ? { expr: q.rate('requests', ['outcome']), legend: '{{outcome}}' }
          : { expr: q.rate('requests', ['status_code']), legend: 'HTTP {{status_code}}' },
      ],
    }),
  ];
}
