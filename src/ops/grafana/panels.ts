// Panel factories over @grafana/grafana-foundation-sdk that override the SDK's
// defaults once, for every panel: legends shown (the SDK hides them), stat
// reductions set (the SDK leaves `calcs: []`), every query bound to the
// `$datasource` variable with a refId, a unit on every panel.

import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel and query reads from the dashboard's datasource variable. */
export const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' } as const;

export interface Target {
  expr: string;
  /** Legend template, e.g. `{{model}}`. */
  legend: string;
  /** One value at the end of the time range (stat panels over `$__range`). */
  instant?: boolean;
}

export interface Step {
  /** Lower bound; null for the base step. */
  value: number | null;
  color: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  /** A Grafana unit id: `reqps`, `s`, `percentunit`, `currencyUSD`, `short`, ... */
  unit: string;
  targets: Target[];
  /** Grid width (of 24) and height. */
  width: number;
  height: number;
  thresholds?: Step[];
  min?: number;
  max?: number;
  decimals?: number;
  mappings?: dashboard.ValueMapping[];
  /** Relative time override, e.g. `now/d` for "today so far". */
  timeFrom?: string;
  /** Shown instead of "No data" when every query is empty (e.g. `none` for a panel of problems). */
  noValue?: string;
  /** Stat panels: show each series' name beside its value (one series per model, upstream, ...). */
  showNames?: boolean;
}

export type AnyPanel = timeseries.PanelBuilder | stat.PanelBuilder;

function queries(targets: Target[]): prometheus.DataqueryBuilder[] {
  return targets.map((target, i) => {
    const query = new prometheus.DataqueryBuilder()
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE_REF)
      .expr(target.expr)
      .legendFormat(target.legend);
    return target.instant ? query.instant() : query.range();
  });
}

function thresholds(steps: Step[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

/** Settings every panel type shares. */
function withBasics<T extends AnyPanel>(panel: T, spec: PanelSpec): T {
  panel
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE_REF)
    .targets(queries(spec.targets))
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height)
    .thresholds(thresholds(spec.thresholds ?? [{ value: null, color: 'green' }]));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  if (spec.mappings) panel.mappings(spec.mappings);
  if (spec.timeFrom) panel.timeFrom(spec.timeFrom);
  if (spec.noValue) panel.noValue(spec.noValue);
  return panel;
}

/** A time series with a table legend (last and max) and a shared tooltip. */
export function timeseriesPanel(spec: PanelSpec & { thresholdLines?: boolean }): timeseries.PanelBuilder {
  const panel = withBasics(new timeseries.PanelBuilder(), spec)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false);
  if (spec.thresholdLines)
    panel.thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
    );
  return panel;
}

/** A single value (per series) reduced to its last non-null value, coloured by thresholds. */
export function statPanel(spec: PanelSpec): stat.PanelBuilder {
  return withBasics(new stat.PanelBuilder(), spec)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(
      spec.targets.some((t) => t.instant) ? common.BigValueGraphMode.None : common.BigValueGraphMode.Area,
    )
    .colorMode(common.BigValueColorMode.Value)
    .textMode(
      spec.showNames || spec.targets.length > 1
        ? common.BigValueTextMode.ValueAndName
        : common.BigValueTextMode.Auto,
    )
    .justifyMode(common.BigValueJustifyMode.Auto);
}

export interface Row {
  title: string;
  panels: AnyPanel[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Array<dashboard.DatasourceVariableBuilder | dashboard.QueryVariableBuilder>;
  rows: Row[];
  links?: dashboard.DashboardLinkBuilder[];
}

/** `Sheepdog / Overview`, naming the prefix when it is not the default one. */
export function dashboardTitle(name: string, options: { prefix: string }): string {
  return options.prefix === 'sheepdog' ? `Sheepdog / ${name}` : `Sheepdog / ${name} (${options.prefix}_*)`;
}

/** A dropdown of every Sheepdog dashboard, keeping the time range and variables. */
export function dashboardLinks(): dashboard.DashboardLinkBuilder[] {
  return [
    new dashboard.DashboardLinkBuilder('Sheepdog')
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags(['sheepdog'])
      .asDropdown(true)
      .includeVars(true)
      .keepTime(true),
  ];
}

/**
 * Builds the dashboard JSON. Panel ids are numbered 1.. in layout order (the SDK sets none, and
 * Grafana's links to a panel need one); rows and panels keep the SDK's grid layout.
 */
export function buildDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(spec.tags)
    .editable()
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .variables(spec.variables);
  for (const link of spec.links ?? []) builder.link(link);
  let id = 0;
  for (const row of spec.rows) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(++id));
    for (const panel of row.panels) builder.withPanel(panel.id(++id));
  }
  return builder.build();
}
