// `predict` on WebGPU (the evaluation pass, its output read back batch by batch) equals the CPU reference's on
// the same weights: BatchNorm with running statistics and dropout off, over more examples than one batch
// of 512, within 1e-5 + 1e-5·|x| (f32 on the device against the reference's arithmetic).
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import { runTraining } from "../../runtime/loop.js";
import { withWebGpuBackend } from "../../runtime/webgpu/train.js";
import { memoryProbe } from "../helpers/parse.js";

const SOURCE = `model M(x: f32[N, 2]) -> f32[N, 4] {
  h = x |> dense(16) |> batchnorm |> relu |> dropout(0.3)
  return h |> dense(4)
}
train {
  data = spirals(n: 1600, classes: 4) |> split(val: 0.5)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1, momentum: 0.9)
  epochs 2
  batch 64
}
`;

describe("predict on WebGPU", () => {
  it("equals the CPU reference's predict on the same weights, across batches of 512", async () => {
    const program = compileProgram(SOURCE, "/virtual/model.dl", memoryProbe({})).program!;
    const cpu = cpuBackend(program);
    await runTraining(program, cpu, {});
    const data = prepareData(program.data, program.loop.seed);
    expect(data.val!.count).toBeGreaterThan(512);
    const expected = await cpu.predict(data.val!);
    const saved = (await cpu.saveWeights()) as { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
    const actual = await withWebGpuBackend(program, planKernels(program), {}, async (gpu) => {
      gpu.restoreWeights(new Map([...saved.params, ...saved.state]));
      const before = await gpu.evaluate(data.val!);
      const predicted = await gpu.predict(data.val!);
      // predict leaves the device's running sums as they were: evaluation after it measures the same.
      expect(await gpu.evaluate(data.val!)).toEqual(before);
      return predicted;
    });
    expect(actual.length).toBe(data.val!.count * 4);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
    expect(worst).toBeLessThan(1e-5);
    // Trained weights: the outputs are not all alike (a BatchNorm read in training mode would change them).
    expect(new Set(Array.from(expected.subarray(0, 40), (v) => v.toFixed(3))).size).toBeGreaterThan(20);
  });
});
