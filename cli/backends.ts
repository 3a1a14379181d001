// Compile-and-run for `dslc train`: generates the WGSL kernels for a program and runs them on WebGPU.
import { planKernels } from "../codegen/wgsl/plan.js";
import type { TrainOptions } from "../runtime/loop.js";
import type { Program } from "../runtime/program.js";
import { trainOnWebGpu, type WebGpuDoneReport } from "../runtime/webgpu/train.js";

export function trainWebGpu(program: Program, options: TrainOptions = {}, device: { adapter?: string } = {}): Promise<WebGpuDoneReport> {
  return trainOnWebGpu(program, planKernels(program), options, device);
}
