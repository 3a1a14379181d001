// `dslc train FILE`: compile and train in one go, printing one line per epoch (or JSON lines with --json).
import * as os from "node:os";
import * as path from "node:path";
import { compileToRun } from "../compile-to-run.js";
import { renderDiagnostics } from "../../compiler/diagnostics/render.js";
import { useColor } from "./check.js";
import { cpuBackend, TrainingAborted, trainCpu } from "../../runtime/cpu/train.js";
import { trainWithReport, type ReportOptions } from "../../runtime/report/report.js";
import type { DoneReport, EpochReport, EvalReport, LogReport, OverfitResult, TrainingWarning } from "../../runtime/loop.js";
import type { Metric } from "../../runtime/program.js";
import { NoAdapterError } from "../../runtime/webgpu/device.js";
import { BudgetExceeded } from "../../runtime/webgpu/budget.js";
import { budgetDiagnostics } from "../budget.js";
import { trainWebGpu, type TuneSummary } from "../backends.js";
import { defaultBackend } from "../backend-choice.js";
import { UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { UsageError, type CliIO } from "../io.js";
import { integerFlag, type ParsedArgs } from "../options.js";
import { EpochProgress, ProgressBar } from "../progress.js";
import { setFlags } from "../set-flag.js";
import { CheckpointError } from "../../runtime/checkpoint/errors.js";
import { EnsembleInterrupted, runEnsemble } from "./train-ensemble.js";
import { MemberFailed } from "../../runtime/ensemble/train.js";

function fmt(value: number | undefined, digits = 4): string {
  return value === undefined ? "—" : value.toFixed(digits);
}

function percent(value: number | undefined): string {
  return value === undefined ? "—" : `${(value * 100).toFixed(2)}%`;
}

/** One column of the epoch line for a monitored metric (lr is always the last column). */
function column(e: EpochReport, metric: Metric): string | undefined {
  switch (metric) {
    case "train_loss":
    case "val_loss":
      return `${metric} ${fmt(e[metric])}`;
    case "train_accuracy":
    case "val_accuracy":
      return `${metric.replace("accuracy", "acc")} ${percent(e[metric])}`;
    case "train_top5":
    case "val_top5":
      return `${metric} ${percent(e[metric])}`;
    case "update_ratio": {
      const ratios = Object.values(e.update_ratio ?? {});
      // The notes' rule of thumb: about 1e-3; the range over parameter tensors shows the outliers.
      return `update/weight ${ratios.length ? `${Math.min(...ratios).toExponential(1)}…${Math.max(...ratios).toExponential(1)}` : "—"}`;
    }
    case "grad_norm":
      return `grad_norm ${e.grad_norm === undefined ? "—" : e.grad_norm.toPrecision(3)}`;
    case "lr":
      return undefined;
  }
}

/** The monitored metrics of an epoch, for `--json` (the epoch, step and lr always). */
function monitored(e: EpochReport, metrics: Metric[]): Record<string, unknown> {
  const picked: Record<string, unknown> = { epoch: e.epoch, step: e.step };
  for (const metric of metrics) picked[metric] = e[metric] ?? null;
  picked["lr"] = e.lr;
  return picked;
}

export async function trainCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  if (args.positional.length > 1) throw new UsageError("`dslc train` trains one file at a time");
  // Default: WebGPU when an adapter exists (and supports everything the program needs), else the CPU; a model
  // below cli/backend-choice.ts's size trains on the CPU, with a note.
  const backend = args.flags.get("backend");
  const json = args.flags.has("json");
  const epochs = integerFlag(args, "epochs", 1);
  const seed = integerFlag(args, "seed", 0);
  const overfit = integerFlag(args, "overfit", 1);
  // The checker elaborates the file with these, so the schedule's horizon and the lints follow them.
  const overrides = { epochs, seed, overfit, lets: setFlags(args) };
  const compiled = compileToRun(file!, overrides, args, io);
  if (!compiled) return 1;
  // The search is `dslc search`'s: said every time, so a file trained once is never mistaken for a searched one.
  if (compiled.frontend.check.search) io.stderr(`note: the \`search\` block is not run by \`dslc train\`: training once with the \`let\` values${args.repeated?.get("set")?.length ? " (and --set)" : ""}; \`dslc search ${file}\` runs the search\n`);
  const { program } = compiled;
  if (program.overfit) {
    const off = program.overfit.turnedOff;
    io.stderr(`note: overfit mode: training on the first ${program.overfit.examples} examples${off.length ? ` with ${off.join(", ")} turned off` : " (no regularization to turn off)"}\n`);
  }
  const metrics = program.loop.monitor;
  // --report (relative to the current folder) replaces the directive's path (relative to the .dl file).
  const reportFlag = args.flags.get("report");
  const reportPath = typeof reportFlag === "string" ? path.resolve(reportFlag) : program.loop.report?.path;
  const report: ReportOptions | undefined = reportPath === undefined ? undefined : { path: reportPath, diagnostics: compiled.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, help: d.help })) };
  const progress = new ProgressBar(io.stderr, io.isTTY && !json);
  const stepsPerEpoch = compiled.frontend.check.train?.stepsPerEpoch ?? program.loop.steps;
  const epochBar = new EpochProgress(progress, stepsPerEpoch, Math.ceil(program.loop.steps / stepsPerEpoch));
  let lastLoss: number | undefined;
  const onEpoch = (e: EpochReport) => {
    progress.clear();
    if (json) io.stdout(JSON.stringify({ event: "epoch", ...monitored(e, metrics) }) + "\n");
    else io.stdout(`epoch ${String(e.epoch).padStart(4)}  ${metrics.flatMap((m) => column(e, m) ?? []).join("  ")}  lr ${e.lr.toExponential(3)}\n`);
  };
  const onLog = (e: LogReport) => {
    lastLoss = e.loss;
    if (json) io.stdout(JSON.stringify({ event: "log", ...e }) + "\n");
  };
  // Evaluations at a step cadence (`eval_every 100 steps`) happen inside epochs: report them on their own.
  const onEvaluate = (e: EvalReport) => {
    if (program.loop.evalEvery.unit !== "steps") return;
    progress.clear();
    if (json) io.stdout(JSON.stringify({ event: "eval", ...e }) + "\n");
    else io.stdout(`eval at step ${e.step}  val_loss ${fmt(e.val_loss)}${e.val_accuracy !== undefined ? `  val_acc ${percent(e.val_accuracy)}` : ""}\n`);
  };
  const onWarning = (w: TrainingWarning) => {
    progress.clear();
    io.stderr(`warning[${w.code}]: ${w.message}\n  = help: ${w.help}\n`);
    if (json) io.stdout(JSON.stringify({ event: "warning", code: w.code, message: w.message }) + "\n");
  };
  const resumeFlag = args.flags.get("resume");
  const resume = typeof resumeFlag === "string" ? path.resolve(resumeFlag) : undefined;
  const onCheckpoint = (dir: string, step: number) => {
    if (json) io.stdout(JSON.stringify({ event: "checkpoint", step, path: dir }) + "\n");
  };
  // With checkpoints on, Ctrl-C stops at the next step boundary after writing one; a second Ctrl-C exits at once.
  let interrupt = false;
  const onSigint = () => {
    if (interrupt) process.exit(130);
    interrupt = true;
  };
  if (program.loop.checkpoint) process.on("SIGINT", onSigint);
  // Never accepted and ignored: only an independent ensemble's members train in parallel.
  if (args.flags.has("workers") && program.ensemble?.kind !== "independent") {
    throw new UsageError(`\`--workers\` sets how many members of an independent ensemble train at once, and ${program.ensemble ? "a snapshot ensemble is one run" : "this file trains one model"}; leave it out`);
  }
  // Never accepted and ignored: the tuner measures WebGPU kernels, and an ensemble's members plan their own.
  const tune = args.flags.has("tune");
  if (tune && backend === "cpu") throw new UsageError("`--tune` measures the WebGPU matmul kernels, and `--backend cpu` runs none; leave out one of them");
  if (tune && program.ensemble) throw new UsageError("`--tune` does not apply to an ensemble yet: its members train with the default matmul configurations; leave it out");
  try {
    const options = { onEpoch, onLog, onEvaluate, onWarning, onCheckpoint, resume, sourceFile: path.resolve(file!), interrupted: () => interrupt, onStep: (s: number) => epochBar.step(s, lastLoss) };
    const adapter = args.flags.get("adapter");
    if (program.ensemble) {
      // Snapshots kept before an interruption, or other members' runs, are not in a checkpoint.
      if (resume !== undefined) throw new UsageError("`--resume` cannot continue an ensemble yet: train it again without `--resume`");
      // Independent members train in worker processes, as many at once as there are cores (--workers 1: one after another here).
      const members = program.ensemble.kind === "independent" ? program.ensemble.members : 1;
      const workers = Math.min(integerFlag(args, "workers", 1, 256) ?? os.availableParallelism(), members);
      const ensembleRun = { file: file!, options, backend: typeof backend === "string" ? backend : undefined, adapter: typeof adapter === "string" ? adapter : undefined, report, json, io, clear: () => progress.clear() };
      const { done: last } = await runEnsemble(program, { ...ensembleRun, text: compiled.frontend.source.text, overrides, workers });
      if (last.interrupted) {
        io.stderr(`note: interrupted after step ${last.interrupted.step}; the ensemble was not completed\n`);
        if (json) io.stdout(JSON.stringify({ event: "interrupted", step: last.interrupted.step, checkpoint: last.interrupted.checkpoint ?? null }) + "\n");
        return 130;
      }
      if (json) io.stdout(JSON.stringify({ event: "done", ...last }) + "\n");
      else io.stdout(doneLine(last));
      if (report) reportWritten(report.path, json, io);
      return 0;
    }
    const onCpu = async () => ({ ...(await (report ? trainWithReport(program, cpuBackend(program), options, report) : trainCpu(program, options))), dispatches_per_step: null, peak_buffer_bytes: null });
    let done;
    // Without --backend or --adapter, a model too small for the device to win trains on the CPU, said in a note.
    const choice = backend === undefined && adapter === undefined && !tune ? defaultBackend(program) : undefined;
    if (choice?.note) io.stderr(`note: ${choice.note}\n`);
    if (backend === "cpu" || choice?.backend === "cpu") done = await onCpu();
    else {
      try {
        done = await trainWebGpu(program, options, { adapter: typeof adapter === "string" ? adapter : undefined, tune, onTune: (t) => io.stderr(tuneNote(t)) }, report);
      } catch (error) {
        // With --tune, falling back to the CPU would drop the flag unsaid: the error is reported instead.
        if (backend !== undefined || tune || !(error instanceof NoAdapterError || error instanceof UnsupportedOnWebGpu)) throw error;
        io.stderr(`note: ${error.message}; training on the CPU reference backend instead (choose with --backend)\n`);
        done = await onCpu();
      }
    }
    progress.clear();
    if (done.interrupted) {
      const { step, checkpoint } = done.interrupted;
      if (json) io.stdout(JSON.stringify({ event: "interrupted", step, checkpoint: checkpoint ?? null }) + "\n");
      io.stderr(`note: interrupted after step ${step}${checkpoint ? `; checkpoint written to ${checkpoint}; continue with \`dslc train ${file} --resume ${checkpoint}\`` : ""}\n`);
      return 130;
    }
    if (done.resumed_from && !json) io.stderr(`note: resumed from ${done.resumed_from}\n`);
    const doneEvent = { event: "done", ...done };
    if (json) io.stdout(JSON.stringify(doneEvent) + "\n");
    else io.stdout(doneLine(done) + (done.overfit ? overfitLine(done.overfit) : ""));
    if (report) reportWritten(report.path, json, io);
    return 0;
  } catch (error) {
    progress.clear();
    if (error instanceof EnsembleInterrupted) {
      io.stderr("note: interrupted; the members' worker processes were stopped and the ensemble was not completed\n");
      if (json) io.stdout(JSON.stringify({ event: "interrupted", step: null, checkpoint: null }) + "\n");
      return 130;
    }
    if (error instanceof MemberFailed) {
      io.stderr(`error: ${error.message}\n  = help: train with \`--workers 1\` to run the members one after another in this process, which shows each member's epochs and needs less memory\n`);
      if (json) io.stdout(JSON.stringify({ event: "aborted", code: null, member: error.member + 1, reason: error.message }) + "\n");
      return 1;
    }
    if (error instanceof TrainingAborted) {
      io.stderr(`error[${error.code}]: training stopped: ${error.message}\n  = help: ${error.help}\n`);
      if (json) io.stdout(JSON.stringify({ event: "aborted", code: error.code, epoch: error.epoch, step: error.step, reason: error.message }) + "\n");
      // trainWithReport wrote the report (with the abort reason) before passing the error on; an ensemble
      // writes its report only once every member has finished.
      if (report && !program.ensemble) reportWritten(report.path, json, io);
      return 1;
    }
    if (error instanceof BudgetExceeded) {
      const color = useColor(args, io);
      io.stderr(renderDiagnostics(budgetDiagnostics(error.problems, compiled), compiled.frontend.source, { color }));
      io.stderr("note: nothing was allocated; `dslc check --memory` reports what the model needs, and `--backend cpu` has no such limits\n");
      return 1;
    }
    if (error instanceof NoAdapterError) {
      io.stderr(`error[E0702]: ${error.message}\n  = help: ${error.help}\n`);
      return 1;
    }
    if (error instanceof UnsupportedOnWebGpu) {
      io.stderr(`error[E0601]: ${error.message}\n  = help: train with \`--backend cpu\`, which supports it\n`);
      return 1;
    }
    if (error instanceof CheckpointError) {
      io.stderr(`error[${error.code}]: ${error.message}\n  = help: ${error.help}\n`);
      return 1;
    }
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function tuneNote(t: TuneSummary): string {
  if (t.shapes === 0) return "note: --tune: this model has no matmul to tune\n";
  const shapes = (n: number) => `${n} matmul shape${n === 1 ? "" : "s"}`;
  if (t.decided === 0) return `note: --tune: nothing measured: ${t.cached === t.shapes ? `the ${shapes(t.shapes)} of this model were` : `${t.cached} of the ${shapes(t.shapes)} of this model were`} already tuned on ${t.adapter} (cached in ${t.file})\n`;
  const small = t.decided - t.timed;
  const detail = [small > 0 ? `${small} too small to time: the default kept` : "", t.saveError ? "" : `cached in ${t.file}`].filter(Boolean).join("; ");
  const unsaved = t.saveError ? `; the choices apply to this run but could not be cached: ${t.saveError}` : "";
  return `note: tuned ${shapes(t.decided)} on ${t.adapter} in ${t.seconds.toFixed(1)} s${detail ? ` (${detail})` : ""}${unsaved}\n`;
}

