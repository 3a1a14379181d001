// Issue 11's rule for the fusion scheduler: every sample that trains gives the same losses fused as with one
// kernel per op (`fuse: false`), epoch by epoch. Each sample runs 2 epochs on a subset of its data
// (`--overfit`-style, so Fashion-MNIST's full set is loaded but 96 images are trained on), with its own
// seed, model, loss, optimizer, schedule and augmentations. Tolerance: 1e-5 relative (f32 sums in a
// different grouping when a chain is fused). spirals and digits_mlp have longer runs of their own
// (fusion.test.ts, tests/codegen/fusion-digits.test.ts); search.dl and ensemble.dl train the same way as
// the files they vary (a search trial is the file with its `let` values; an ensemble member a plain run).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type EpochReport } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { trainingBatchSize } from "../../runtime/data/pipeline.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";

const SAMPLES = ["polyfit", "xor", "digits_cnn", "digits_repvgg", "babysit", "init_study"];
if (fs.existsSync("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) SAMPLES.push("fashion_cnn");

async function losses(program: Program, fuse: boolean): Promise<EpochReport[]> {
  const epochs: EpochReport[] = [];
  const backend = new WebGpuBackend(await acquireDevice(), program, planKernels(program, { fuse }), program.loop.seed, trainingBatchSize(program));
  try {
    await runTraining(program, backend, { onEpoch: (e) => epochs.push(e) });
  } finally {
    backend.destroy();
  }
  return epochs;
}

describe("fused and unfused programs train to the same losses on every sample", () => {
  it.each(SAMPLES)("%s", async (name) => {
    const file = `samples/${name}.dl`;
    const compiled = compileProgram(fs.readFileSync(file, "utf8"), file, undefined, { epochs: 2, overfit: 96 });
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const program = compiled.program!;
    const fused = await losses(program, true);
    const separate = await losses(program, false);
    expect(planKernels(program).train.kernels.length).toBeLessThan(planKernels(program, { fuse: false }).train.kernels.length);
    expect(fused).toHaveLength(2);
    expect(separate).toHaveLength(2);
    const close = (a: number | undefined, b: number | undefined, what: string) => {
      expect(Number.isFinite(a), `${name}: ${what} is ${a}`).toBe(true);
      expect(Math.abs(a! - b!) / Math.max(Math.abs(b!), 1e-12), `${name}: ${what} fused ${a}, unfused ${b}`).toBeLessThan(1e-5);
    };
    fused.forEach((e, i) => {
      close(e.train_loss, separate[i]!.train_loss, `epoch ${i + 1} train loss`);
      if (separate[i]!.val_loss !== undefined) close(e.val_loss, separate[i]!.val_loss, `epoch ${i + 1} val loss`);
    });
  }, 600_000);
});
