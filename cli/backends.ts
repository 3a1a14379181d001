// Compile-and-run for `dslc train`: generates the WGSL kernels for a program and runs them on WebGPU.
import { planKernels } from "../codegen/wgsl/plan.js";
import type { TrainOptions } from "../runtime/loop.js";
import { trainWithReport, type ReportOptions } from "../runtime/report/report.js";
import type { Program } from "../runtime/program.js";
import { trainOnWebGpu, withWebGpuBackend, type WebGpuDoneReport } from "../runtime/webgpu/train.js";

export function trainWebGpu(program: Program, options: TrainOptions = {}, device: { adapter?: string } = {}, report?: ReportOptions): Promise<WebGpuDoneReport> {
  if (!report) return trainOnWebGpu(program, planKernels(program), options, device);
  // The report reads the final weights from the backend, so the run keeps hold of it until then.
  return withWebGpuBackend(program, planKernels(program), device, async (backend) => ({
    ...(await trainWithReport(program, backend, options, report)),
    dispatches_per_step: backend.dispatchesPerStep,
    peak_buffer_bytes: backend.bufferBytes,
  }));
}
