// The trials as text: one line per finished trial while the search runs (a progress line under them on a
// terminal), and at the end every trial sorted best first with each sampled value and the metric.
import { clock, ProgressBar } from "../cli/progress.js";
import type { StagePlan, TrialResult } from "./plan.js";
import { formatValue, type SearchSpace } from "./space.js";

/** A trial's metric as the tables and notes print it (4 significant digits); JSON and CSV keep every digit. */
export function metricText(result: TrialResult): string {
  return result.metric === null ? "failed" : result.metric.toPrecision(4);
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
}

/** A table with a header, columns as wide as their widest cell. */
export function formatTable(space: SearchSpace, results: readonly TrialResult[]): string {
  const header = ["stage", "trial", ...space.dimensions.map((d) => d.name), space.metric, "seconds"];
  const rows = results.map((r) => [String(r.stage + 1), String(r.trial + 1), ...space.dimensions.map((d) => formatValue(r.params[d.name]!)), metricText(r), r.seconds.toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const failures = results.filter((r) => r.failed).map((r) => `  stage ${r.stage + 1} trial ${r.trial + 1} failed: ${r.failed}`);
  return [row(header, widths), ...rows.map((r) => row(r, widths)), ...failures].join("\n") + "\n";
}

/** What the user sees while the search runs. */
export class LiveTable {
  private readonly bar: ProgressBar;
  private stage: StagePlan | undefined;
  private done = 0;
  private running = 0;
  private readonly start = performance.now();

  constructor(
    private readonly space: SearchSpace,
    private readonly write: (text: string) => void,
    tty: boolean,
  ) {
    this.bar = new ProgressBar(write, tty);
  }

  stageStarted(plan: StagePlan, done: number): void {
    this.bar.clear();
    this.stage = plan;
    this.done = done;
    this.running = 0;
    const ranges = plan.ranges.map((r, k) => `${this.space.dimensions[k]!.name} ${r.kind === "choice" ? JSON.stringify(r.values) : `[${formatValue(r.lo)}, ${formatValue(r.hi)}]`}`);
    this.write(`stage ${plan.stage + 1}/${this.space.stages.length}: ${plan.trials} trials × ${plan.epochs} epoch${plan.epochs === 1 ? "" : "s"}${done ? ` (${done} finished before)` : ""}; ${ranges.join(", ")}\n`);
    this.draw();
  }

  trialStarted(): void {
    this.running++;
    this.draw();
  }

  trialFinished(result: TrialResult): void {
    this.running = Math.max(0, this.running - 1);
    this.done++;
    this.bar.clear();
    const values = this.space.dimensions.map((d) => `${d.name} ${formatValue(result.params[d.name]!)}`).join("  ");
    const outcome = result.metric === null ? `failed: ${result.failed}` : `${this.space.metric} ${metricText(result)}`;
    this.write(`  trial ${String(result.trial + 1).padStart(3)}  ${values}  ${outcome}  (${result.seconds.toFixed(1)} s)\n`);
    this.draw();
  }

  clear(): void {
    this.bar.clear();
  }

  private draw(): void {
    if (!this.stage) return;
    this.bar.update(this.done, this.stage.trials, `stage ${this.stage.stage + 1}: ${this.done}/${this.stage.trials} trials, ${this.running} running, ${clock((performance.now() - this.start) / 1000)}`);
  }
}
