// The study's HTML report: the notes' picture of random search, the metric against each hyperparameter on
// its own scale (log where it was sampled log-uniformly), one panel per hyperparameter, each stage in its
// own colour; then the warnings and the sorted table. Self-contained like the training report
// (runtime/report/html.ts): inline SVG drawn by Vega-Lite and Vega, no script, nothing fetched.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../runtime/atomic-write.js";
import { escapeHtml } from "../runtime/report/html.js";
import { uniqueIds } from "../runtime/report/charts.js";
import type { BorderWarning } from "./border.js";
import type { TrialResult } from "./plan.js";
import { describeRange, formatValue, type Dimension, type SearchSpace } from "./space.js";
import { metricText } from "./table.js";

async function panel(space: SearchSpace, dimension: Dimension, results: readonly TrialResult[]): Promise<string> {
  const values = results
    .filter((r) => r.metric !== null && Number.isFinite(r.metric))
    .map((r) => ({ x: r.params[dimension.name], y: r.metric, stage: `stage ${r.stage + 1}` }));
  const choice = dimension.range.kind === "choice";
  const x = choice
    ? ({ field: "x", type: "nominal", title: dimension.name } as const)
    : ({ field: "x", type: "quantitative", title: `${dimension.name}${dimension.range.kind === "loguniform" ? " (log scale)" : ""}`, scale: dimension.range.kind === "loguniform" ? { type: "log" as const } : { zero: false } } as const);
  const spec: TopLevelSpec = {
    title: `${space.metric} against ${dimension.name}`,
    width: 420,
    height: 240,
    data: { values },
    mark: { type: "point", filled: true, size: 50, opacity: 0.8 },
    encoding: { x, y: { field: "y", type: "quantitative", title: space.metric, scale: { zero: false } }, color: { field: "stage", type: "nominal", title: null } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return uniqueIds(await view.toSVG(), `panel-${dimension.name}`);
  } finally {
    view.finalize();
  }
}

export async function writeSearchReport(file: string, title: string, space: SearchSpace, results: readonly TrialResult[], ranked: readonly TrialResult[], warnings: readonly BorderWarning[]): Promise<void> {
  const panels = await Promise.all(space.dimensions.map((d) => panel(space, d, results)));
  const best = ranked[0];
  const header = ["stage", "trial", ...space.dimensions.map((d) => d.name), space.metric, "seconds"];
  const failed = results.filter((r) => r.metric === null);
  const rows = [...ranked, ...failed].map((r) => [String(r.stage + 1), String(r.trial + 1), ...space.dimensions.map((d) => formatValue(r.params[d.name]!)), r.metric === null ? `failed: ${r.failed}` : String(r.metric), r.seconds.toFixed(1)]);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:980px;padding:0 1rem;color:#222}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}th{background:#f6f6f6}.panels{display:flex;flex-wrap:wrap;gap:1rem}.warning{color:#9a6700}code{font-size:.88rem}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>${results.length} trials in ${space.stages.length} stage${space.stages.length === 1 ? "" : "s"}, ranked by <code>${escapeHtml(space.metric)}</code> (${space.mode === "max" ? "higher" : "lower"} is better), seed ${space.seed}.
Ranges: ${space.dimensions.map((d) => `<code>${escapeHtml(`${d.name} ~ ${describeRange(d.range)}`)}</code>`).join(", ")}.</p>
${best ? `<p><strong>Best:</strong> ${space.dimensions.map((d) => `<code>${escapeHtml(`${d.name} = ${formatValue(best.params[d.name]!)}`)}</code>`).join(", ")}: ${escapeHtml(space.metric)} ${metricText(best)}</p>` : "<p>No trial finished.</p>"}
<h2>The metric against each hyperparameter</h2>
<p>Each point is a trial; a later stage samples a range narrowed around the best trials. A best value at the edge of a panel suggests widening that range.</p>
<div class="panels">${panels.map((svg) => `<div>${svg}</div>`).join("\n")}</div>
${warnings.length ? `<h2>Warnings</h2><ul>${warnings.map((w) => `<li class="warning">${escapeHtml(`${w.code}: ${w.message}`)}<br>help: ${escapeHtml(w.help)}</li>`).join("")}</ul>` : ""}
<h2>Trials, best first</h2>
<table><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>
${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n")}</table>
</body></html>
`;
  writeFileAtomic(file, html);
}
