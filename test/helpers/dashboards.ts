// Reading rendered Grafana dashboards as Grafana would run them: every panel
// target with its variables substituted, and a range query to Prometheus the
// way a time-series panel asks for data.

import type { KitFile } from '../../src/ops/kit.js';

export interface DashboardTarget {
  dashboard: string;
  panel: string;
  panelType: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export interface PanelJson {
  id?: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Array<{
    refId?: string;
    expr?: string;
    instant?: boolean;
    range?: boolean;
    datasource?: { uid?: string };
  }>;
  fieldConfig?: { defaults?: { unit?: string } };
  options?: {
    legend?: { showLegend?: boolean; displayMode?: string };
    reduceOptions?: { calcs?: string[] };
  };
  timeFrom?: string;
}

export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: {
    list: Array<{
      type: string;
      name: string;
      query?: unknown;
      multi?: boolean;
      includeAll?: boolean;
      allValue?: string;
      current?: { value?: string | string[] };
    }>;
  };
}

export function dashboardsOf(files: KitFile[]): DashboardJson[] {
  return files
    .filter((f) => f.path.startsWith('grafana/dashboards/') && f.path.endsWith('.json'))
    .map((f) => JSON.parse(f.content) as DashboardJson);
}

export function targetsOf(dashboard: DashboardJson): DashboardTarget[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      dashboard: dashboard.uid,
      panel: panel.title,
      panelType: panel.type,
      refId: target.refId ?? '',
      expr: target.expr ?? '',
      instant: target.instant === true,
    })),
  );
}

/** Replaces `$name` variables (Grafana's built-ins and the dashboard's) by their values. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$(__\w+|\w+)/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${whole} in ${expr}`);
    return value;
  });
}

export interface Series {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** A range query as a Grafana time-series panel sends it; throws on a query error. */
export async function queryRange(
  prometheusUrl: string,
  promql: string,
  startS: number,
  endS: number,
  stepS = 1,
): Promise<Series[]> {
  const params = new URLSearchParams({
    query: promql,
    start: String(startS),
    end: String(endS),
    step: String(stepS),
  });
  const res = await fetch(`${prometheusUrl}/api/v1/query_range?${params}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Series[] } };
  if (body.status !== 'success') throw new Error(`query failed: ${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

/** Whether any series has a finite value (what a panel needs to draw something). */
export function hasData(series: Series[]): boolean {
  return series.some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
}
