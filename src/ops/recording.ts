// Recording rules (`level:metric:operation`) for the queries alerts and
// dashboards share. Names carry the shipped window (`rate5m`, `p95_5m`) at
// any time scale, so dashboards and alerts refer to one name.

import type { KitOptions } from './kit.js';
import { Promql } from './promql.js';

export interface RecordingRule {
  record: string;
  expr: string;
}

/** SLO windows of the burn-rate alerts (Google SRE workbook, ch. 5), plus 1d/3d for dashboards. */
export const SLO_WINDOWS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];

/** Names of the recorded series, for alerts and dashboards. */
export function recordedNames(options: KitOptions) {
  const q = new Promql(options);
  const requests = q.recordedName('requests');
  const duration = q.name('requestDuration');
  const ttft = q.name('ttft');
  const overhead = q.name('overhead');
  const tokens = q.recordedName('tokens');
  const cost = q.recordedName('cost');
  return {
    requestsRate: `job:${requests}:rate5m`,
    requestsRateByModel: `job_model:${requests}:rate5m`,
    requestsRateByStatusCode: `job_status_code:${requests}:rate5m`,
    errorRatio: (window: SloWindow) =>
      `job:${requests.replace(/_requests$/, '_request')}_errors:ratio_rate${window}`,
    latency: (q: 'p50' | 'p95' | 'p99') => `job:${duration}:${q}_5m`,
    latencyByModel: (q: 'p50' | 'p95' | 'p99') => `job_model:${duration}:${q}_5m`,
    ttftByModel: `job_model:${ttft}:p95_5m`,
    ttft: `job:${ttft}:p95_5m`,
    overhead: (q: 'p95' | 'p99') => `job:${overhead}:${q}_5m`,
    tokensRateByType: `job_token_type:${tokens}:rate5m`,
    tokensRateByModel: `job_model:${tokens}:rate5m`,
    tokensIncrease1h: `job:${tokens}:increase1h`,
    costRateByModel: `job_model:${cost}:rate1h`,
    costRate: `job:${cost}:rate1h`,
  };
}

export function recordingRules(options: KitOptions): RecordingRule[] {
  const q = new Promql(options);
  const n = recordedNames(options);
  const w5m = q.window('5m');
  const requests = (matchers: string, window: string) => `rate(${q.sel('requests', matchers)}[${window}])`;
  const quantile = (key: string, quant: number, by: string) =>
    `histogram_quantile(${quant}, sum by (${by}, le) (rate(${q.sel(key, '', '_bucket')}[${w5m}])))`;
  // Prompt + completion: total would count them twice, cached_prompt and reasoning are parts of them.
  const tokensSel = q.sel('tokens', 'token_type=~"prompt|completion"');
  // Reported + estimated cost; either may not exist yet (counters appear on first use), so
  // `(a + b) or a or b`. rate() over a {__name__=~...} selector cannot do it: it drops the
  // names and the two families then collide.
  const cost = (by: string) => {
    const part = (key: string) => `sum by (${by}) (rate(${q.sel(key)}[${q.window('1h')}]))`;
    const [reported, estimated] = [part('cost'), part('estimatedCost')];
    return `(\n  ${reported}\n  +\n  ${estimated}\n)\nor\n${reported}\nor\n${estimated}`;
  };

  const rules: RecordingRule[] = [
    { record: n.requestsRate, expr: `sum by (job) (${requests('', w5m)})` },
    { record: n.requestsRateByModel, expr: `sum by (job, model) (${requests('', w5m)})` },
    { record: n.requestsRateByStatusCode, expr: `sum by (job, status_code) (${requests('', w5m)})` },
  ];
  for (const window of SLO_WINDOWS) {
    const w = q.window(window);
    const valid = `sum by (job) (${requests(q.validRequests(), w)})`;
    // `or valid * 0`: 0 rather than nothing while no request has failed yet (the error series do not exist).
    rules.push({
      record: n.errorRatio(window),
      expr: `(\n  sum by (job) (${requests(q.errorRequests(), w)})\n  or\n  ${valid} * 0\n)\n/\n${valid}`,
    });
  }
  for (const quant of ['p50', 'p95', 'p99'] as const) {
    const value = Number(quant.slice(1)) / 100;
    rules.push({ record: n.latency(quant), expr: quantile('requestDuration', value, 'job') });
    rules.push({ record: n.latencyByModel(quant), expr: quantile('requestDuration', value, 'job, model') });
  }
  rules.push(
    { record: n.ttft, expr: quantile('ttft', 0.95, 'job') },
    { record: n.ttftByModel, expr: quantile('ttft', 0.95, 'job, model') },
    { record: n.overhead('p95'), expr: quantile('overhead', 0.95, 'job') },
    { record: n.overhead('p99'), expr: quantile('overhead', 0.99, 'job') },
    { record: n.tokensRateByType, expr: `sum by (job, token_type) (rate(${q.sel('tokens')}[${w5m}]))` },
    { record: n.tokensRateByModel, expr: `sum by (job, model) (rate(${tokensSel}[${w5m}]))` },
    { record: n.tokensIncrease1h, expr: `sum by (job) (increase(${tokensSel}[${q.window('1h')}]))` },
    { record: n.costRateByModel, expr: cost('job, model') },
    { record: n.costRate, expr: cost('job') },
  );
  return rules;
}