function reportWritten(file: string, json: boolean, io: CliIO): void {
  if (json) io.stdout(JSON.stringify({ event: "report", path: file }) + "\n");
  else io.stderr(`note: report written to ${file}\n`);
}

function doneLine(done: DoneReport): string {
  const parts = [`train_loss ${fmt(done.train_loss)}`];
  if (done.val_accuracy !== undefined) parts.push(`val_accuracy ${percent(done.val_accuracy)}`);
  else if (done.val_loss !== undefined) parts.push(`val_loss ${fmt(done.val_loss)}`);
  if (done.test_loss !== undefined) parts.push(`test_loss ${fmt(done.test_loss)}`);
  if (done.test_accuracy !== undefined) parts.push(`test_accuracy ${percent(done.test_accuracy)}`);
  const stopped = done.stopped_early ? `; stopped early after epoch ${done.stopped_early.epoch}${done.stopped_early.restored_epoch ? `, weights of epoch ${done.stopped_early.restored_epoch} restored` : ""}` : "";
  return `done: ${done.steps} steps in ${done.seconds.toFixed(1)} s on the ${done.adapter}; ${parts.join(", ")}${stopped}\n`;
}

/** The verdict of `overfit` mode, in the notes' words: a model that cannot fit 100 examples will not learn. */
function overfitLine(result: OverfitResult): string {
  const measured = result.train_accuracy !== undefined ? `${percent(result.train_accuracy)} training accuracy` : `training loss ${fmt(result.train_loss)}`;
  return result.fitted
    ? `overfit check passed: ${measured} on ${result.examples} examples; the model and the optimization can fit the data, so remove \`overfit\` and train on all of it\n`
    : `overfit check failed: only ${measured} on ${result.examples} examples; a model that cannot fit a handful of examples will not learn from all of them: check the learning rate (try 10× higher and lower), that the loss matches the labels, and the data pipeline\n`;
}
