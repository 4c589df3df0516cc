// PromQL for the dashboards, generated from the metric definitions for one
// prefix and label profile: a selector filters by a dashboard variable only
// when the family has that label, so a seed-profile family (no `upstream`
// label) is never filtered by `$upstream` into an empty panel.

import { type KitOptions, metric, metricLabels } from '../kit.js';

/** Dashboard variables and the label each one filters. */
const VARIABLE_LABELS: ReadonlyArray<readonly [label: string, variable: string]> = [
  ['model', 'model'],
  ['upstream', 'upstream'],
];

/** Grafana's rate window: at least four scrapes, so a missed scrape never empties a rate. */
export const RATE = '$__rate_interval';

export class PromQL {
  constructor(private readonly options: Pick<KitOptions, 'prefix' | 'profile'>) {}

  get profile(): KitOptions['profile'] {
    return this.options.profile;
  }

  /** Full family name (`requests` -> `sheepdog_requests_total`); throws when the profile lacks it. */
  name(key: string): string {
    return metric(this.options, key);
  }

  has(key: string, label: string): boolean {
    return metricLabels(this.options, key).includes(label);
  }

  /**
   * `name{job=~"$job", model=~"$model", ..., extra}`: the job always, each variable whose label the
   * family has, then `extra` matchers. `suffix` selects a histogram series (`_bucket`, `_sum`, `_count`);
   * labels in `orEmpty` also match the empty value (e.g. `model=""` of an upstream-wide breaker).
   */
  sel(key: string, extra: readonly string[] = [], suffix = '', orEmpty: readonly string[] = []): string {
    const matchers = ['job=~"$job"'];
    for (const [label, variable] of VARIABLE_LABELS)
      if (this.has(key, label))
        matchers.push(`${label}=~"$${variable}${orEmpty.includes(label) ? '|' : ''}"`);
    return `${this.name(key)}${suffix}{${[...matchers, ...extra].join(', ')}}`;
  }

  /** `sum by (by) (rate(sel[window]))`, or `sum(...)` with no grouping. */
  rate(key: string, by: readonly string[] = [], extra: readonly string[] = [], window = RATE): string {
    return `${sumBy(by)}(rate(${this.sel(key, extra)}[${window}]))`;
  }

  increase(key: string, by: readonly string[], window: string, extra: readonly string[] = []): string {
    return `${sumBy(by)}(increase(${this.sel(key, extra)}[${window}]))`;
  }

  /** The seed's quantile, fixed: buckets summed by `le` (and `by`) before histogram_quantile. */
  quantile(q: number, key: string, by: readonly string[] = [], window = RATE): string {
    return `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${this.sel(key, [], '_bucket')}[${window}])))`;
  }

  /** Mean of a histogram: rate of its sum over rate of its count. */
  mean(key: string, by: readonly string[] = [], window = RATE): string {
    return `${sumBy(by)}(rate(${this.sel(key, [], '_sum')}[${window}])) / ${sumBy(by)}(rate(${this.sel(key, [], '_count')}[${window}]))`;
  }

  /**
   * Matchers for the availability SLI on `requests_total`. Full profile: errors are what clients
   * experienced as failures (upstream errors, no usable answer, cut streams) over every request that
   * was not the client's own mistake. Seed profile (no `outcome` label): 5xx over all requests.
   */
  sli(): { errors: string[]; valid: string[] } {
    return this.has('requests', 'outcome')
      ? { errors: ['outcome=~"upstream_error|failed|stream_cut"'], valid: ['outcome!="rejected"'] }
      : { errors: ['status_code=~"5.."'], valid: [] };
  }

  /**
   * Error ratio over `window`: of the whole relay (job only, as the SLO is the service's) or, with
   * `filtered`, of the selected models and upstreams. The error count falls back to 0 so that a relay
   * without errors shows 0%, not "No data".
   */
  errorRatio(window: string, filtered = false): string {
    const { errors, valid } = this.sli();
    const select = (matchers: string[]): string =>
      filtered
        ? this.sel('requests', matchers)
        : `${this.name('requests')}{${['job=~"$job"', ...matchers].join(', ')}}`;
    return `(sum(rate(${select(errors)}[${window}])) or vector(0)) / sum(rate(${select(valid)}[${window}]))`;
  }
}

/** A number as PromQL and humans write it (0.005, not 0.0050000000000000044). */
export function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}

function sumBy(by: readonly string[]): string {
  return by.length > 0 ? `sum by (${by.join(', ')}) ` : 'sum';
}
