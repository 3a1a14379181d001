// The learning-rate range test: the ramp, the smoothing, the early stop and the suggestion on a scripted
// loss curve; then `dslc lr-find` on a real file, whose first step is training's first step (same batch,
// same initial weights, so the same loss) and whose losses agree between the CPU reference and WebGPU.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { cpuBackend, trainCpu } from "../../runtime/cpu/train.js";
import { findLearningRate, LR_FIND_DEFAULTS, rampLr } from "../../runtime/lr-find.js";
import type { TrainingBackend } from "../../runtime/loop.js";
import { withWebGpuBackend } from "../../runtime/webgpu/train.js";
import { dslc } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-lr-find-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = path.join(dir, "net.dl");
fs.writeFileSync(file, "model Net(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(16) |> relu |> dense(3)\n}\ntrain {\n  data = spirals(n: 300, classes: 3) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1, momentum: 0.9)\n  epochs 3\n  batch 32\n  seed 5\n}\n");
const program = () => compileProgram(fs.readFileSync(file, "utf8"), file).program!;

/** A backend whose loss is a function of the rate it is given. */
function scripted(loss: (lr: number, step: number) => number): TrainingBackend {
  return {
    name: "cpu",
    adapter: "scripted",
    step: (_batch, step, hyper) => Promise.resolve({ loss: loss(hyper.lr, step) }),
    takeEpochSums: async () => ({ lossSum: 0, correct: 0, top5: 0 }),
    evaluate: async () => ({ loss: 0 }),
    saveWeights: async () => undefined,
    restoreWeights: () => {},
  };
}

describe("the range test", () => {
  it("ramps exponentially from min to max and suggests where the smoothed loss falls fastest", async () => {
    // Flat at 2, a sharp drop to 1 at step 60, flat after: the smoothed loss falls fastest right there.
    const result = await findLearningRate(program(), scripted((_lr, step) => (step < 60 ? 2 : 1)), { ...LR_FIND_DEFAULTS, steps: 100 });
    expect(result.lrs).toHaveLength(100);
    expect(result.lrs[0]).toBe(1e-8);
    expect(result.lrs[99]).toBeCloseTo(1, 12);
    expect(result.lrs[50]! / result.lrs[49]!).toBeCloseTo(Math.pow(1e8, 1 / 99), 10);
    expect(result.stopped).toBeUndefined();
    expect([rampLr(LR_FIND_DEFAULTS, 59), rampLr(LR_FIND_DEFAULTS, 60), rampLr(LR_FIND_DEFAULTS, 61)]).toContain(result.suggestion);
    // Bias-corrected smoothing: a constant loss is its own smoothed value.
    expect(result.smoothed[10]).toBeCloseTo(2, 12);
  });

  it("stops once the smoothed loss exceeds 4× its best, and at a non-finite loss", async () => {
    const diverging = await findLearningRate(program(), scripted((lr) => (lr < 1e-3 ? 1 : 1000)));
    expect(diverging.stopped).toBe("diverged");
    expect(diverging.lrs.at(-1)).toBeGreaterThanOrEqual(1e-3);
    expect(diverging.lrs.length).toBeLessThan(100);
    const nan = await findLearningRate(program(), scripted((lr) => (lr < 1e-2 ? 1 : NaN)));
    expect(nan.stopped).toBe("not finite");
    expect(nan.losses.every(Number.isFinite)).toBe(true);
  });
});

describe("dslc lr-find", () => {
  it("trains from the same first batch and weights as `dslc train`, and prints a suggestion and an SVG", async () => {
    const svg = path.join(dir, "net.svg");
    const result = await dslc("lr-find", file, "--backend", "cpu", "--steps", "40", "--max-lr", "10", "--json");
    expect(result.code).toBe(0);
    const found = JSON.parse(result.stdout) as { lr: number[]; loss: number[]; suggestion: number | null };
    let first: number | undefined;
    await trainCpu(program(), { onLog: (e) => (first ??= e.loss) });
    expect(found.loss[0]).toBe(first);
    expect(found.suggestion).toBeGreaterThan(1e-8);
    const human = await dslc("lr-find", file, "--backend", "cpu", "--steps", "40", "--max-lr", "10", "--svg", svg);
    expect(human.stdout).toContain(`suggested learning rate: ${found.suggestion!.toExponential(2)}`);
    expect(fs.readFileSync(svg, "utf8")).toMatch(/class="mark-line role-mark marks"/);
  }, 60_000);

  it("measures the same losses on WebGPU as on the CPU reference", async () => {
    const options = { ...LR_FIND_DEFAULTS, steps: 30, maxLr: 1 };
    const cpu = await findLearningRate(program(), cpuBackend(program()), options);
    const gpu = await withWebGpuBackend(program(), planKernels(program()), {}, (backend) => findLearningRate(program(), backend, options));
    expect(gpu.lrs).toEqual(cpu.lrs);
    // f32 on both; different summation orders: 1e-4 relative, as the training comparisons.
    gpu.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]!) / cpu.losses[i]!).toBeLessThan(1e-4));
  }, 60_000);

  it("refuses a minimum rate above the maximum as a usage error", async () => {
    const result = await dslc("lr-find", file, "--min-lr", "1", "--max-lr", "0.1");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("`--min-lr` (1) must be below `--max-lr` (0.1)");
  });
});
