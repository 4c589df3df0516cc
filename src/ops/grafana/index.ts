// The Grafana part of the ops kit: provisioning (datasource with a fixed uid,
// dashboard provider) and the dashboards, built as code with
// @grafana/grafana-foundation-sdk from the same metric definitions as the relay.

import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { KitFile, KitOptions, KitPart } from '../kit.js';
import { overviewDashboard } from './overview.js';
import { GRAFANA_PATHS, provisioningFiles } from './provisioning.js';
import { upstreamsDashboard } from './upstreams.js';

export { DATASOURCE_UID, GRAFANA_PATHS, PROMETHEUS_URL } from './provisioning.js';

/** Every dashboard of the kit, as Grafana JSON models. */
export function dashboards(options: KitOptions): Dashboard[] {
  return [overviewDashboard(options), upstreamsDashboard(options)];
}

export const renderGrafana: KitPart = (options: KitOptions): KitFile[] => [
  ...provisioningFiles(options),
  ...dashboards(options).map((model) => ({
    path: `${GRAFANA_PATHS.dashboards}/${model.uid}.json`,
    content: `${JSON.stringify(model, null, 2)}\n`,
  })),
];
