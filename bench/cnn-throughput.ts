// Side-by-side CNN throughput on this machine, in one run: training samples/s of a small CNN (bench/cnn-spec.ts)
// and the GFLOP/s of one forward conv2d, for dslc on WebGPU, TensorFlow.js 4.22 on WebGPU (the same Dawn
// adapter), TensorFlow.js on WASM, and PyTorch on the CPU. Each is warmed up (BENCH_WARMUP calls, 3), then
// timed in repetitions of at least BENCH_MIN_SECONDS (0.5 s) each; the median of BENCH_REPS (5) is reported.
// dslc and TensorFlow.js WebGPU alternate repetition by repetition (bench/timing.ts), so a machine whose load
// changes during the run skews both alike; PyTorch runs in its own process afterwards. Prints rates and
// ratios; asserts nothing. A peer that is not available here (no WebGPU adapter, no python3 or torch) is skipped
// with the reason. Run: npm run bench:cnn
import { cpus, loadavg } from "node:os";
import { acquireDevice, NoAdapterError } from "../runtime/webgpu/device.js";
import { BATCH, CONV, CONV_FLOPS, MOMENTUM, type Measured, type PeerResult } from "./cnn-spec.js";
import { dslcConv, dslcTraining, NotCompiled, type DslcConv, type DslcTraining } from "./cnn-dslc.js";
import { tfjsSession } from "./cnn-tfjs.js";
import { torchCnn } from "./cnn-torch.js";
import { measureSideBySide, median, timingFromEnv, type Rate, type Runner } from "./timing.js";

const timing = timingFromEnv();
const fmt = (value: number, digits = 1) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const spread = (runs: number[], digits: number) => `[${runs.map((r) => fmt(r, digits)).join(", ")}]`;

/** Why dslc's side did not run, in a line; a NoAdapterError carries its own fix. */
function reason(error: unknown): string {
  if (error instanceof NoAdapterError) return `${error.message} (${error.help})`;
  if (error instanceof NotCompiled) return `dslc refuses the program: ${error.message}`;
  // Dawn's messages span several lines (the WGSL line, a caret, the call); one line is enough here.
  return (error as Error).message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\^+$/.test(l))
    .join(" | ");
}

/** Builds a runner, or returns why it cannot run, in one line. */
async function maybe<T>(make: () => Promise<T>): Promise<T | string> {
  try {
    return await make();
  } catch (error) {
    return reason(error);
  }
}

const measured = (r: Rate | { skipped: string } | undefined, why: string): Measured => (r === undefined ? { skipped: why } : r);

/** Times dslc and its peers' runners side by side, then frees them. */
async function sideBySide(runners: (Runner & { dispose(): void })[]): Promise<(Rate | { skipped: string })[]> {
  const rates = await measureSideBySide(runners, timing);
  runners.forEach((r) => r.dispose());
  return rates;
}

let adapter = "";
const gpu = await maybe(() => acquireDevice());
if (typeof gpu !== "string") adapter = gpu.adapterName;
const tfWebGpu = await tfjsSession("webgpu");
const tfWebGpuName = "TensorFlow.js 4.22 WebGPU (same adapter)";

// dslc and TensorFlow.js on the same adapter, interleaved: the comparison this benchmark is about.
const ourTraining = typeof gpu === "string" ? gpu : await maybe(() => dslcTraining(gpu));
const theirTraining = "skipped" in tfWebGpu ? undefined : tfWebGpu.training();
const [ourTrainRate, theirTrainRate] = await sideBySide([...(typeof ourTraining === "string" ? [] : [ourTraining]), ...(theirTraining ? [theirTraining] : [])]).then((rates) =>
  typeof ourTraining === "string" ? [undefined, rates[0]] : [rates[0], rates[1]],
);

const ourConv = typeof gpu === "string" ? gpu : await maybe(async () => dslcConv(await acquireDevice()));
const theirConv = "skipped" in tfWebGpu ? undefined : tfWebGpu.conv();
const [ourConvRate, theirConvRate] = await sideBySide([...(typeof ourConv === "string" ? [] : [ourConv]), ...(theirConv ? [theirConv] : [])]).then((rates) =>
  typeof ourConv === "string" ? [undefined, rates[0]] : [rates[0], rates[1]],
);

