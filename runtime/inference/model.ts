// An exported model ready to predict: what predict.mts calls (through "dslc/runtime"). The same bundle runs on
// WebGPU (its generated kernels) or on the CPU reference interpreter, and both give the same numbers within
// float32 rounding.
import { acquireDevice } from "../webgpu/device.js";
import { loadBundle, type LoadedBundle } from "./bundle.js";
import { CpuInference } from "./cpu.js";
import { classify, applyPrediction, type Classification } from "./predictions.js";
import type { InferenceProgram } from "./types.js";
import { DEFAULT_MAX_BATCH, WebGpuInference } from "./webgpu.js";

export interface LoadModelOptions {
  backend?: "webgpu" | "cpu";
  /** With WebGPU: an adapter whose name contains this (e.g. "llvmpipe"). */
  adapter?: string;
  /** With WebGPU: the most examples one dispatch sequence runs; larger inputs run in slices of it. */
  maxBatch?: number;
}

export interface Model {
  readonly program: InferenceProgram;
  readonly backend: "webgpu" | "cpu";
  /** The adapter's name on WebGPU, "CPU reference" on the CPU. */
  readonly device: string;
  /** Values per example of the input ([C, H, W] flattened row-major) and of the output. */
  readonly inputSize: number;
  readonly outputSize: number;
  /** The model's raw outputs for `n` examples (`batch`: n × inputSize values). */
  predict(batch: Float32Array, n: number): Promise<Float32Array>;
  /** The prediction rule applied: class probabilities (or values, for regression). */
  probabilities(batch: Float32Array, n: number): Promise<Float32Array>;
  /** Each example's most probable class, with the probabilities. */
  classify(batch: Float32Array, n: number): Promise<Classification>;
  /** Releases the device (the process may not exit while a WebGPU device is held). */
  close(): void;
}

/** Loads DIR (a path or a file: URL) as `dslc export -o DIR` wrote it. */
export async function loadModel(dir: string | URL, options: LoadModelOptions = {}): Promise<Model> {
  return modelOf(loadBundle(dir), options);
}

export async function modelOf(loaded: LoadedBundle, options: LoadModelOptions = {}): Promise<Model> {
  const { program } = loaded.bundle;
  const backend = options.backend ?? "webgpu";
  let run: (batch: Float32Array, n: number) => Promise<Float32Array>;
  let close = () => {};
  let device = "CPU reference";
  if (backend === "cpu") {
    const cpu = new CpuInference(program, loaded.weights);
    run = async (batch, n) => cpu.run(batch, n);
  } else {
    const kernels = loaded.bundle.kernels.map((k, i) => ({ ...k, code: loaded.code[i]! }));
    const gpu = await acquireDevice({ adapter: options.adapter });
    let webgpu: WebGpuInference;
    try {
      webgpu = new WebGpuInference(gpu, { program, kernels, aliases: new Map(loaded.bundle.aliases) }, loaded.weights, options.maxBatch ?? DEFAULT_MAX_BATCH);
    } catch (error) {
      gpu.destroy();
      throw error;
    }
    run = (batch, n) => webgpu.run(batch, n);
    close = () => webgpu.destroy();
    device = webgpu.adapter;
  }
  const inputSize = program.inputShape.reduce((a, d) => a * d, 1);
  const outputSize = program.outputShape.reduce((a, d) => a * d, 1);
  return {
    program,
    backend,
    device,
    inputSize,
    outputSize,
    predict: run,
    probabilities: async (batch, n) => applyPrediction(program.prediction, await run(batch, n), outputSize),
    classify: async (batch, n) => classify(program.prediction, await run(batch, n), outputSize),
    close,
  };
}
