// The report's plots, each a Vega-Lite line chart (runtime/plots/line-chart.ts) of the recorded history,
// with a sentence on what to look for, in the notes' terms.
import { lineChartSvg, type LineChart, type LineSeries } from "../plots/line-chart.js";
import type { Metric } from "../program.js";
import type { RunHistory } from "./history.js";

export interface ReportChart {
  id: string;
  title: string;
  /** What the plot shows and how to read it. */
  note: string;
  svg: string;
}

/** The notes' rule of thumb for ‖Δθ‖/‖θ‖ per step. */
export const UPDATE_RATIO_REFERENCE = 1e-3;

type Point = [number, number];

function defined<T>(items: T[], pick: (item: T) => Point | undefined): Point[] {
  return items.flatMap((item) => {
    const p = pick(item);
    return p && p[1] !== undefined ? [p] : [];
  });
}

function series(name: string, points: Point[]): LineSeries[] {
  return points.length ? [{ name, points }] : [];
}

export async function reportCharts(history: RunHistory, monitor: readonly Metric[]): Promise<ReportChart[]> {
  const { epochs, logs, evaluations } = history;
  const charts: { id: string; note: string; chart: Omit<LineChart, "title"> & { title: string } }[] = [];
  const perEpoch = (pick: (e: RunHistory["epochs"][number]) => number | undefined) => defined(epochs, (e) => (pick(e) === undefined ? undefined : [e.epoch, pick(e)!]));

  const lossSeries = [...series("train loss", perEpoch((e) => e.train_loss)), ...series("validation loss", perEpoch((e) => e.val_loss))];
  if (lossSeries.length) {
    charts.push({ id: "loss-epoch", note: "The mean training loss of each epoch and the validation loss after it. Validation rising while training falls is overfitting; both flat and high is underfitting.", chart: { title: "Loss per epoch", points: true, x: { title: "epoch", integer: true }, y: { title: "loss" }, series: lossSeries } });
  }
  const stepEvaluations = evaluations.filter((e) => !epochs.some((p) => p.step === e.step));
  const stepSeries = [...series("batch loss (logged steps)", logs.map((l) => [l.step, l.loss])), ...series("validation loss", stepEvaluations.map((e) => [e.step, e.val_loss]))];
  if (stepSeries.length) {
    charts.push({ id: "loss-step", note: "The loss of single batches at the logged steps (`log_every`): its noise is the batch's; a curve that drops then stalls at once suggests a too high learning rate, a slow linear decline a too low one.", chart: { title: "Loss per logged step", x: { title: "step" }, y: { title: "loss" }, series: stepSeries } });
  }
  const accuracy = [...series("train accuracy", perEpoch((e) => e.train_accuracy)), ...series("validation accuracy", perEpoch((e) => e.val_accuracy))];
  if (accuracy.length) {
    charts.push({ id: "accuracy", note: "Accuracy on the training split (during the epoch, with dropout and augmentation) and on the validation split.", chart: { title: "Accuracy per epoch", points: true, x: { title: "epoch", integer: true }, y: { title: "accuracy" }, series: accuracy } });
  }
  const gap = perEpoch((e) => (e.train_accuracy !== undefined && e.val_accuracy !== undefined ? e.train_accuracy - e.val_accuracy : undefined));
  if (gap.length) {
    charts.push({ id: "accuracy-gap", note: "Training minus validation accuracy: a large gap is overfitting (more regularization, more data); no gap at all with low accuracy suggests a bigger model.", chart: { title: "Accuracy gap (train − validation)", points: true, x: { title: "epoch", integer: true }, y: { title: "accuracy gap" }, series: series("gap", gap), rules: [{ y: 0, label: "no gap" }] } });
  }
  if (history.lr.length) {
    charts.push({ id: "lr", note: "The learning rate the loop used at each step (the schedule's values; with `plateau`, those of the logged steps).", chart: { title: "Learning rate per step", x: { title: "step" }, y: { title: "learning rate" }, series: series("learning rate", history.lr) } });
  }
  if (monitor.includes("update_ratio")) {
    const names = [...new Set(logs.flatMap((l) => Object.keys(l.update_ratio ?? {})))];
    const ratios = names.map((name) => ({ name, points: defined(logs, (l) => (l.update_ratio?.[name] === undefined ? undefined : [l.step, l.update_ratio[name]!])) }));
    if (ratios.some((s) => s.points.length)) {
      charts.push({ id: "update-ratio", note: "‖Δθ‖/‖θ‖ of each parameter tensor at the logged steps. The notes' rule of thumb is about 1e-3: far below, the learning rate is probably too low; far above, too high.", chart: { title: "Update/weight ratio per parameter", x: { title: "step" }, y: { title: "‖Δθ‖ / ‖θ‖", log: true }, series: ratios, rules: [{ y: UPDATE_RATIO_REFERENCE, label: "1e-3" }] } });
    }
  }
  if (monitor.includes("grad_norm")) {
    const norms = defined(logs, (l) => (l.grad_norm === undefined ? undefined : [l.step, l.grad_norm]));
    if (norms.length) {
      charts.push({ id: "grad-norm", note: "The L2 norm of the whole gradient at the logged steps (before clipping): spikes announce instabilities.", chart: { title: "Gradient norm", x: { title: "step" }, y: { title: "‖g‖", log: true }, series: series("gradient norm", norms) } });
    }
  }
  const rendered: ReportChart[] = [];
  for (const { id, note, chart } of charts) rendered.push({ id, title: chart.title, note, svg: uniqueIds(await lineChartSvg(chart), id) });
  return rendered;
}

/** Several SVGs inline in one document share one id space: each chart's ids (clip paths, gradients) get its own prefix. */
export function uniqueIds(svg: string, prefix: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`).replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}
