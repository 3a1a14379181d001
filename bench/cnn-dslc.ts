// dslc on WebGPU running the CNN benchmark (bench/cnn-spec.ts), as runners for bench/timing.ts: the training
// step the trainer runs, and the forward convolution alone.
import { planKernels } from "../codegen/wgsl/plan.js";
import type { Dispatch } from "../codegen/wgsl/kernels.js";
import { compileProgram } from "../compiler/compile.js";
import type { DataSpec, Program } from "../runtime/program.js";
import type { Dataset } from "../runtime/data/sources.js";
import { prepareData, gather } from "../runtime/data/pipeline.js";
import type { GpuContext } from "../runtime/webgpu/device.js";
import { WebGpuBackend } from "../runtime/webgpu/backend.js";
import { workgroupCount } from "../runtime/webgpu/dispatch.js";
import { BATCH, CONV, CONV_FLOPS, LR, MOMENTUM } from "./cnn-spec.js";
import type { Runner } from "./timing.js";

/** The benchmark's CNN in dslc; the input is flat so that the synthetic `blobs` data can feed it. */
export const CNN_SOURCE = `model BenchCnn(x: f32[N, 784]) -> f32[N, 10] {
  h = x |> reshape([1, 28, 28]) |> conv2d(32, kernel: 3, padding: 1) |> relu |> maxpool(2)
  h = h |> conv2d(64, kernel: 3, padding: 1) |> relu |> maxpool(2)
  return h |> flatten |> dense(128) |> relu |> dense(10)
}

train {
  data = blobs(n: ${BATCH * 4}, classes: 10, features: 784)
  loss = cross_entropy()
  optimizer = sgd(lr: ${LR}, momentum: ${MOMENTUM})
  epochs 1
  batch ${BATCH}
}
`;

const CONV_FEATURES = CONV.inChannels * CONV.size * CONV.size;

/** One convolution and a small head, only because a program needs a loss; only the conv's kernels are timed. */
export const CONV_SOURCE = `model BenchConv(x: f32[N, ${CONV_FEATURES}]) -> f32[N, 10] {
  h = x |> reshape([${CONV.inChannels}, ${CONV.size}, ${CONV.size}])
  return h |> conv2d(${CONV.outChannels}, kernel: ${CONV.kernel}, padding: ${CONV.padding}) |> flatten |> dense(10)
}

train {
  data = blobs(n: ${CONV.batch}, classes: 10, features: ${CONV_FEATURES})
  loss = cross_entropy()
  optimizer = sgd(lr: 0.01)
  epochs 1
  batch ${CONV.batch}
}
`;

export class NotCompiled extends Error {}

function compile(source: string, path: string): Program {
  const result = compileProgram(source, path);
  if (!result.program) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
    throw new NotCompiled([...new Set(errors)].join("; "));
  }
  return result.program;
}

/** A runner for the timing loop, with what the report says about it, and a way to free the device. */
export interface DslcRunner extends Runner {
  dispose(): void;
}

export interface DslcTraining extends DslcRunner {
  dispatches: number;
  /** Loss of the first step, and mean loss over the last run: proof that the steps trained something. */
  firstLoss: number;
  lastLoss: number;
}

/** The training step the trainer runs: the compiled program's kernel plan, one submit per step. */
export async function dslcTraining(gpu: GpuContext, source = CNN_SOURCE): Promise<DslcTraining> {
  const program = compile(source, "bench_cnn.dl");
  const backend = new WebGpuBackend(gpu, program, planKernels(program), 0, BATCH);
  const data = prepareData(program.data as DataSpec, 0).train;
  const batch = gather(data, Uint32Array.from({ length: BATCH }, (_, i) => i));
  let step = 0;
  const firstLoss = (await backend.step(batch, step++, { lr: LR }, { probe: false }))!.loss;
  await backend.takeEpochSums();
  const runner: DslcTraining = {
    units: BATCH,
    run: async (times) => {
      for (let i = 0; i < times; i++) backend.step(batch, step++, { lr: LR });
      // A readback waits for every submitted step, and fails loudly if Dawn reported a validation error.
      const sums = await backend.takeEpochSums();
      if (times > 0) runner.lastLoss = sums.lossSum / (times * BATCH);
    },
    dispatches: backend.dispatchesPerStep,
    firstLoss,
    lastLoss: firstLoss,
    dispose: () => backend.destroy(),
  };
  return runner;
}

interface Compiled {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dispatch: Dispatch;
}

export interface DslcConv extends DslcRunner {
  /** The kernels timed, by label. */
  kernels: string[];
}

/** The forward convolution alone: the kernels of an evaluation pass that compute it (bias fused), no more. */
export async function dslcConv(gpu: GpuContext, source = CONV_SOURCE): Promise<DslcConv> {
  const program = compile(source, "bench_conv.dl");
  const plan = planKernels(program);
  const backend = new WebGpuBackend(gpu, program, plan, 0, CONV.batch);
  const x = Float32Array.from({ length: CONV.batch * CONV_FEATURES }, () => Math.random() * 2 - 1);
  const y = Float32Array.from({ length: CONV.batch }, (_, i) => i % 10);
  const data: Dataset = { x, y, count: CONV.batch, features: CONV_FEATURES, targets: 1 };
  // Compiles the evaluation pipelines, uploads the input and leaves globals.batch at the batch size.
  await backend.evaluate(data);
  // The backend keeps its compiled pipelines to itself; the bench reaches them so that it times the very
  // kernels (and bindings) an evaluation pass runs, without the head, the loss and the metrics.
  const compiled = (backend as unknown as { evaluation: Compiled[] }).evaluation;
  const picked = plan.eval.kernels.map((k, i) => ({ label: k.label, kernel: compiled[i]! })).filter((k) => /conv|im2col/i.test(k.label));
  if (picked.length === 0) {
    backend.destroy();
    throw new Error(`no convolution kernel found in the evaluation plan (${plan.eval.kernels.map((k) => k.label).join(", ")})`);
  }
  const device = gpu.device;
  return {
    units: CONV_FLOPS / 1e9,
    run: async (times) => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let t = 0; t < times; t++) {
        for (const { kernel } of picked) {
          pass.setPipeline(kernel.pipeline);
          pass.setBindGroup(0, kernel.bindGroup);
          pass.dispatchWorkgroups(...workgroupCount(kernel.dispatch, CONV.batch));
        }
      }
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    },
    kernels: picked.map((k) => k.label),
    dispose: () => backend.destroy(),
  };
}
