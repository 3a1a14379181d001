// Compile-and-run for `dslc train`: generates the WGSL kernels for a program and runs them on WebGPU.
import { planKernels, type KernelPlan } from "../codegen/wgsl/plan.js";
import { defaultMatmulConfig } from "../codegen/wgsl/matmul.js";
import type { TrainOptions } from "../runtime/loop.js";
import { trainWithReport, type ReportOptions } from "../runtime/report/report.js";
import type { Program } from "../runtime/program.js";
import { trainingBatchSize } from "../runtime/data/pipeline.js";
import type { GpuContext } from "../runtime/webgpu/device.js";
import { matmulChooser, MatmulTuneCache, programMatmulShapes } from "../runtime/webgpu/matmul-tune.js";
import { trainOnWebGpu, withWebGpuBackend, type WebGpuDoneReport } from "../runtime/webgpu/train.js";

/** What the matmul tuner did for one run, for `--tune`'s note. */
export interface TuneSummary {
  adapter: string;
  shapes: number;
  /** Shapes decided by this run (`timed` of them by measuring, the rest too small to time) and found cached. */
  decided: number;
  timed: number;
  cached: number;
  seconds: number;
  file: string;
  saveError?: string;
}

export interface WebGpuRunOptions {
  adapter?: string;
  /** Measure the matmul configurations of shapes not in the cache yet (`dslc train --tune`). */
  tune?: boolean;
  onTune?: (summary: TuneSummary) => void;
}

/**
 * The plan, made once the device is known: each matmul gets this adapter's cached configuration (the
 * cache is always read; measured only with `tune`), else the shape's default.
 */
function tunedPlan(program: Program, device: WebGpuRunOptions): (gpu: GpuContext) => Promise<KernelPlan> {
  return async (gpu) => {
    const cache = new MatmulTuneCache();
    // Without tuning or a choice for this adapter there is nothing to look up: skip sizing the batch, which
    // loads the data set when the batch is `full`.
    if (!device.tune && !cache.knows(gpu.adapterName)) return planKernels(program, { matmul: (shape) => defaultMatmulConfig(shape, gpu.kind) });
    // An optimizer WebGPU lacks is refused before anything is measured.
    if (device.tune) planKernels(program);
    const shapes = programMatmulShapes(program.nodes);
    const tuned = await matmulChooser(gpu.device, gpu.adapterName, shapes, trainingBatchSize(program), cache, { tune: device.tune ?? false, kind: gpu.kind });
    if (device.tune) device.onTune?.({ adapter: gpu.adapterName, shapes: shapes.length, decided: tuned.decided, timed: tuned.timed, cached: tuned.cached, seconds: tuned.seconds, file: cache.file, saveError: tuned.saveError });
    return planKernels(program, { matmul: tuned.choose });
  };
}

export function trainWebGpu(program: Program, options: TrainOptions = {}, device: WebGpuRunOptions = {}, report?: ReportOptions): Promise<WebGpuDoneReport> {
  const where = { adapter: device.adapter };
  if (!report) return trainOnWebGpu(program, tunedPlan(program, device), options, where);
  // The report reads the final weights from the backend, so the run keeps hold of it until then.
  return withWebGpuBackend(program, tunedPlan(program, device), where, async (backend) => ({
    ...(await trainWithReport(program, backend, options, report)),
    dispatches_per_step: backend.dispatchesPerStep,
    peak_buffer_bytes: backend.bufferBytes,
  }));
}
