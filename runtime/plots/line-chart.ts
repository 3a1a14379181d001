// Line charts as self-contained SVG text (no scripts, no network), drawn by Vega-Lite and rendered by Vega
// without a browser. Used for `dslc schedule`'s plot; training reports draw their curves the same way.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export interface LineSeries {
  name: string;
  /** [x, y] points; non-finite y values are left out. */
  points: [number, number][];
}

export interface LineChart {
  title: string;
  x: { title: string; log?: boolean };
  y: { title: string; log?: boolean };
  series: LineSeries[];
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
  const values = chart.series.flatMap((s) => thinned(s.points).filter(([, y]) => Number.isFinite(y)).map(([x, y]) => ({ series: s.name, x, y })));
  const spec: TopLevelSpec = {
    title: chart.title,
    width: chart.width ?? 640,
    height: chart.height ?? 260,
    data: { values },
    mark: { type: "line", interpolate: "linear" },
    encoding: {
      x: { field: "x", type: "quantitative", title: chart.x.title, ...(chart.x.log ? { scale: { type: "log" } } : {}) },
      y: { field: "y", type: "quantitative", title: chart.y.title, scale: chart.y.log ? { type: "log" } : { zero: false } },
      color: chart.series.length > 1 ? { field: "series", type: "nominal", title: null } : { value: "#1f77b4" },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
