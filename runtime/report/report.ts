// Training with a report: runs the shared loop with a history recorder, reads the final weights back from
// the backend, and writes the HTML report, also when training aborts (with what was recorded and why),
// before passing the outcome on.
import { runTraining, TrainingAborted, type DoneReport, type TrainingBackend, type TrainOptions } from "../loop.js";
import type { Program } from "../program.js";
import { reportCharts, uniqueIds, type ReportChart } from "./charts.js";
import { activationsAtInit } from "./activations.js";
import { lineChartSvg } from "../plots/line-chart.js";
import { HistoryRecorder, type RunHistory } from "./history.js";
import { renderReport, type ReportContent, type ReportDiagnostic } from "./html.js";
import { settingsRows } from "./settings.js";
import { firstImageLayer, firstLayerImage, savedValues } from "./weights.js";
import { writeFileAtomic } from "../atomic-write.js";

export type { ReportDiagnostic } from "./html.js";

export interface ReportOptions {
  /** Where to write the HTML file. */
  path: string;
  /** The compiler's diagnostics for the file (warnings and lints); the loop's warnings are added. */
  diagnostics?: ReportDiagnostic[];
  /** An ensemble's table (runtime/ensemble/), once its members are evaluated. */
  ensemble?: ReportContent["ensemble"];
}

export async function trainWithReport(program: Program, backend: TrainingBackend, options: TrainOptions, report: ReportOptions): Promise<DoneReport> {
  const recorder = new HistoryRecorder(program);
  let done: DoneReport | undefined;
  let failure: unknown;
  try {
    done = await runTraining(program, backend, recorder.wrap(options));
    recorder.history.done = done;
  } catch (error) {
    failure = error;
    recorder.history.aborted = error instanceof TrainingAborted ? { message: error.message, help: error.help, epoch: error.epoch } : { message: error instanceof Error ? error.message : String(error) };
  }
  let weights: Map<number, Float32Array> | undefined;
  let weightsNote: string | undefined;
  if (firstImageLayer(program)) {
    try {
      weights = savedValues(await backend.saveWeights());
    } catch (error) {
      weightsNote = `The final weights could not be read back: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  await writeReport(program, recorder.history, weights, report, weightsNote);
  if (failure !== undefined) throw failure;
  return done!;
}

/** Renders and writes the report of a recorded run; `weights` (node → values) for the first-layer pictures. */
export async function writeReport(program: Program, history: RunHistory, weights: Map<number, Float32Array> | undefined, report: ReportOptions, weightsNote?: string): Promise<void> {
  const image = weights && firstLayerImage(program, weights);
  const diagnostics: ReportDiagnostic[] = [...(report.diagnostics ?? []), ...history.warnings.map((w) => ({ code: w.code, severity: "warning" as const, message: w.message, help: w.help }))];
  const html = renderReport({
    title: `Training report: ${program.model}`,
    settings: settingsRows(program),
    history,
    charts: [...(await reportCharts(history, program.loop.monitor)), ...(await activationChart(program))],
    weights: image,
    weightsNote: image ? undefined : (weightsNote ?? (firstImageLayer(program) ? "The final weights were not available." : "The input is not an image (or no layer reads it directly): no weights to draw.")),
    diagnostics,
    generated: new Date(),
    ...(report.ensemble && { ensemble: report.ensemble }),
  });
  writeFileAtomic(report.path, html);
}

/** The spread of each activation layer at initialization (the notes' 10-layer tanh experiment), when there are layers to compare. */
async function activationChart(program: Program): Promise<ReportChart[]> {
  const layers = activationsAtInit(program);
  if (layers.length < 2) return [];
  const title = "Activations at initialization";
  const svg = await lineChartSvg({
    title,
    points: true,
    x: { title: "activation layer (from the input)", integer: true },
    y: { title: "standard deviation", log: true },
    series: [{ name: "std of the layer's output", points: layers.map((l): [number, number] => [l.depth, l.std]) }],
  });
  const spread = layers.map((l) => `${l.op} ${l.depth}: mean ${l.mean.toPrecision(2)}, std ${l.std.toPrecision(2)}`).join("; ");
  return [{ id: "activations", title, note: `The standard deviation of each activation layer's output on the first training batch with the initial weights (log scale). Weights too small make it shrink layer after layer towards 0, so gradients vanish; too large and tanh or sigmoid saturate; a good initialization (Xavier for tanh, Kaiming for ReLU) keeps it roughly level. ${spread}.`, svg: uniqueIds(svg, "activations") }];
}
