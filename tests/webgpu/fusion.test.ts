// Fusion (bias + activation in the matmul epilogue, elementwise chains in one kernel): fewer dispatches, the
// same numbers (to f32 rounding, 1e-6 relative) as one kernel per op.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type EpochReport } from "../../runtime/loop.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";

const program = compileProgram(fs.readFileSync("samples/spirals.dl", "utf8"), "samples/spirals.dl", undefined, { epochs: 3 }).program!;

describe("matmul epilogue fusion", () => {
  it("fuses dense + relu / leaky_relu into one kernel and drops their dispatches", () => {
    const fused = planKernels(program);
    const separate = planKernels(program, { fuse: false });
    const labels = fused.train.kernels.map((k) => k.label);
    expect(labels.filter((l) => / \+ bias \+ relu$/.test(l))).toHaveLength(2);
    expect(labels.filter((l) => / \+ bias \+ leaky_relu$/.test(l))).toHaveLength(1);
    // Residual adds followed by an activation fold into one elementwise kernel.
    expect(labels).toContain("add+relu #16");
    expect(labels).toContain("add+leaky_relu #27");
    // 68 before the fusion scheduler of issue 11 (the L2 penalty, its gradient terms, broadcasts, constants,
    // bias gradients and the metrics as kernels of their own).
    expect(fused.train.kernels.length).toBe(27);
    expect(separate.train.kernels.length).toBe(100);
    expect(fused.eval.kernels.length).toBe(11);
    expect(separate.eval.kernels.length).toBe(42);
  });

  it("keeps every kernel within WebGPU's default 8 storage buffers (an L2 sum over ten weight matrices)", () => {
    const layers = Array.from({ length: 9 }, () => "dense(16) |> relu").join(" |> ");
    const text = `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> ${layers} |> dense(3)\n}\ntrain {\n  data = spirals()\n  loss = cross_entropy() + 1e-4 * l2(weights)\n  optimizer = adam(lr: 1e-3)\n  epochs 1\n}\n`;
    const deep = compileProgram(text, "/virtual/deep.dl").program!;
    const plan = planKernels(deep);
    for (const kernel of [...plan.train.kernels, ...plan.eval.kernels]) expect(kernel.bindings.length, kernel.label).toBeLessThanOrEqual(8);
    // The ten squared norms are summed by one kernel reading the flat parameters, with the loss and metrics.
    expect(plan.train.kernels.filter((k) => /^l2 penalty \+ loss #\d+ \+ metrics$/.test(k.label))).toHaveLength(1);
    // Unfused, each squared norm is a kernel, and the adds still fit the binding limit.
    for (const kernel of planKernels(deep, { fuse: false }).train.kernels) expect(kernel.bindings.length, kernel.label).toBeLessThanOrEqual(8);
  });

  it("trains to the same losses as one kernel per op", async () => {
    const run = async (fuse: boolean) => {
      const epochs: EpochReport[] = [];
      const backend = new WebGpuBackend(await acquireDevice(), program, planKernels(program, { fuse }), 7, 64);
      await runTraining(program, backend, { onEpoch: (e) => epochs.push(e) });
      backend.destroy();
      return epochs;
    };
    const fused = await run(true);
    const separate = await run(false);
    fused.forEach((e, i) => {
      expect(Math.abs(e.train_loss - separate[i]!.train_loss) / separate[i]!.train_loss).toBeLessThan(1e-6);
      expect(Math.abs(e.val_loss! - separate[i]!.val_loss!) / separate[i]!.val_loss!).toBeLessThan(1e-6);
    });
  }, 300_000);
});
