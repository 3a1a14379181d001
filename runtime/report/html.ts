// The report as one self-contained HTML document: inline CSS, inline SVG charts, weight images as data:
// URIs; no script and nothing fetched, so it opens anywhere, offline, and can be mailed or archived.
import type { ReportChart } from "./charts.js";
import type { RunHistory } from "./history.js";
import type { WeightImage } from "./weights.js";

/** A finding to list: the compiler's diagnostics (warnings, lints) and the loop's (W0701). */
export interface ReportDiagnostic {
  code: string;
  severity: "error" | "warning" | "info" | "hint";
  message: string;
  help?: string;
}

export interface ReportContent {
  title: string;
  settings: [string, string][];
  history: RunHistory;
  charts: ReportChart[];
  weights?: WeightImage;
  /** Why there is no weight picture, when there is none. */
  weightsNote?: string;
  diagnostics: ReportDiagnostic[];
  generated: Date;
  /** An ensemble's members and the ensemble side by side (runtime/ensemble/): a header row, then one row each. */
  ensemble?: { note: string; rows: string[][] };
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 980px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
.meta { color: #666; margin-top: 0; } .note { color: #555; font-size: 0.92rem; margin: 0.2rem 0 0.6rem; }
table { border-collapse: collapse; font-size: 0.92rem; } td, th { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 0.88rem; }
.chart { margin: 1rem 0 1.6rem; } .chart svg { max-width: 100%; height: auto; }
.aborted { border: 2px solid #d62728; background: #fff3f3; padding: 0.6rem 1rem; border-radius: 6px; }
.ok { border: 1px solid #2ca02c; background: #f3fff3; padding: 0.6rem 1rem; border-radius: 6px; }
.weights img { border: 1px solid #ccc; image-rendering: pixelated; }
ul.diagnostics { padding-left: 1.2rem; } .warning { color: #9a6700; } .error { color: #d62728; }
`;

function table(rows: [string, string][], numeric = false): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td${numeric ? ' class="num"' : ""}>${numeric ? escapeHtml(v) : `<code>${escapeHtml(v)}</code>`}</td></tr>`).join("")}</table>`;
}

/** A table whose first row is its header. */
function gridTable([head, ...rows]: string[][]): string {
  const cells = (row: string[], tag: string) => `<tr>${row.map((c, i) => `<${i === 0 ? "th" : tag}${i > 0 && tag === "td" ? ' class="num"' : ""}>${escapeHtml(c)}</${i === 0 ? "th" : tag}>`).join("")}</tr>`;
  return `<table>${head ? cells(head, "th") : ""}${rows.map((r) => cells(r, "td")).join("")}</table>`;
}

function percent(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

function outcome(history: RunHistory): string {
  const done = history.done;
  if (history.aborted) {
    const a = history.aborted;
    const where = a.epoch !== undefined ? ` in epoch ${a.epoch}` : "";
    return `<div class="aborted"><strong>Training stopped${escapeHtml(where)}:</strong> ${escapeHtml(a.message)}${a.help ? `<br>help: ${escapeHtml(a.help)}` : ""}<br>The plots show what was recorded until then.</div>`;
  }
  if (!done) return "";
  const rows: [string, string][] = [
    ["backend", `${done.backend} (${done.adapter})`],
    ["steps", String(done.steps)],
    ["epochs", String(done.epochs)],
    ["seconds", done.seconds.toFixed(1)],
    ["final train loss", done.train_loss.toPrecision(5)],
  ];
  const metric = (label: string, v: number | undefined, f: (v: number) => string) => v !== undefined && rows.push([label, f(v)]);
  metric("validation loss", done.val_loss, (v) => v.toPrecision(5));
  metric("validation accuracy", done.val_accuracy, percent);
  metric("test loss", done.test_loss, (v) => v.toPrecision(5));
  metric("test accuracy", done.test_accuracy, percent);
  metric("test top-5 accuracy", done.test_top5, percent);
  if (done.stopped_early) rows.push(["stopped early", `after epoch ${done.stopped_early.epoch}${done.stopped_early.restored_epoch ? `; weights of epoch ${done.stopped_early.restored_epoch} restored` : ""}`]);
  return `<div class="ok">Training finished.</div>${table(rows, true)}`;
}

function epochTable(history: RunHistory): string {
  const epochs = history.epochs;
  if (!epochs.length) return "<p>No epoch was completed.</p>";
  const cols: [string, (e: RunHistory["epochs"][number]) => string | undefined][] = [
    ["epoch", (e) => String(e.epoch)],
    ["step", (e) => String(e.step)],
    ["train loss", (e) => e.train_loss.toPrecision(5)],
    ["val loss", (e) => e.val_loss?.toPrecision(5)],
    ["train acc", (e) => (e.train_accuracy === undefined ? undefined : percent(e.train_accuracy))],
    ["val acc", (e) => (e.val_accuracy === undefined ? undefined : percent(e.val_accuracy))],
    ["lr", (e) => e.lr.toExponential(3)],
  ];
  const used = cols.filter(([, f]) => epochs.some((e) => f(e) !== undefined));
  return `<table><tr>${used.map(([h]) => `<th>${h}</th>`).join("")}</tr>${epochs.map((e) => `<tr>${used.map(([, f]) => `<td class="num">${escapeHtml(f(e) ?? "—")}</td>`).join("")}</tr>`).join("")}</table>`;
}

function diagnosticsList(items: ReportDiagnostic[]): string {
  if (!items.length) return "<p>None.</p>";
  return `<ul class="diagnostics">${items.map((d) => `<li><span class="${d.severity}">${d.severity}[${escapeHtml(d.code)}]</span>: ${escapeHtml(d.message)}${d.help ? `<br><span class="note">help: ${escapeHtml(d.help)}</span>` : ""}</li>`).join("")}</ul>`;
}

function weightsSection(content: ReportContent): string {
  const w = content.weights;
  if (!w) return `<p>${escapeHtml(content.weightsNote ?? "The input is not an image: no weights to draw.")}</p>`;
  const { channels, height, width } = w.tile;
  const layout = channels === 1 || channels === 3 ? "one tile per unit" : "one row per unit, one tile per input channel";
  return `<p class="note">The final weights of <code>${escapeHtml(w.param)}</code> (${w.layer}, ${w.units} units${w.shown < w.units ? `, the first ${w.shown} shown` : ""}), each unit's ${channels}×${height}×${width} weights as an image, ${layout}, scaled from its own minimum (black) to maximum (white)${channels === 3 ? " per color channel together" : ""}. Smooth, varied patterns are learned features; noise means too little training or too much learning rate.${w.nonFinite ? " Some weights are not finite (drawn black)." : ""}</p><div class="weights"><img alt="first-layer weights of ${escapeHtml(w.param)}" width="${w.width}" height="${w.height}" src="${w.dataUri}"></div>`;
}

export function renderReport(content: ReportContent): string {
  const h = content.history;
  const sections = [
    `<section id="outcome"><h2>Outcome</h2>${outcome(h)}</section>`,
    ...(content.ensemble ? [`<section id="ensemble"><h2>Ensemble</h2><p class="note">${escapeHtml(content.ensemble.note)}</p>${gridTable(content.ensemble.rows)}</section>`] : []),
    ...content.charts.map((c) => `<section id="${c.id}" class="chart"><h2>${escapeHtml(c.title)}</h2><p class="note">${escapeHtml(c.note)}</p>${c.svg}</section>`),
    `<section id="weights"><h2>First-layer weights</h2>${weightsSection(content)}</section>`,
    `<section id="epochs"><h2>Epochs</h2>${epochTable(h)}</section>`,
    `<section id="settings"><h2>Settings</h2>${table(content.settings)}</section>`,
    `<section id="diagnostics"><h2>Diagnostics</h2>${diagnosticsList(content.diagnostics)}</section>`,
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(content.title)}</h1>
<p class="meta">Written by dslc on ${escapeHtml(content.generated.toISOString())}.</p>
${sections.join("\n")}
</body>
</html>
`;
}
