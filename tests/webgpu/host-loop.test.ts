// The WebGPU backend's host side (runtime/webgpu/backend.ts): an evaluation sets the epoch's training sums aside
// on the device and puts them back exactly, waiting for one readback; readbacks reuse their staging buffers, so
// a long run allocates nothing per step.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { prepareData, trainingBatch } from "../../runtime/data/pipeline.js";
import { withWebGpuBackend } from "../../runtime/webgpu/train.js";
import type { TrainingBackend } from "../../runtime/loop.js";

const program = compileProgram(readFileSync("samples/spirals.dl", "utf8"), "spirals.dl").program!;
const data = prepareData(program.data, program.loop.seed);
const batches = [0, 1, 2].map((b) => trainingBatch(data.train, Uint32Array.from({ length: 64 }, (_, i) => (b * 64 + i * 7) % data.train.count), program.data, program.loop.seed, b, { augment: false }));

/** Three steps, with an evaluation on the validation split after the second when `evaluateAt` is 2. */
async function steps(backend: TrainingBackend, evaluateAt?: number) {
  let evaluation;
  for (let s = 0; s < batches.length; s++) {
    if (s === evaluateAt) evaluation = await backend.evaluate(data.val!);
    await backend.step(batches[s]!, s, { lr: 1e-2 }, { probe: false });
  }
  return { sums: await backend.takeEpochSums(), evaluation };
}

describe("the WebGPU backend's host loop", () => {
  it("an evaluation in mid-epoch leaves the training sums bit for bit, and measures what the CPU does", async () => {
    const plan = planKernels(program);
    const plain = await withWebGpuBackend(program, plan, {}, (b) => steps(b));
    const evaluated = await withWebGpuBackend(program, plan, {}, (b) => steps(b, 2));
    expect(evaluated.sums).toEqual(plain.sums);
    const cpu = await steps(cpuBackend(program), 2);
    // f32 on the device, f64 on the CPU, after two Adam steps.
    expect(evaluated.evaluation!.loss).toBeCloseTo(cpu.evaluation!.loss, 4);
    expect(evaluated.evaluation!.accuracy).toBe(cpu.evaluation!.accuracy);
    expect(evaluated.sums.lossSum).toBeCloseTo(cpu.sums.lossSum, 2);
  }, 120_000);

  it("allocates no buffer per logged step, evaluation or epoch end once warm", async () => {
    await withWebGpuBackend(program, planKernels(program), {}, async (backend) => {
      const device = (backend as unknown as { device: GPUDevice }).device;
      await steps(backend, 1);
      let created = 0;
      const create = device.createBuffer.bind(device);
      device.createBuffer = (descriptor) => (created++, create(descriptor));
      for (let round = 0; round < 5; round++) await steps(backend, 1);
      expect(created).toBe(0);
    });
  }, 120_000);
});