const peers: [string, PeerResult][] = [];
peers.push([tfWebGpuName, "skipped" in tfWebGpu ? tfWebGpu : { note: "", train: measured(theirTrainRate, "not run"), conv: measured(theirConvRate, "not run") }]);
const tfWasm = await tfjsSession("wasm");
if ("skipped" in tfWasm) peers.push(["TensorFlow.js 4.22 WASM", tfWasm]);
else {
  const [train, conv] = await sideBySide([tfWasm.training(), tfWasm.conv()]);
  peers.push(["TensorFlow.js 4.22 WASM", { note: tfWasm.note, train: train!, conv: conv! }]);
}
peers.push(["PyTorch CPU", torchCnn(timing)]);

/** One peer's line: its rate, each repetition's, and dslc's ratio to it when both ran. */
function line(peer: string, note: string, measured: Measured, ours: Rate | string, unit: string, digits: number): string {
  const name = note ? `${peer} (${note})` : peer;
  if ("skipped" in measured) return `  ${name}: skipped: ${measured.skipped}`;
  if (typeof ours === "string") return `  ${name}: ${fmt(measured.median, digits)}${unit} ${spread(measured.runs, digits)}`;
  let ratio = `; dslc ÷ peer = ${(ours.median / measured.median).toFixed(2)}×`;
  // Repetitions that ran back to back (the interleaved peer) pair up: the median of their ratios is the
  // figure least moved by load that changed during the run.
  if (peer === tfWebGpuName && ours.runs.length === measured.runs.length) {
    const paired = ours.runs.map((r, i) => r / measured.runs[i]!);
    ratio += ` (repetition by repetition: median ${median(paired).toFixed(2)}×, ${spread(paired, 2)})`;
  }
  return `  ${name}: ${fmt(measured.median, digits)}${unit} ${spread(measured.runs, digits)}${ratio}`;
}

const cpu = cpus();
// The load average says whether something else shared the cores during the run (it skews every figure).
console.log(`Machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}; WebGPU adapter: ${adapter || "none"}`);
console.log(`Timing: ${timing.warmup} warm-up calls, then ${timing.repetitions} repetitions of at least ${timing.minSeconds} s each; median (per-repetition rates in brackets)`);
for (const [name, r] of peers) if ("skipped" in r) console.log(`${name}: skipped: ${r.skipped}`);
const available = peers.flatMap(([name, r]) => ("skipped" in r ? [] : [[name, r] as const]));
console.log();
console.log(`CNN conv32-pool-conv64-pool-dense128-dense10 on 28×28×1, batch ${BATCH}, SGD momentum ${MOMENTUM}, cross-entropy: training samples/s (higher is better)`);
const ours = (own: DslcTraining | DslcConv | string, rate: Rate | { skipped: string } | undefined): Rate | string =>
  typeof own === "string" ? own : rate === undefined ? "not run" : "skipped" in rate ? reason(new Error(rate.skipped)) : rate;
const trainOurs = ours(ourTraining, ourTrainRate);
const convOurs = ours(ourConv, ourConvRate);
if (typeof trainOurs === "string") console.log(`  dslc WebGPU: skipped: ${trainOurs}`);
else {
  const t = ourTraining as DslcTraining;
  console.log(`  dslc WebGPU: ${fmt(trainOurs.median)} samples/s ${spread(trainOurs.runs, 1)}, ${plural(trainOurs.calls, "step")} per repetition, ${t.dispatches} dispatches per step; loss ${t.firstLoss.toFixed(3)} (first step) → ${t.lastLoss.toFixed(3)} (last repetition)`);
}
for (const [name, r] of available) console.log(line(name, r.note, r.train, trainOurs, " samples/s", 1));
console.log();
console.log(`conv2d forward, input ${CONV.batch}×${CONV.inChannels}×${CONV.size}×${CONV.size}, ${CONV.outChannels} filters ${CONV.kernel}×${CONV.kernel}, padding ${CONV.padding} (${(CONV_FLOPS / 1e9).toFixed(2)} GFLOP per call): GFLOP/s`);
if (typeof convOurs === "string") console.log(`  dslc WebGPU: skipped: ${convOurs}`);
else console.log(`  dslc WebGPU (${(ourConv as DslcConv).kernels.join(", ")}): ${fmt(convOurs.median, 2)} ${spread(convOurs.runs, 2)}, ${plural(convOurs.calls, "call")} per repetition`);
for (const [name, r] of available) console.log(line(name, r.note, r.conv, convOurs, "", 2));
// Dawn's instances are kept alive on purpose (runtime/webgpu/device.ts); exit rather than wait for them.
process.exit(0);
