// Line charts as self-contained SVG text (no scripts, no network), drawn by Vega-Lite and rendered by Vega
// without a browser. Used for `dslc schedule`'s plot; training reports draw their curves the same way.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export interface LineSeries {
  name: string;
  /** [x, y] points; non-finite y values are left out (and values ≤ 0 on a log axis). */
  points: [number, number][];
}

/** A horizontal reference line, e.g. the notes' 1e-3 for update/weight ratios. */
export interface ReferenceLine {
  y: number;
  label: string;
}

export interface LineChart {
  title: string;
  /** `integer`: only whole-number ticks (epochs). */
  x: { title: string; log?: boolean; integer?: boolean };
  y: { title: string; log?: boolean };
  series: LineSeries[];
  rules?: ReferenceLine[];
  /** Marks each point too: for short series (a few epochs), where a line alone hides where the values are. */
  points?: boolean;
  width?: number;
  height?: number;
}

/** At most this many points per series (evenly spaced, ends kept): a curve needs no more pixels than the width. */
const MAX_POINTS = 2000;

function thinned(points: [number, number][]): [number, number][] {
  if (points.length <= MAX_POINTS) return points;
  const every = (points.length - 1) / (MAX_POINTS - 1);
  return Array.from({ length: MAX_POINTS }, (_, k) => points[Math.round(k * every)]!);
}

export async function lineChartSvg(chart: LineChart): Promise<string> {
  // A log scale cannot place 0 or negative values: they are left out like non-finite ones.
  const drawable = (x: number, y: number) => Number.isFinite(y) && (!chart.y.log || y > 0) && (!chart.x.log || x > 0);
  const values = chart.series.flatMap((s) => thinned(s.points).filter(([x, y]) => drawable(x, y)).map(([x, y]) => ({ series: s.name, x, y })));
  const x = { field: "x", type: "quantitative", title: chart.x.title, ...(chart.x.log ? { scale: { type: "log" as const } } : {}), ...(chart.x.integer ? { axis: { tickMinStep: 1, format: "d" } } : {}) } as const;
  const y = { field: "y", type: "quantitative", title: chart.y.title, scale: chart.y.log ? { type: "log" as const } : { zero: false } } as const;
  const color = chart.series.length > 1 ? ({ field: "series", type: "nominal", title: null } as const) : ({ value: "#1f77b4" } as const);
  const common = { title: chart.title, width: chart.width ?? 640, height: chart.height ?? 260 };
  const rules = chart.rules ?? [];
  const line = { type: "line", interpolate: "linear", ...(chart.points ? { point: true } : {}) } as const;
  const spec: TopLevelSpec = rules.length === 0
    ? { ...common, data: { values }, mark: line, encoding: { x, y, color } }
    : {
        ...common,
        layer: [
          { data: { values }, mark: line, encoding: { x, y, color } },
          // The reference values widen the y domain, so the line is drawn even when every point lies far from it.
          { data: { values: rules.map((r) => ({ y: r.y, label: r.label })) }, mark: { type: "rule", strokeDash: [6, 4], color: "#d62728" }, encoding: { y: { ...y, field: "y" } } },
          { data: { values: rules.map((r) => ({ y: r.y, label: r.label })) }, mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#d62728" }, encoding: { y: { ...y, field: "y" }, x: { value: 0 }, text: { field: "label" } } },
        ],
      };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
