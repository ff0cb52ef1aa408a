/**
 * Vega-Lite plots for reports: spec helpers and headless SVG rendering (vega's View with the
 * 'none' renderer; no browser, no canvas, no network).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface SeriesChartOptions {
  title: string;
  /** Rows with the x field, y field and the series/mark fields. */
  values: Record<string, unknown>[];
  x: string;
  y: string;
  xTitle?: string;
  yTitle?: string;
  /** Field naming the series (colour). */
  series: string;
  /** Field that is 'closed form' (line) or 'trained' (points); omit for lines only. */
  kind?: string;
  xScale?: 'linear' | 'log';
  yDomain?: [number, number];
  /** Vertical rule at this x (a threshold), labelled. */
  rule?: { x: number; label: string };
  width?: number;
  height?: number;
}

/**
 * A line-per-series chart where closed-form rows are drawn as lines and trained rows as
 * points on top: "theory vs training" at a glance.
 */
export function seriesChart(o: SeriesChartOptions): VegaLiteSpec {
  const x = { field: o.x, type: 'quantitative' as const, title: o.xTitle ?? o.x, scale: { type: o.xScale ?? 'linear' } };
  const y = { field: o.y, type: 'quantitative' as const, title: o.yTitle ?? o.y, ...(o.yDomain ? { scale: { domain: o.yDomain } } : {}) };
  const color = { field: o.series, type: 'nominal' as const, title: null };
  const layers: unknown[] = [];
  const filterKind = (v: string) => (o.kind ? [{ filter: { field: o.kind, equal: v } }] : []);
  layers.push({ transform: filterKind('closed form'), mark: { type: 'line', point: false }, encoding: { x, y, color } });
  if (o.kind)
    layers.push({
      transform: filterKind('trained'),
      mark: { type: 'point', filled: true, size: 70 },
      encoding: { x, y, color, shape: { field: o.kind, type: 'nominal', title: null } },
    });
  if (o.rule)
    layers.push(
      { data: { values: [{ rx: o.rule.x, label: o.rule.label }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { field: 'rx', type: 'quantitative' } } },
      {
        data: { values: [{ rx: o.rule.x, label: o.rule.label }] },
        mark: { type: 'text', align: 'left', dx: 4, dy: -4, color: '#666' },
        encoding: { x: { field: 'rx', type: 'quantitative' }, y: { value: 10 }, text: { field: 'label' } },
      },
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 320,
    height: o.height ?? 200,
    data: { values: o.values },
    layer: layers,
  } as unknown as VegaLiteSpec;
}

export interface GroupedBarOptions {
  title: string;
  values: Record<string, unknown>[];
  /** Category on the x axis (e.g. objective). */
  category: string;
  /** Numeric field. */
  value: string;
  /** Field splitting the bars of a category (e.g. metric × kind). */
  group: string;
  /** Column facet field (e.g. metric); omit for one panel. */
  facet?: string;
  yTitle?: string;
  yDomain?: [number, number];
}

/** Grouped bars (one group per category), optionally faceted into columns. */
export function groupedBarChart(o: GroupedBarOptions): VegaLiteSpec {
  const inner = {
    width: 220,
    height: 180,
    mark: { type: 'bar' },
    encoding: {
      x: { field: o.category, type: 'nominal', title: null, axis: { labelAngle: -30 } },
      xOffset: { field: o.group },
      y: { field: o.value, type: 'quantitative', title: o.yTitle ?? o.value, ...(o.yDomain ? { scale: { domain: o.yDomain } } : {}) },
      color: { field: o.group, type: 'nominal', title: null },
    },
  };
  const spec = o.facet
    ? { data: { values: o.values }, facet: { column: { field: o.facet, type: 'nominal', title: null } }, spec: inner }
    : { data: { values: o.values }, ...inner };
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: o.title, ...spec } as unknown as VegaLiteSpec;
}
