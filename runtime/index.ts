// The runtime's public API, which emitted trainers import as "dslc/runtime": load a compiled model (its
// manifest and WGSL kernels) and train it on WebGPU or on the CPU reference backend.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { KernelPlan } from "../codegen/wgsl/plan.js";
import { cpuBackend, trainCpu } from "./cpu/train.js";
import type { DoneReport, EpochReport, TrainOptions } from "./loop.js";
import type { Program } from "./program.js";
import { trainWithReport } from "./report/report.js";
import { trainOnWebGpu, withWebGpuBackend } from "./webgpu/train.js";

export type { DoneReport, EpochReport, TrainOptions } from "./loop.js";
export { TrainingAborted } from "./loop.js";
export { NoAdapterError } from "./webgpu/device.js";
// The emitted train.mts picks its default backend with the rule `dslc train` uses.
export { type BackendChoice, CPU_BELOW_FLOPS, defaultBackend, stepFlops } from "./backend-choice.js";
export { BudgetExceeded, type BudgetProblem } from "./webgpu/budget.js";
// Exported models (`dslc export`): what predict.mts calls.
export { loadModel, type LoadModelOptions, type Model } from "./inference/model.js";
export { readExamples, type Examples } from "./inference/examples.js";
export { describeFailure, InferenceError } from "./inference/errors.js";
export type { Classification } from "./inference/predictions.js";
export type { InferenceBundle } from "./inference/bundle.js";
export type { InferenceProgram, PredictionRule } from "./inference/types.js";

/** What `dslc FILE -o DIR` writes to DIR/manifest.json; kernels refer to files under DIR/kernels/. */
export interface Manifest {
  dslc: string;
  model: string;
  program: Program;
  /**
   * `augment` holds the kernels augmenting training batches on the device (run first in each step) when the
   * data has augmentations; `probe` those of the update/weight probe when `monitor` asks for it.
   */
  modes: Record<"train" | "eval", ManifestMode> & { augment?: ManifestMode; probe?: ManifestMode };
  /** The flat parameter buffers: floats per chunk, and [parameter node, chunk, offset]. */
  layout: { chunks: number[]; place: [number, number, number][] };
  buffers: { node: number | string; name?: string; shape: (number | "N")[] }[];
}

export interface ManifestMode {
  kernels: { label: string; file: string; bindings: KernelPlan["train"]["kernels"][number]["bindings"]; dispatch: KernelPlan["train"]["kernels"][number]["dispatch"] }[];
  aliases: [number, number][];
}

export interface CompiledModel {
  manifest: Manifest;
  plan: KernelPlan;
}

/** Reads DIR/manifest.json and the WGSL files it lists. `dir` may be a path or a file: URL. */
export function loadCompiled(dir: string | URL): CompiledModel {
  const root = typeof dir === "string" ? dir : fileURLToPath(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "manifest.json"), "utf8")) as Manifest;
  const mode = (saved: ManifestMode) => ({
    kernels: saved.kernels.map((k) => ({ ...k, code: fs.readFileSync(path.join(root, k.file), "utf8") })),
    aliases: new Map(saved.aliases),
  });
  const layout = { chunks: manifest.layout.chunks, place: new Map(manifest.layout.place.map(([node, chunk, offset]) => [node, { chunk, offset }])) };
  const probe = manifest.modes.probe && mode(manifest.modes.probe).kernels;
  const augment = manifest.modes.augment && mode(manifest.modes.augment).kernels;
  return { manifest, plan: { train: mode(manifest.modes.train), eval: mode(manifest.modes.eval), augment, probe, layout } };
}

export interface RunOptions extends TrainOptions {
  backend?: "webgpu" | "cpu";
  /** With the WebGPU backend: an adapter whose name contains this. */
  adapter?: string;
  /** Write the HTML training report here (also when training aborts); default: the `report` directive's path, if any. */
  report?: string;
}

export function trainCompiled(compiled: CompiledModel, options: RunOptions = {}): Promise<DoneReport> {
  const { program } = compiled.manifest;
  const reportPath = options.report ?? program.loop.report?.path;
  if (reportPath !== undefined) {
    const report = { path: reportPath };
    if (options.backend === "cpu") return trainWithReport(program, cpuBackend(program), options, report);
    return withWebGpuBackend(program, compiled.plan, { adapter: options.adapter }, async (backend) => ({
      ...(await trainWithReport(program, backend, options, report)),
      dispatches_per_step: backend.dispatchesPerStep,
      peak_buffer_bytes: backend.bufferBytes,
    }));
  }
  if (options.backend === "cpu") return trainCpu(program, options);
  return trainOnWebGpu(program, compiled.plan, options, { adapter: options.adapter });
}

export function describeEpoch(e: EpochReport): string {
  const accuracy = e.val_accuracy ?? e.train_accuracy;
  return `epoch ${e.epoch}: train loss ${e.train_loss.toFixed(4)}${e.val_loss !== undefined ? `, val loss ${e.val_loss.toFixed(4)}` : ""}${accuracy !== undefined ? `, accuracy ${(accuracy * 100).toFixed(2)}%` : ""}, lr ${e.lr.toExponential(3)}`;
}
