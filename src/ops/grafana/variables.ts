// The dashboards' variables: datasource (defaulting to the provisioned one),
// job, model and upstream. Model and upstream are multi-value with "All" as
// `.*`, so a series whose label is `none` (a request refused before routing)
// is still counted under All.

import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { KitOptions } from '../kit.js';
import { DATASOURCE_REF } from './panels.js';
import type { PromQL } from './promql.js';
import { DATASOURCE_NAME, DATASOURCE_UID } from './provisioning.js';

function labelValues(name: string, query: string, label: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .datasource(DATASOURCE_REF)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .label(label);
}

function all(variable: dashboard.QueryVariableBuilder): dashboard.QueryVariableBuilder {
  return variable
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export function variables(
  options: Pick<KitOptions, 'job' | 'profile'>,
  q: PromQL,
): Array<dashboard.DatasourceVariableBuilder | dashboard.QueryVariableBuilder> {
  const seedNote =
    q.profile === 'seed'
      ? " In the seed label profile the seed's five families have no upstream label: panels over them show every upstream."
      : '';
  return [
    new dashboard.DatasourceVariableBuilder('datasource')
      .label('Data source')
      .type('prometheus')
      .current({ selected: true, text: DATASOURCE_NAME, value: DATASOURCE_UID }),
    labelValues('job', `label_values(${q.name('buildInfo')}, job)`, 'Job')
      .description('Prometheus scrape job of the relay.')
      .multi(true)
      .includeAll(true)
      .allValue('.*')
      .current({ selected: true, text: [options.job], value: [options.job] }),
    all(
      labelValues('model', `label_values(${q.name('requests')}{job=~"$job"}, model)`, 'Model').description(
        'Model as the client asked for it (names past the cardinality guard are "other").',
      ),
    ),
    all(
      labelValues(
        'upstream',
        `label_values(${q.name('upstreamUp')}{job=~"$job"}, upstream)`,
        'Upstream',
      ).description(`Configured upstream (provider).${seedNote}`),
    ),
  ];
}
