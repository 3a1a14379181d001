// TensorFlow.js 4.22 running the CNN benchmark (bench/cnn-spec.ts), on WebGPU (Dawn through npm `webgpu`,
// the adapter dslc uses) or on WASM (XNNPACK). Layers are channels-last (NHWC), TensorFlow.js's native
// layout: channels-first conv2d is not what its kernels are tuned for, and the benchmark compares each
// implementation at its best on the same model, not the same memory layout.
import type * as TF from "@tensorflow/tfjs";
import { BATCH, CONV, CONV_FLOPS, LR, MOMENTUM } from "./cnn-spec.js";
import type { Runner } from "./timing.js";

type Tf = typeof TF;

async function loadBackend(tf: Tf, backend: "webgpu" | "wasm"): Promise<string | undefined> {
  if (backend === "webgpu") {
    const { create, globals } = (await import("webgpu")) as unknown as { create: (flags: string[]) => GPU; globals: object };
    Object.assign(globalThis, globals);
    // A Dawn instance of its own, kept reachable for the whole run (see runtime/webgpu/device.ts).
    (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
    const adapter = await (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) return "no WebGPU adapter on this machine";
    await import("@tensorflow/tfjs-backend-webgpu");
  } else {
    await import("@tensorflow/tfjs-backend-wasm");
  }
  // setBackend resolves to false (after logging) when the backend fails to initialize.
  if (!(await tf.setBackend(backend))) return `TensorFlow.js could not initialize its ${backend} backend`;
  await tf.ready();
  return undefined;
}

function buildModel(tf: Tf): TF.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu" }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

export interface TfjsRunner extends Runner {
  dispose(): void;
}

export interface TfjsSession {
  /** What the report should say about the backend's configuration. */
  note: string;
  training(): TfjsRunner;
  conv(): TfjsRunner;
}

/** TensorFlow.js on `backend`, or why it cannot run here. One backend at a time: TensorFlow.js has one active. */
export async function tfjsSession(backend: "webgpu" | "wasm"): Promise<TfjsSession | { skipped: string }> {
  const tf = await import("@tensorflow/tfjs");
  let why: string | undefined;
  try {
    why = await loadBackend(tf, backend);
  } catch (error) {
    why = `TensorFlow.js ${backend} failed to load: ${(error as Error).message}`;
  }
  if (why) return { skipped: why };
  let note = "";
  if (backend === "wasm") {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    note = `SIMD ${simd ? "on" : "off"}, ${threads ? "multi-threaded" : "one thread"}`;
  }
  return { note, training: () => training(tf), conv: () => conv(tf) };
}

function training(tf: Tf): TfjsRunner {
  const model = buildModel(tf);
  const optimizer = tf.train.momentum(LR, MOMENTUM);
  const x = tf.randomNormal([BATCH, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), "int32"), 10);
  const step = () => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as TF.Tensor), true)!;
  return {
    units: BATCH,
    run: async (times) => {
      let loss: TF.Scalar | undefined;
      for (let i = 0; i < times; i++) {
        loss?.dispose();
        loss = step();
      }
      if (loss) {
        await loss.data();
        loss.dispose();
      }
    },
    dispose: () => {
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
    },
  };
}

function conv(tf: Tf): TfjsRunner {
  const input = tf.randomNormal([CONV.batch, CONV.size, CONV.size, CONV.inChannels]) as TF.Tensor4D;
  const filter = tf.randomNormal([CONV.kernel, CONV.kernel, CONV.inChannels, CONV.outChannels]) as TF.Tensor4D;
  return {
    units: CONV_FLOPS / 1e9,
    run: async (times) => {
      const outputs = Array.from({ length: times }, () => tf.conv2d(input, filter, 1, "same"));
      // One element read back: the queue runs in order, so the last result being ready means all are, and
      // reading 4 bytes instead of 12.8 MB keeps the transfer out of the figure.
      if (outputs.length > 0) {
        const corner = tf.slice(outputs[outputs.length - 1]!, [0, 0, 0, 0], [1, 1, 1, 1]);
        await corner.data();
        corner.dispose();
      }
      outputs.forEach((t) => t.dispose());
    },
    dispose: () => tf.dispose([input, filter]),
  };
}
