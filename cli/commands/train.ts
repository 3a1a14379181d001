// `dslc train FILE`: compile and train in one go, printing one line per epoch (or JSON lines with --json).
import { compileProgram } from "../../compiler/compile.js";
import { renderDiagnostic, renderSummary } from "../../compiler/diagnostics/render.js";
import { DataError } from "../../runtime/data/sources.js";
import { TrainingAborted, trainCpu, type EpochReport } from "../../runtime/cpu/train.js";
import { NoAdapterError } from "../../runtime/webgpu/device.js";
import { trainWebGpu } from "../backends.js";
import { UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { readSource, UsageError, type CliIO } from "../io.js";
import type { ParsedArgs } from "../options.js";
import { ProgressBar } from "../progress.js";
import { useColor } from "./check.js";

function integerFlag(args: ParsedArgs, name: string, minimum: number): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new UsageError(`\`--${name}\` must be an integer ≥ ${minimum}, got \`${String(raw)}\``);
  return value;
}

function fmt(value: number | undefined, digits = 4): string {
  return value === undefined ? "—" : value.toFixed(digits);
}

export async function trainCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  if (args.positional.length > 1) throw new UsageError("`dslc train` trains one file at a time");
  // Default: WebGPU when an adapter exists (and supports everything the program needs), else the CPU.
  const backend = args.flags.get("backend");
  const json = args.flags.has("json");
  const epochs = integerFlag(args, "epochs", 1);
  const seed = integerFlag(args, "seed", 0);
  const text = readSource(file!);
  const compiled = compileProgram(text, file!, undefined, { epochs });
  const color = useColor(args, io);
  for (const d of compiled.diagnostics) io.stderr(renderDiagnostic(d, compiled.frontend.source, { color }) + "\n");
  if (!compiled.program) {
    io.stderr(renderSummary(file!, compiled.diagnostics, { color }) || `error: \`${file}\` has no \`train\` block to run\n`);
    return 1;
  }
  const progress = new ProgressBar(io.stderr, io.isTTY && !json);
  const onEpoch = (e: EpochReport) => {
    progress.clear();
    if (json) io.stdout(JSON.stringify({ event: "epoch", ...e }) + "\n");
    else {
      const acc = e.val_accuracy !== undefined ? `  val_acc ${fmt(e.val_accuracy * 100, 2)}%` : e.train_accuracy !== undefined ? `  train_acc ${fmt(e.train_accuracy * 100, 2)}%` : "";
      io.stdout(`epoch ${String(e.epoch).padStart(4)}  train_loss ${fmt(e.train_loss)}  val_loss ${fmt(e.val_loss)}${acc}  lr ${e.lr.toExponential(3)}\n`);
    }
  };
  try {
    const options = { epochs, seed, onEpoch, onStep: (s: number, total: number) => progress.update(s, total, `step ${s}/${total}`) };
    const adapter = args.flags.get("adapter");
    const onCpu = async () => ({ ...(await trainCpu(compiled.program!, options)), dispatches_per_step: null, peak_buffer_bytes: null });
    let done;
    if (backend === "cpu") done = await onCpu();
    else {
      try {
        done = await trainWebGpu(compiled.program, options, { adapter: typeof adapter === "string" ? adapter : undefined });
      } catch (error) {
        if (backend !== undefined || !(error instanceof NoAdapterError || error instanceof UnsupportedOnWebGpu)) throw error;
        io.stderr(`note: ${error.message}; training on the CPU reference backend instead (choose with --backend)\n`);
        done = await onCpu();
      }
    }
    progress.clear();
    const report = { event: "done", ...done };
    if (json) io.stdout(JSON.stringify(report) + "\n");
    else io.stdout(`done: ${done.steps} steps in ${done.seconds.toFixed(1)} s on the ${done.adapter}; train_loss ${fmt(done.train_loss)}${done.val_accuracy !== undefined ? `, val_accuracy ${fmt(done.val_accuracy * 100, 2)}%` : ""}\n`);
    return 0;
  } catch (error) {
    progress.clear();
    if (error instanceof TrainingAborted) {
      io.stderr(`error[E0701]: training stopped: ${error.message}\n  = help: ${error.help}\n`);
      if (json) io.stdout(JSON.stringify({ event: "aborted", epoch: error.epoch, reason: error.message }) + "\n");
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
    if (error instanceof DataError) {
      io.stderr(`error[E0502]: ${error.message}\n  = help: fix the data file, then run again\n`);
      return 1;
    }
    throw error;
  }
}
