// Issue 4: the dashboards' JSON, checked the way a reviewer would read it:
// current panel types only, a unit on every panel, legends shown, stat
// reductions set, unique panel ids, no overlapping panels, every query on the
// provisioned datasource, and every label a query filters on present on the
// family it queries (in both label profiles).

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveFamilies } from '../src/metrics/definitions.js';
import { DATASOURCE_UID, GRAFANA_PATHS, PROMETHEUS_URL, renderGrafana } from '../src/ops/grafana/index.js';
import { defaultKitOptions, type KitOptions } from '../src/ops/kit.js';
import { type DashboardJson, dashboardsOf, type PanelJson, targetsOf } from './helpers/dashboards.js';

const KITS: Array<[string, KitOptions]> = [
  ['sheepdog', defaultKitOptions()],
  ['holysheep', defaultKitOptions({ prefix: 'holysheep' })],
];

function file(kit: KitOptions, path: string): string {
  const found = renderGrafana(kit).find((f) => f.path === path);
  if (!found) throw new Error(`not rendered: ${path}`);
  return found.content;
}

const panelsOf = (d: DashboardJson): PanelJson[] => d.panels.filter((p) => p.type !== 'row');

/** `name{matchers}` selectors of a PromQL expression, with the label names they match on. */
function selectors(expr: string): Array<{ name: string; labels: string[] }> {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({
    name: m[1]!,
    labels: [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
}

describe.each(KITS)('dashboards for prefix %s', (prefix, kit) => {
  const dashboards = dashboardsOf(renderGrafana(kit));

  it('renders an overview and an upstreams dashboard, under the provisioned folder', () => {
    expect(dashboards.map((d) => d.uid)).toEqual([`${prefix}-overview`, `${prefix}-upstreams`]);
    const paths = renderGrafana(kit).map((f) => f.path);
    for (const d of dashboards) expect(paths).toContain(`${GRAFANA_PATHS.dashboards}/${d.uid}.json`);
  });

  it('uses only current panel types: timeseries and stat, never graph or singlestat', () => {
    for (const d of dashboards) {
      const types = new Set(d.panels.map((p) => p.type));
      expect([...types].sort()).toEqual(['row', 'stat', 'timeseries']);
    }
  });

  it('sets a unit on every panel, shows every legend and reduces every stat', () => {
    for (const panel of dashboards.flatMap(panelsOf)) {
      expect(panel.fieldConfig?.defaults?.unit, panel.title).toMatch(/\S/);
      if (panel.type === 'timeseries') {
        expect(panel.options?.legend?.showLegend, panel.title).toBe(true);
        expect(panel.options?.legend?.displayMode, panel.title).not.toBe('hidden');
      }
      if (panel.type === 'stat')
        expect(panel.options?.reduceOptions?.calcs, panel.title).toEqual(['lastNotNull']);
    }
  });

  it('numbers panels uniquely and lays them out without overlap inside 24 columns', () => {
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(ids.every((id) => typeof id === 'number' && id > 0)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const [i, a] of d.panels.entries()) {
        expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
        for (const b of d.panels.slice(i + 1)) {
          const overlap =
            a.gridPos.x < b.gridPos.x + b.gridPos.w &&
            b.gridPos.x < a.gridPos.x + a.gridPos.w &&
            a.gridPos.y < b.gridPos.y + b.gridPos.h &&
            b.gridPos.y < a.gridPos.y + a.gridPos.h;
          expect(overlap, `${a.title} / ${b.title}`).toBe(false);
        }
      }
    }
  });

  it('reads every query from the datasource variable, which defaults to the provisioned uid', () => {
    const provisioned = parse(file(kit, `${GRAFANA_PATHS.provisioning}/datasources/prometheus.yml`)) as {
      datasources: Array<{ uid: string; type: string; url: string; jsonData: { timeInterval: string } }>;
    };
    expect(provisioned.datasources).toEqual([
      expect.objectContaining({ uid: DATASOURCE_UID, type: 'prometheus', url: PROMETHEUS_URL }),
    ]);
    // $__rate_interval is only right when Grafana knows the scrape interval.
    expect(provisioned.datasources[0]!.jsonData.timeInterval).toBe(kit.scrapeInterval);
    for (const d of dashboards) {
      const variable = d.templating.list.find((v) => v.type === 'datasource');
      expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
      expect(variable?.current?.value).toBe(DATASOURCE_UID);
      for (const panel of panelsOf(d)) {
        expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
        const refIds = (panel.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, panel.title).toBe(refIds.length);
        for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
      }
    }
  });

  it('points the dashboard provider at the folder the dashboards are mounted in', () => {
    const providers = parse(file(kit, `${GRAFANA_PATHS.provisioning}/dashboards/sheepdog.yml`)) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(providers.providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: GRAFANA_PATHS.containerDashboards }),
      }),
    ]);
  });

  it('has job, model and upstream variables, model and upstream multi-value with All as .*', () => {
    for (const d of dashboards) {
      const byName = new Map(d.templating.list.map((v) => [v.name, v]));
      expect([...byName.keys()]).toEqual(['datasource', 'job', 'model', 'upstream']);
      expect(byName.get('job')?.current?.value).toEqual([kit.job]);
      for (const name of ['model', 'upstream'])
        expect(byName.get(name)).toMatchObject({ multi: true, includeAll: true, allValue: '.*' });
      const defined = new Set([...byName.keys(), '__rate_interval', '__range', '__interval']);
      for (const t of targetsOf(d))
        for (const [, name] of t.expr.matchAll(/\$(\w+)/g))
          expect(defined.has(name!), `${t.panel}: $${name}`).toBe(true);
    }
  });

  it('filters every family only on labels it has in this label profile', () => {
    const families = resolveFamilies({ prefix: kit.prefix, profile: kit.profile, genai: false });
    const labelsOf = (name: string): readonly string[] | undefined =>
      families.find((f) => [f.name, `${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(name))
        ?.labels;
    let checked = 0;
    for (const t of dashboards.flatMap(targetsOf)) {
      for (const { name, labels } of selectors(t.expr)) {
        if (name.includes(':')) continue; // a recorded series: checked against real Prometheus in ops-grafana-prometheus
        const known = labelsOf(name);
        expect(known, `${t.panel}: unknown family ${name}`).toBeDefined();
        for (const label of labels)
          expect([...known!, 'job', 'instance', 'le'], `${t.panel}: ${name} has no ${label}`).toContain(
            label,
          );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("keeps the seed's six panels in current types, with its bugs fixed", () => {
    const overview = dashboards[0]!;
    const panel = (title: string): PanelJson => {
      const found = overview.panels.find((p) => p.title === title);
      if (!found) throw new Error(`no panel ${title}`);
      return found;
    };
    expect(panel('Request rate by model').type).toBe('timeseries');
    expect(panel('Latency percentiles').type).toBe('timeseries');
    expect(panel('Tokens in the last hour by type').type).toBe('timeseries');
    expect(panel('Error ratio by status code')).toMatchObject({
      type: 'timeseries',
      fieldConfig: { defaults: { unit: 'percentunit' } },
    });
    expect(panel('Active requests').type).toBe('stat');
    expect(panel('Rate limit remaining (requests)').type).toBe('stat');
    // Every quantile sums its buckets by le first (the seed's took a quantile per series).
    const quantiles = dashboards.flatMap(targetsOf).filter((t) => t.expr.includes('histogram_quantile'));
    expect(quantiles.length).toBeGreaterThan(5);
    for (const t of quantiles) expect(t.expr, t.panel).toMatch(/histogram_quantile\([\d.]+, sum by \(le\b/);
  });
});

describe('thresholds from the kit options', () => {
  it('derive the error budget from the configured SLO', () => {
    const kit = defaultKitOptions({ thresholds: { sloAvailability: 0.99, costBudgetUsdPerHour: 25 } });
    const overview = dashboardsOf(renderGrafana(kit))[0]!;
    const budget = overview.panels.find((p) => p.title.startsWith('Error budget left'))!;
    expect(budget.title).toBe('Error budget left (30d, SLO 99%)');
    expect(budget.targets?.[0]?.expr).toMatch(/\) \/ 0\.01$/);
    const burn = overview.panels.find((p) => p.title === 'Error budget burn rate')!;
    for (const t of burn.targets ?? []) expect(t.expr).toMatch(/ \/ 0\.01$/);
    const cost = overview.panels.find((p) => p.title === 'Cost per hour by model') as PanelJson & {
      fieldConfig: { defaults: { thresholds: { steps: Array<{ value: number | null }> } } };
    };
    expect(cost.fieldConfig.defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 25]);
  });
});
