// Training on WebGPU from generated kernels: acquire the device, run the shared loop, release the device.
import type { KernelPlan } from "../../codegen/wgsl/plan.js";
import { runTraining, type DoneReport, type TrainOptions } from "../loop.js";
import type { Program } from "../program.js";
import { trainingBatchSize } from "../data/pipeline.js";
import { acquireDevice } from "./device.js";
import { WebGpuBackend } from "./backend.js";

export interface WebGpuDoneReport extends DoneReport {
  dispatches_per_step: number;
  peak_buffer_bytes: number;
}

export async function trainOnWebGpu(program: Program, plan: KernelPlan, options: TrainOptions = {}, device: { adapter?: string } = {}): Promise<WebGpuDoneReport> {
  const gpu = await acquireDevice(device);
  const batch = trainingBatchSize(program);
  let backend: WebGpuBackend;
  try {
    backend = new WebGpuBackend(gpu, program, plan, program.loop.seed, batch);
  } catch (error) {
    gpu.destroy();
    throw error;
  }
  try {
    const done = await runTraining(program, backend, options);
    return { ...done, dispatches_per_step: backend.dispatchesPerStep, peak_buffer_bytes: backend.bufferBytes };
  } finally {
    backend.destroy();
  }
}
