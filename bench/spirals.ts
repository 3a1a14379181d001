// A small model on both backends, side by side in one run: the README's sample `samples/spirals.dl` (or the
// .dl file given) trained for `BENCH_EPOCHS` epochs (default: the program's own) on the CPU reference backend
// and on WebGPU, alternately, `BENCH_REPS` times (default 3); then WebGPU's step split into host encoding
// (JS time to encode and submit), device execution, and the per-epoch readbacks, and the loop's time per
// backend call. Prints seconds and ratios;
// asserts nothing. Run: npm run bench:spirals [-- file.dl]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { compileProgram } from "../compiler/compile.js";
import { planKernels } from "../codegen/wgsl/plan.js";
import { trainCpu } from "../runtime/cpu/train.js";
import { runTraining } from "../runtime/loop.js";
import { acquireDevice } from "../runtime/webgpu/device.js";
import { WebGpuBackend } from "../runtime/webgpu/backend.js";
import { prepareData, trainingBatch, trainingBatchSize } from "../runtime/data/pipeline.js";
import { median } from "./timing.js";

const file = process.argv[2] ?? "samples/spirals.dl";
const program = compileProgram(readFileSync(file, "utf8"), file).program!;
const reps = Math.max(1, Number(process.env["BENCH_REPS"]) || 3);
const epochs = Number(process.env["BENCH_EPOCHS"]) || program.loop.epochs;

const cpuSeconds: number[] = [];
const gpuSeconds: number[] = [];
let steps = 0;
let dispatches = 0;
for (let r = 0; r < reps; r++) {
  let t = performance.now();
  steps = (await trainCpu(program, { stopAfterEpochs: epochs })).steps;
  cpuSeconds.push((performance.now() - t) / 1000);
  // The device is acquired inside the timed part, as `dslc train` does (pipeline compilation included).
  t = performance.now();
  const gpu = await acquireDevice();
  const backend = new WebGpuBackend(gpu, program, planKernels(program), program.loop.seed, trainingBatchSize(program));
  dispatches = backend.dispatchesPerStep;
  await runTraining(program, backend, { stopAfterEpochs: epochs });
  backend.destroy();
  gpuSeconds.push((performance.now() - t) / 1000);
}
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
console.log(`${file}: ${steps} steps (${epochs} epochs), ${dispatches} dispatches per WebGPU step`);
console.log(`  CPU reference: median ${median(cpuSeconds).toFixed(2)} s (runs: ${fmt(cpuSeconds)})`);
console.log(`  WebGPU:        median ${median(gpuSeconds).toFixed(2)} s (runs: ${fmt(gpuSeconds)})`);
const ratios = gpuSeconds.map((g, i) => g / cpuSeconds[i]!);
console.log(`  WebGPU/CPU time: median ${median(ratios).toFixed(2)}× (per pair: ${fmt(ratios)}; below 1 means WebGPU is faster)`);

// Where a WebGPU step's time goes: the same batch stepped 100 times without readbacks, host time (encoding,
// writeBuffer, submit) measured apart from the wait for the device.
const gpu = await acquireDevice();
const backend = new WebGpuBackend(gpu, program, planKernels(program), program.loop.seed, trainingBatchSize(program));
const data = prepareData(program.data, program.loop.dataSeed ?? program.loop.seed).train;
const size = Math.min(trainingBatchSize(program), data.count);
const batch = trainingBatch(data, Uint32Array.from({ length: size }, (_, i) => i), program.data, program.loop.seed, 0, { augment: !backend.augmentsOnDevice });
const queue = gpu.device.queue;
const host: number[] = [];
const total: number[] = [];
const readback: number[] = [];
for (let r = 0; r < reps + 1; r++) {
  await queue.onSubmittedWorkDone();
  const t = performance.now();
  for (let i = 0; i < 100; i++) backend.step(batch, i, { lr: program.optimizer.lr });
  const h = performance.now() - t;
  await queue.onSubmittedWorkDone();
  const all = performance.now() - t;
  const t1 = performance.now();
  await backend.takeEpochSums();
  if (r > 0) (host.push(h * 10), total.push(all * 10), readback.push((performance.now() - t1) * 1000));
}
console.log(`  WebGPU step (µs, median of ${reps}): host ${median(host).toFixed(0)}, host + device ${median(total).toFixed(0)}; an epoch-end readback on an idle queue ${median(readback).toFixed(0)}`);
backend.destroy();

// The real loop once more with the backend's calls timed: the host time of each call, and how long the loop
// then waited for its promise (an epoch end's readback waits for the epoch's steps to finish on the device).
const timed = new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, trainingBatchSize(program));
const spent = new Map<string, { ms: number; calls: number }>();
const add = (key: string, ms: number) => {
  const entry = spent.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  spent.set(key, entry);
};
const methods = timed as unknown as Record<string, (...args: unknown[]) => unknown>;
for (const name of ["step", "takeEpochSums", "evaluate"]) {
  const method = methods[name]!.bind(timed);
  methods[name] = (...args: unknown[]) => {
    const t = performance.now();
    const result = method(...args);
    add(`${name}, host`, performance.now() - t);
    if (!(result instanceof Promise)) return result;
    const waited = performance.now();
    return result.then((value) => (add(`${name}, waited for`, performance.now() - waited), value));
  };
}
const t = performance.now();
const done = await runTraining(program, timed, { stopAfterEpochs: epochs });
const whole = performance.now() - t;
timed.destroy();
console.log(`  WebGPU loop, ${done.steps} steps in ${(whole / 1000).toFixed(2)} s (${((whole * 1000) / done.steps).toFixed(0)} µs per step):`);
for (const [key, { ms, calls }] of spent) console.log(`    ${key}: ${(ms / 1000).toFixed(2)} s over ${calls} calls (${((ms * 1000) / calls).toFixed(0)} µs each, ${((100 * ms) / whole).toFixed(0)}%)`);
process.exit(0);
