// Side-by-side training throughput on this machine, in one run: an MLP 784-512-512-10 (ReLU, batch 128,
// Adam, cross-entropy) trained by dslc on WebGPU, by TensorFlow.js 4.22 on WebGPU (the same Dawn adapter),
// by TensorFlow.js on its CPU and WASM backends, and by PyTorch on the CPU when python3-torch is installed;
// plus matmul GFLOP/s at 1024³. Prints samples/s and ratios; asserts nothing.
// Run: npm run build && npm run bench:train
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { planKernels } from "../codegen/wgsl/plan.js";
import { defaultMatmulConfig } from "../codegen/wgsl/matmul.js";
import { compileProgram } from "../compiler/compile.js";
import type { DataSpec } from "../runtime/program.js";
import { prepareData, gather } from "../runtime/data/pipeline.js";
import { acquireDevice } from "../runtime/webgpu/device.js";
import { WebGpuBackend } from "../runtime/webgpu/backend.js";
import { timeMatmul } from "../runtime/webgpu/matmul-tune.js";

const BATCH = 128;
const STEPS = 12;
const WARMUP = 3;

const MODEL = `model Mlp(x: f32[N, 784]) -> f32[N, 10] {
  h = x |> dense(512) |> relu |> dense(512) |> relu
  return h |> dense(10)
}
train {
  data = blobs(n: ${BATCH * 4}, classes: 10, features: 784)
  loss = cross_entropy()
  optimizer = adam(lr: 1e-3)
  epochs 1
  batch ${BATCH}
}
`;

let unfusedDispatches = 0;

async function dslcWebGpu(): Promise<{ samplesPerSecond: number; dispatches: number; bytes: number; unplannedBytes: number }> {
  const program = compileProgram(MODEL, "bench.dl").program!;
  const unplanned = new WebGpuBackend(await acquireDevice(), program, planKernels(program), 0, BATCH, { planMemory: false });
  const unplannedBytes = unplanned.bufferBytes;
  unplanned.destroy();
  unfusedDispatches = planKernels(program, { fuse: false }).train.kernels.length;
  const gpu = await acquireDevice();
  const backend = new WebGpuBackend(gpu, program, planKernels(program), 0, BATCH);
  const data = prepareData(program.data as DataSpec, 0).train;
  const batch = gather(data, Uint32Array.from({ length: BATCH }, (_, i) => i));
  for (let i = 0; i < WARMUP; i++) backend.step(batch, i, { lr: 1e-3 });
  await backend.takeEpochSums();
  const start = performance.now();
  for (let i = 0; i < STEPS; i++) backend.step(batch, i, { lr: 1e-3 });
  await backend.takeEpochSums();
  const seconds = (performance.now() - start) / 1000;
  const dispatches = backend.dispatchesPerStep;
  const bytes = backend.bufferBytes;
  backend.destroy();
  return { samplesPerSecond: (STEPS * BATCH) / seconds, dispatches, bytes, unplannedBytes };
}

/** GFLOP/s of the 1024³ product in its default configuration (the tuner's timing: median of 3 rounds of 3). */
async function dslcMatmul(): Promise<number> {
  const n = 1024;
  const shape = { m: n, k: n, n, transA: false, transB: false };
  const gpu = await acquireDevice();
  const ms = await timeMatmul(gpu.device, shape, defaultMatmulConfig(shape, gpu.kind), 1, { reps: 3, rounds: 3 });
  gpu.destroy();
  return (2 * n ** 3) / ms / 1e6;
}

