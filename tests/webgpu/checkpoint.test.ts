// Checkpoints on WebGPU: an interrupted and resumed run logs the same losses and ends with the same weights,
// bit for bit, as an uninterrupted one on the device (the same kernels run on the same numbers: the moments
// are cut from and written back into the flat optimizer buffers at each parameter's place). A checkpoint
// of either backend loads into the other exactly (per-parameter tensors, not the device's layout); the
// runs then differ only by the backends' f32 rounding, which tests/webgpu/training.test.ts bounds.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { readCheckpointDir } from "../../runtime/checkpoint/files.js";
import { decodeCheckpoint, type BackendState } from "../../runtime/checkpoint/state.js";
import { resumeFrom } from "../../runtime/checkpoint/session.js";
import type { TrainOptions, TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { withWebGpuBackend } from "../../runtime/webgpu/train.js";
import { augmentedSource, checkpointProgram, checkpointSource, expectIdentical, record, spliced, type Recorded } from "../helpers/checkpoint.js";

function onDevice(program: Program, options: TrainOptions): Promise<Recorded> {
  return withWebGpuBackend(program, planKernels(program), {}, (backend) => record(program, backend, options));
}

function expectSameState(actual: BackendState, expected: BackendState): void {
  for (const key of ["params", "moments", "running"] as const) {
    expect([...actual[key].keys()].sort()).toEqual([...expected[key].keys()].sort());
    for (const [name, data] of expected[key]) expect(actual[key].get(name), `${key} ${name}`).toEqual(data);
  }
  expect(actual.scalars).toEqual(expected.scalars);
  // The CPU sums in float64, the device in f32: what the device resumes from is the sums rounded to f32.
  expect(actual.sums).toEqual(expected.sums.map(Math.fround));
}

describe("checkpoints on WebGPU", () => {
  const cases: [string, string][] = [
    ["SGD with momentum", checkpointSource()],
    ["Adam", checkpointSource({ optimizer: "adam(lr: 0.02)" })],
    ["augmentation on the device", augmentedSource()],
  ];
  for (const [label, source] of cases) {
    it(`${label}: resume mid-epoch gives identical losses, evaluations and weights`, async () => {
      const { program, dir } = checkpointProgram(source);
      const full = await onDevice(structuredClone(program), {});
      fs.rmSync(path.join(dir, "ckpt"), { recursive: true });
      let seen = 0;
      const first = await onDevice(program, { onStep: (s) => (seen = s), interrupted: () => seen >= 7 });
      expect(first.done.interrupted?.step).toBe(7);
      const second = await onDevice(program, { resume: path.join(dir, "ckpt", "step-000004") });
      expect(full.losses).toHaveLength(15);
      expectIdentical(spliced(first, second, 4), full);
    }, 120_000);
  }

  it("a checkpoint of either backend loads into the other exactly", async () => {
    const { program, dir } = checkpointProgram(checkpointSource({ optimizer: "adam(lr: 0.02)" }));
    let seen = 0;
    await record(program, cpuBackend(program), { onStep: (s) => (seen = s), interrupted: () => seen >= 3 });
    const cpuDir = path.join(dir, "ckpt", "step-000003");
    const fromCpu = decodeCheckpoint(program, readCheckpointDir(cpuDir), cpuDir).backend;
    await withWebGpuBackend(program, planKernels(program), {}, async (gpu) => {
      resumeFrom(cpuDir, program, gpu);
      expectSameState(await gpu.saveState(), fromCpu);
      // And back: the device's state, loaded into a CPU backend.
      const onGpu = await gpu.saveState();
      const cpu: TrainingBackend = cpuBackend(program);
      cpu.restoreState!(onGpu);
      expectSameState(await cpu.saveState!(), { ...onGpu, sums: onGpu.sums.map(Math.fround) });
      // The resumed device run trains on.
      const resumed = await record(program, gpu, { resume: cpuDir });
      expect(resumed.losses[0]![0]).toBe(4);
      expect(resumed.done.steps).toBe(15);
    });
  }, 120_000);
});
