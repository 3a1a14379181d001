// The fusion scheduler on samples/digits_mlp.dl (BatchNorm over features, dropout, label smoothing, an L2
// penalty): the fused training step stays within its dispatch budget, and fused, unfused and CPU-reference
// training give the same losses epoch by epoch (WebGPU: 1e-5 relative to each other; against the CPU
// reference, whose float64 sums round differently, 1e-4).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type EpochReport } from "../../runtime/loop.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { CpuBackend, CpuTrainer } from "../../runtime/cpu/train.js";
import type { TrainingBackend } from "../../runtime/loop.js";

const file = "samples/digits_mlp.dl";
const program = compileProgram(fs.readFileSync(file, "utf8"), file, undefined, { epochs: 2 }).program!;

describe("fusion on digits_mlp", () => {
  it("needs at most 25 dispatches per training step, and no kernel only broadcasts or fills", () => {
    const fused = planKernels(program);
    const labels = fused.train.kernels.map((k) => k.label);
    expect(labels.length, labels.join("\n")).toBeLessThanOrEqual(25);
    expect(labels.filter((l) => /^(constant|broadcast_to) #/.test(l))).toEqual([]);
    // BatchNorm forward: the statistics with the running update, then the apply with relu and dropout.
    expect(labels.filter((l) => /^norm_stats #\d+ \+ running update/.test(l))).toHaveLength(2);
    expect(labels.filter((l) => /^norm_apply\+select_mode\+relu\+dropout #/.test(l))).toHaveLength(2);
    for (const kernel of [...fused.train.kernels, ...fused.eval.kernels]) expect(kernel.bindings.length, kernel.label).toBeLessThanOrEqual(8);
  });

  it("trains to the same losses fused, unfused and on the CPU reference", async () => {
    const run = async (backend: () => Promise<TrainingBackend>) => {
      const epochs: EpochReport[] = [];
      const b = await backend();
      await runTraining(program, b, { onEpoch: (e) => epochs.push(e) });
      (b as { destroy?: () => void }).destroy?.();
      return epochs;
    };
    const gpu = (fuse: boolean) => async () => new WebGpuBackend(await acquireDevice(), program, planKernels(program, { fuse }), program.loop.seed, 64);
    const fused = await run(gpu(true));
    const separate = await run(gpu(false));
    const cpu = await run(async () => new CpuBackend(new CpuTrainer(program, program.loop.seed)));
    expect(fused).toHaveLength(2);
    const close = (a: number, b: number, tolerance: number) => expect(Math.abs(a - b) / Math.abs(b)).toBeLessThan(tolerance);
    fused.forEach((e, i) => {
      close(e.train_loss, separate[i]!.train_loss, 1e-5);
      close(e.val_loss!, separate[i]!.val_loss!, 1e-5);
      close(e.train_loss, cpu[i]!.train_loss, 1e-4);
      close(e.val_loss!, cpu[i]!.val_loss!, 1e-4);
    });
  }, 300_000);
});

// Every kernel the scheduler builds (BatchNorm statistics with the running update, the apply with relu and
// dropout storing relu's output too, γ/β rows from the gradient sums, the L2 penalty's loss with the
// metrics, its decay in Adam's update, softmax cross-entropy with its gradient and the last bias gradient,
// relu_grad with its bias gradient) on odd sizes: batch 7, 13 features, 5 classes, a last batch of 3.
const ODD = `model Odd(x: f32[N, 13]) -> f32[N, 5] {
  h = x |> dense(13) |> batchnorm |> relu |> dropout(0.3)
  h = h |> dense(11) |> relu
  return h |> dense(5)
}
train {
  data = blobs(n: 40, classes: 5, features: 13) |> split(val: 0.25)
  loss = cross_entropy(label_smoothing: 0.2) + 3e-3 * l2(weights)
  optimizer = adam(lr: 1e-2)
  epochs 2
  batch 7
  seed 5
}
`;

describe("fused kernels on odd sizes", () => {
  const odd = compileProgram(ODD, "/virtual/odd.dl").program!;

  it("plans every fusion it is meant to", () => {
    const labels = planKernels(odd).train.kernels.map((k) => k.label);
    for (const pattern of [/^norm_stats #\d+ \+ running update/, /^norm_apply\+select_mode\+relu\+dropout #/, /norm_grad_sums #\d+ \+ norm_row #\d+ \+ norm_row/, /^l2 penalty \+ loss #\d+ \+ metrics$/, /^softmax_cross_entropy #\d+ \+ grad #\d+ \+ sum_to #\d+$/, /^relu_grad #\d+ \+ sum_to #\d+$/]) {
      expect(labels.some((l) => pattern.test(l)), `${pattern}\n${labels.join("\n")}`).toBe(true);
    }
    expect(planKernels(odd).train.kernels.find((k) => k.label.startsWith("adam"))!.code).toContain("l2Decay");
  });

  it("trains as the CPU reference and the unfused program do", async () => {
    const run = async (backend: () => Promise<TrainingBackend>) => {
      const epochs: EpochReport[] = [];
      const b = await backend();
      await runTraining(odd, b, { onEpoch: (e) => epochs.push(e) });
      (b as { destroy?: () => void }).destroy?.();
      return epochs;
    };
    const gpu = (fuse: boolean) => async () => new WebGpuBackend(await acquireDevice(), odd, planKernels(odd, { fuse }), odd.loop.seed, 7);
    const fused = await run(gpu(true));
    const separate = await run(gpu(false));
    const cpu = await run(async () => new CpuBackend(new CpuTrainer(odd, odd.loop.seed)));
    expect(fused).toHaveLength(2);
    // Fused and unfused WebGPU agree to f32 rounding. Against the CPU reference (float64 accumulations) the
    // distance is the two backends' rounding, which Adam at this learning rate on batches of 7 amplifies
    // (measured: 1.5e-4 relative after 2 epochs, as large unfused); fusion must not add to it.
    fused.forEach((e, i) => {
      for (const key of ["train_loss", "val_loss", "val_accuracy"] as const) {
        const scale = Math.max(1, Math.abs(cpu[i]![key]!));
        expect(Math.abs(e[key]! - separate[i]![key]!), `${key} epoch ${i}`).toBeLessThan(1e-5 * scale);
        expect(Math.abs(e[key]! - cpu[i]![key]!), `${key} epoch ${i} vs CPU`).toBeLessThan(5e-4 * scale);
        expect(Math.abs(e[key]! - cpu[i]![key]!), `${key} epoch ${i}: fused further from the CPU than unfused`).toBeLessThan(Math.abs(separate[i]![key]! - cpu[i]![key]!) + 2e-5 * scale);
      }
    });
  }, 300_000);
});
