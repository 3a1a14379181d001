// Matmul GFLOP/s side by side in one process, on the same WebGPU adapter: dslc's kernel in its default
// (untuned) configuration, in the configuration the tuner picks (runtime/webgpu/matmul-tune.ts: every
// candidate timed, the default kept unless one is faster by the margin), and TensorFlow.js 4.22's WebGPU
// backend. Shapes: 1024³ and the benchmark MLP's (784-512-512-10) products at batch 128: forward x·Wᵀ,
// input gradient dy·W, weight gradient dyᵀ·x (K = the batch). Each figure is the median of three rounds of
// the same number of back-to-back runs for every implementation (TensorFlow.js and the default alternating); the spread of the default's ratio to
// TensorFlow.js over the rounds (min–max) is printed so the noise of a shared machine is visible.
// Prints; asserts nothing; writes no cache.
// Run: npm run bench:matmul
import type * as TF from "@tensorflow/tfjs";
import { performance } from "node:perf_hooks";
import { configName, defaultMatmulConfig, matmulKernel, MATMUL_CONFIGS, type MatmulConfig, type MatmulShape } from "../codegen/wgsl/matmul.js";
import { acquireDevice } from "../runtime/webgpu/device.js";
import { measureBestConfig, median, productSize, timeMatmulKernel } from "../runtime/webgpu/matmul-tune.js";

interface Case {
  label: string;
  shape: MatmulShape;
  batch: number;
}

const BATCH = 128;
const cases: Case[] = [{ label: "1024³", shape: { m: 1024, k: 1024, n: 1024, transA: false, transB: false }, batch: 1 }];
for (const [fanIn, fanOut] of [[784, 512], [512, 512], [512, 10]] as const) {
  cases.push({ label: `fwd ${BATCH}×${fanIn}·(${fanOut}×${fanIn})ᵀ`, shape: { m: "N", k: fanIn, n: fanOut, transA: false, transB: true }, batch: BATCH });
  cases.push({ label: `dx  ${BATCH}×${fanOut}·${fanOut}×${fanIn}`, shape: { m: "N", k: fanOut, n: fanIn, transA: false, transB: false }, batch: BATCH });
  cases.push({ label: `dW  (${BATCH}×${fanOut})ᵀ·${BATCH}×${fanIn}`, shape: { m: fanOut, k: "N", n: fanIn, transA: true, transB: false }, batch: BATCH });
}

const ROUNDS = 3;
const flops = (c: Case) => 2 * productSize(c.shape, c.batch);
/** The same back-to-back runs per round for every implementation: a round of ~0.3 s at ~10 GFLOP/s. */
const repsFor = (c: Case) => Math.max(2, Math.min(200, Math.ceil(3e9 / flops(c))));
const gflops = (c: Case, ms: number) => flops(c) / ms / 1e6;

type Tf = typeof TF;

async function loadTfjs(): Promise<Tf> {
  const tf = await import("@tensorflow/tfjs");
  const { create, globals } = (await import("webgpu")) as unknown as { create: (f: string[]) => GPU; globals: object };
  Object.assign(globalThis, globals);
  // A Dawn instance of its own, kept reachable for the whole run (see runtime/webgpu/device.ts).
  (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("TensorFlow.js could not initialize its WebGPU backend");
  await tf.ready();
  return tf;
}

/** Milliseconds per run of each round of TensorFlow.js's matMul on random inputs. */
async function timeTfjs(tf: Tf, c: Case, reps: number, rounds = ROUNDS): Promise<number[]> {
  const size = (d: number | string) => (d === "N" ? c.batch : (d as number));
  const { m, k, n, transA, transB } = c.shape;
  const [M, K, N] = [size(m), size(k), size(n)];
  const a = tf.randomNormal(transA ? [K, M] : [M, K]) as TF.Tensor2D;
  const b = tf.randomNormal(transB ? [N, K] : [K, N]) as TF.Tensor2D;
  const once = async (times: number) => {
    const outs = Array.from({ length: times }, () => tf.matMul(a, b, transA, transB));
    await outs[outs.length - 1]!.data();
    for (const t of outs) t.dispose();
  };
  await once(1);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    await once(reps);
    times.push((performance.now() - start) / reps);
  }
  a.dispose();
  b.dispose();
  return times;
}

const tf = await loadTfjs();
const gpu = await acquireDevice();
const timeRounds = (c: Case, config: MatmulConfig, rounds = ROUNDS) => timeMatmulKernel(gpu.device, matmulKernel({ id: 2, inputs: [0, 1], shape: [c.shape.m, c.shape.n] }, c.shape, config), c.shape, c.batch, { reps: repsFor(c), rounds });

console.log(`adapter: ${gpu.adapterName}; dslc's default configuration, the tuner's choice (${Object.keys(MATMUL_CONFIGS).length} candidates), TensorFlow.js 4.22 WebGPU`);
console.log(`${"shape".padEnd(30)} ${"default GF/s".padStart(22)} ${"tuned GF/s".padStart(22)} ${"tfjs GF/s".padStart(10)}  ${"default/tfjs (spread)".padEnd(22)} tuned/tfjs`);
for (const c of cases) {
  // TensorFlow.js and the default alternate round by round, so the spread compares like with like.
  const fallback = defaultMatmulConfig(c.shape);
  const tfRounds: number[] = [];
  const defaultRounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    tfRounds.push(...(await timeTfjs(tf, c, repsFor(c), 1)));
    defaultRounds.push(...(await timeRounds(c, fallback, 1)));
  }
  // Every candidate once; the tuner's rule (the default unless beaten by the margin) applied to these times.
  const medians = new Map<string, number>([[configName(fallback), median(defaultRounds)]]);
  for (const config of Object.values(MATMUL_CONFIGS)) {
    if (!medians.has(configName(config))) medians.set(configName(config), median(await timeRounds(c, config)));
  }
  const tuned = await measureBestConfig(c.shape, c.batch, async (_s, config) => medians.get(configName(config))!);
  const tfMs = median(tfRounds);
  const defaultMs = medians.get(configName(fallback))!;
  const tunedMs = medians.get(configName(tuned))!;
  const ratios = defaultRounds.map((ms, i) => tfRounds[i]! / ms);
  const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  const cell = (config: MatmulConfig, ms: number) => `${configName(config)} ${gflops(c, ms).toFixed(2)}`.padStart(22);
  console.log(
    `${c.label.padEnd(30)} ${cell(fallback, defaultMs)} ${cell(tuned, tunedMs)} ${gflops(c, tfMs).toFixed(2).padStart(10)}  ${`${(tfMs / defaultMs).toFixed(2)}× (${spread})`.padEnd(22)} ${(tfMs / tunedMs).toFixed(2)}×`,
  );
}
gpu.destroy();
process.exit(0);
