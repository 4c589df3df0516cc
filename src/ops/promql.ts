// PromQL building blocks shared by the recording and alert rules: metric
// names resolved from the definitions (a family missing from the profile
// throws), the job selector, scaled windows, and what "error", "success" and
// "valid request" mean in each label profile.

import { parseDuration, scaleDuration } from './durations.js';
import { type KitOptions, metric, metricLabels } from './kit.js';

export class Promql {
  constructor(readonly options: KitOptions) {}

  /** Full metric name of a family (`requests` -> `sheepdog_requests_total`). */
  name(key: string): string {
    return metric(this.options, key);
  }

  /** Whether a family has a label in this profile. */
  hasLabel(key: string, label: string): boolean {
    return metricLabels(this.options, key).includes(label);
  }

  /** `name{job="J", matchers}` for a family; `suffix` for histogram series (`_bucket`). */
  sel(key: string, matchers = '', suffix = ''): string {
    return `${this.name(key)}${suffix}{${this.job()}${matchers ? `, ${matchers}` : ''}}`;
  }

  /** The job matcher every query carries. */
  job(): string {
    return `job=${JSON.stringify(this.options.job)}`;
  }

  /** Base name of recorded series: the family name without `_total`. */
  recordedName(key: string): string {
    return this.name(key).replace(/_total$/, '');
  }

  /**
   * A range window at the kit's time scale, never shorter than 4 scrape intervals
   * (below that rate() has too few samples to be stable).
   */
  window(nominal: string): string {
    return scaleDuration(nominal, this.options.timeScale, 4 * parseDuration(this.options.scrapeInterval));
  }

  /** A `for:` duration at the kit's time scale. */
  for(nominal: string): string {
    return scaleDuration(nominal, this.options.timeScale);
  }

  /** Client requests that count for availability (the denominator). */
  validRequests(): string {
    return this.options.profile === 'seed' ? '' : 'outcome!="rejected"';
  }

  /**
   * Client requests that failed. Full profile: the upstream's error passed through, no usable answer,
   * or a stream cut after it began (status 200 on the wire). Seed profile (no outcome label): 5xx.
   */
  errorRequests(): string {
    return this.options.profile === 'seed'
      ? 'status_code=~"5.."'
      : 'outcome=~"upstream_error|failed|stream_cut"';
  }

  /** Client requests that succeeded. */
  successRequests(): string {
    return this.options.profile === 'seed' ? 'status_code=~"2.."' : 'outcome="success"';
  }

  /** Requests that reached the relay's job of serving (for "traffic but no success"). */
  servedRequests(): string {
    return this.options.profile === 'seed' ? 'status_code!~"4.."' : 'outcome!="rejected"';
  }
}

/** `0.995` -> `99.5%`; `0.05` -> `5%` (for rule text; the values in alerts use humanizePercentage). */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/** `5` -> `5s`, `0.05` -> `50ms` (rule text). */
export function seconds(value: number): string {
  return value < 1 ? `${Number((value * 1000).toPrecision(6))}ms` : `${Number(value.toPrecision(6))}s`;
}

/** `1000000` -> `1M`, `10000` -> `10k`, `50` -> `50` (rule text). */
export function count(value: number): string {
  for (const [size, unit] of [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (value >= size) return `${Number((value / size).toPrecision(6))}${unit}`;
  }
  return `${Number(value.toPrecision(6))}`;
}

/** A number as PromQL/YAML writes it, without float noise (`0.005`, not `0.005000000000000004`). */
export function num(value: number): string {
  return `${Number(value.toPrecision(12))}`;
}
