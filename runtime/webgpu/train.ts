// Training on WebGPU from generated kernels: acquire the device, run the shared loop, release the device.
import type { KernelPlan } from "../../codegen/wgsl/plan.js";
import { runTraining, type DoneReport, type TrainOptions } from "../loop.js";
import type { Program } from "../program.js";
import { trainingBatchSize } from "../data/pipeline.js";
import { acquireDevice, type GpuContext } from "./device.js";
import { WebGpuBackend } from "./backend.js";

export interface WebGpuDoneReport extends DoneReport {
  dispatches_per_step: number;
  peak_buffer_bytes: number;
}

/** A plan, or how to make one once the device is known (a tuned matmul chooser needs the adapter). */
export type PlanSource = KernelPlan | ((gpu: GpuContext) => KernelPlan | Promise<KernelPlan>);

export function trainOnWebGpu(program: Program, plan: PlanSource, options: TrainOptions = {}, device: { adapter?: string } = {}): Promise<WebGpuDoneReport> {
  return withWebGpuBackend(program, plan, device, async (backend) => {
    const done = await runTraining(program, backend, options);
    return { ...done, dispatches_per_step: backend.dispatchesPerStep, peak_buffer_bytes: backend.bufferBytes };
  });
}

/** Runs `use` with a backend for `program` on a device of its own, released afterwards whatever happens. */
export async function withWebGpuBackend<T>(program: Program, plan: PlanSource, device: { adapter?: string }, use: (backend: WebGpuBackend) => Promise<T>): Promise<T> {
  const gpu = await acquireDevice(device);
  let backend: WebGpuBackend;
  try {
    const kernels = typeof plan === "function" ? await plan(gpu) : plan;
    backend = new WebGpuBackend(gpu, program, kernels, program.loop.seed, trainingBatchSize(program));
  } catch (error) {
    gpu.destroy();
    throw error;
  }
  try {
    return await use(backend);
  } finally {
    backend.destroy();
  }
}
