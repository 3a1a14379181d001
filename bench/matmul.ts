// Matmul GFLOP/s side by side in one process, on the same WebGPU adapter: dslc's kernel in its default
// (untuned) configuration, in every configuration the tuner chooses from (and so the tuned choice), and
// TensorFlow.js 4.22's WebGPU backend. Shapes: 1024³ and the benchmark MLP's products at batch 64 and 128
// (forward x·Wᵀ, input gradient dy·W, weight gradient dyᵀ·x with K = batch). Each figure is the median of
// three rounds of back-to-back runs; the spread (min–max of the rounds) is printed beside the ratio so the
// noise of a shared machine is visible. Prints; asserts nothing.
// Run: npx tsx bench/matmul.ts [--quick]
import { performance } from "node:perf_hooks";
import { configName, defaultMatmulConfig, MATMUL_CONFIGS, type MatmulShape } from "../codegen/wgsl/matmul.js";
import { acquireDevice } from "../runtime/webgpu/device.js";
import { timeMatmul } from "../runtime/webgpu/matmul-tune.js";

interface Case {
  label: string;
  shape: MatmulShape;
  batch: number;
}

const quick = process.argv.includes("--quick");
const cases: Case[] = [{ label: "1024³", shape: { m: 1024, k: 1024, n: 1024, transA: false, transB: false }, batch: 1 }];
for (const batch of quick ? [128] : [64, 128]) {
  for (const [fanIn, fanOut] of [[784, 512], [512, 512], [512, 10]] as const) {
    cases.push({ label: `fwd ${batch}×${fanIn}·(${fanOut}×${fanIn})ᵀ`, shape: { m: "N", k: fanIn, n: fanOut, transA: false, transB: true }, batch });
    cases.push({ label: `dx  ${batch}×${fanOut}·${fanOut}×${fanIn}`, shape: { m: "N", k: fanOut, n: fanIn, transA: false, transB: false }, batch });
    cases.push({ label: `dW  (${batch}×${fanOut})ᵀ·${batch}×${fanIn}`, shape: { m: fanOut, k: "N", n: fanIn, transA: true, transB: false }, batch });
  }
}

const size = (d: number | string, batch: number) => (d === "N" ? batch : (d as number));
const flops = (c: Case) => 2 * size(c.shape.m, c.batch) * size(c.shape.k, c.batch) * size(c.shape.n, c.batch);
/** Enough back-to-back runs for a round of ~0.3 s at ~10 GFLOP/s. */
const repsFor = (c: Case) => Math.max(2, Math.min(200, Math.ceil(3e9 / flops(c))));

type Tf = typeof import("@tensorflow/tfjs");

async function loadTfjs(): Promise<Tf> {
  const tf = await import("@tensorflow/tfjs");
  const { create, globals } = (await import("webgpu")) as unknown as { create: (f: string[]) => GPU; globals: object };
  Object.assign(globalThis, globals);
  (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
  await import("@tensorflow/tfjs-backend-webgpu");
  await tf.setBackend("webgpu");
  await tf.ready();
  return tf;
}

async function timeTfjs(tf: Tf, c: Case, reps: number): Promise<number[]> {
  const { m, k, n, transA, transB } = c.shape;
  const [M, K, N] = [size(m, c.batch), size(k, c.batch), size(n, c.batch)];
  const a = tf.randomNormal(transA ? [K, M] : [M, K]) as import("@tensorflow/tfjs").Tensor2D;
  const b = tf.randomNormal(transB ? [N, K] : [K, N]) as import("@tensorflow/tfjs").Tensor2D;
  const once = async (times: number) => {
    const outs = Array.from({ length: times }, () => tf.matMul(a, b, transA, transB));
    await outs[outs.length - 1]!.data();
    for (const t of outs) t.dispose();
  };
  await once(1);
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    await once(reps);
    rounds.push((performance.now() - start) / reps);
  }
  a.dispose();
  b.dispose();
  return rounds;
}

const gflops = (c: Case, ms: number) => flops(c) / ms / 1e6;
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const tf = await loadTfjs();
const gpu = await acquireDevice();
console.log(`adapter: ${gpu.adapterName}${quick ? " (quick)" : ""}`);
console.log(`${"shape".padEnd(30)} ${"default".padStart(16)} ${"best config".padStart(26)} ${"tfjs".padStart(8)}  ratio default/tfjs (spread)  best/tfjs`);
for (const c of cases) {
  const reps = repsFor(c);
  const tfRounds = await timeTfjs(tf, c, reps);
  const def = defaultMatmulConfig(c.shape);
  // Per-round times of our default, then the medians of every candidate (the tuner's measurement).
  const defRounds: number[] = [];
  for (let r = 0; r < 3; r++) defRounds.push(await timeMatmul(gpu.device, c.shape, def, c.batch, { reps, rounds: 1 }));
  let best = { name: configName(def), ms: median(defRounds) };
  for (const config of Object.values(MATMUL_CONFIGS)) {
    if (configName(config) === configName(def) || (quick && c.label !== "1024³")) continue;
    const ms = await timeMatmul(gpu.device, c.shape, config, c.batch, { reps });
    if (ms < best.ms) best = { name: configName(config), ms };
  }
  const tfMs = median(tfRounds);
  const ratios = defRounds.map((ms, i) => tfRounds[i]! / ms);
  const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  console.log(
    `${c.label.padEnd(30)} ${`${gflops(c, median(defRounds)).toFixed(2)} GF/s`.padStart(16)} ${`${best.name} ${gflops(c, best.ms).toFixed(2)} GF/s`.padStart(26)} ${gflops(c, tfMs).toFixed(2).padStart(8)}  ${(tfMs / median(defRounds)).toFixed(2).padStart(6)}× (${spread})${" ".repeat(12)}${(tfMs / best.ms).toFixed(2)}×`,
  );
}
gpu.destroy();
process.exit(0);