async function tfjs(backend: "webgpu" | "cpu" | "wasm"): Promise<{ samplesPerSecond: number; gflops?: number }> {
  const tf = await import("@tensorflow/tfjs");
  if (backend === "webgpu") {
    const { create, globals } = (await import("webgpu")) as unknown as { create: (f: string[]) => GPU; globals: object };
    Object.assign(globalThis, globals);
    // Keep the Dawn instance reachable for the whole run (see runtime/webgpu/device.ts).
    (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
    await import("@tensorflow/tfjs-backend-webgpu");
  }
  if (backend === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  await tf.setBackend(backend);
  await tf.ready();
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 512, activation: "relu" }), tf.layers.dense({ units: 512, activation: "relu" }), tf.layers.dense({ units: 10 })] });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([BATCH, 784]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), "int32"), 10);
  const step = () => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as import("@tensorflow/tfjs").Tensor), true)!;
  for (let i = 0; i < WARMUP; i++) (await step().data(), undefined);
  const steps = backend === "cpu" ? 3 : STEPS;
  const start = performance.now();
  let loss: import("@tensorflow/tfjs").Scalar | undefined;
  for (let i = 0; i < steps; i++) {
    loss?.dispose();
    loss = step();
  }
  await loss!.data();
  const samplesPerSecond = (steps * BATCH) / ((performance.now() - start) / 1000);
  let gflops: number | undefined;
  if (backend !== "cpu") {
    const a = tf.randomNormal([1024, 1024]);
    const b = tf.randomNormal([1024, 1024]);
    await tf.matMul(a, b).data();
    const t0 = performance.now();
    const c = [tf.matMul(a, b), tf.matMul(a, b), tf.matMul(a, b)];
    await Promise.all(c.map((t) => t.data()));
    gflops = (3 * 2 * 1024 ** 3) / ((performance.now() - t0) / 1000) / 1e9;
  }
  return { samplesPerSecond, gflops };
}

function pytorch(): { samplesPerSecond: number; gflops: number } | undefined {
  const script = `
import time, torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(784,512), torch.nn.ReLU(), torch.nn.Linear(512,512), torch.nn.ReLU(), torch.nn.Linear(512,10))
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
x = torch.randn(${BATCH},784); y = torch.arange(${BATCH}) % 10
def step():
    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
for _ in range(${WARMUP}): step()
t = time.perf_counter()
for _ in range(${STEPS}): step()
sps = ${STEPS * BATCH} / (time.perf_counter() - t)
a = torch.randn(1024,1024); b = torch.randn(1024,1024); a @ b
t = time.perf_counter()
for _ in range(3): a @ b
print(sps, 3*2*1024**3/(time.perf_counter()-t)/1e9)
`;
  try {
    const [sps, gflops] = execFileSync("/usr/bin/python3", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split(" ").map(Number);
    return { samplesPerSecond: sps!, gflops: gflops! };
  } catch {
    return undefined;
  }
}

const ours = await dslcWebGpu();
const oursGflops = await dslcMatmul();
const peers: [string, { samplesPerSecond: number; gflops?: number } | undefined][] = [
  ["TensorFlow.js 4.22 WebGPU (same adapter)", await tfjs("webgpu")],
  ["TensorFlow.js 4.22 WASM", await tfjs("wasm")],
  ["TensorFlow.js 4.22 CPU (JS)", await tfjs("cpu")],
  ["PyTorch CPU", pytorch()],
];
console.log(`MLP 784-512-512-10, batch ${BATCH}, Adam: training samples/s (higher is better)`);
console.log(`  dslc WebGPU: ${ours.samplesPerSecond.toFixed(1)} samples/s (${ours.dispatches} dispatches per step, ${unfusedDispatches} without fusion; device buffers ${(ours.bytes / 1e6).toFixed(2)} MB planned vs ${(ours.unplannedBytes / 1e6).toFixed(2)} MB one per value, ${(ours.bytes / ours.unplannedBytes).toFixed(2)}×)`);
for (const [name, r] of peers) console.log(`  ${name}: ${r ? `${r.samplesPerSecond.toFixed(1)} samples/s; dslc/peer = ${(ours.samplesPerSecond / r.samplesPerSecond).toFixed(2)}×` : "not available"}`);
console.log("matmul 1024³, GFLOP/s:");
console.log(`  dslc WGSL matmul (default configuration): ${oursGflops.toFixed(2)}`);
for (const [name, r] of peers) if (r?.gflops) console.log(`  ${name}: ${r.gflops.toFixed(2)}; dslc/peer = ${(oursGflops / r.gflops).toFixed(2)}×`);
process.exit(0);
