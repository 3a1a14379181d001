// Training on WebGPU against the CPU reference: with the same seed, the per-epoch loss curves agree to
// 1e-4 relative (identical dropout masks, same initialization and shuffling; f32 rounding differs), and
// the digits MLP reaches ≥ 95% validation accuracy on the device.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu, type EpochReport } from "../../runtime/cpu/train.js";
import type { LogReport } from "../../runtime/loop.js";
import { trainWebGpu } from "../../cli/backends.js";
import { optimizerDefaults, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import type { Program } from "../../runtime/program.js";
import type { ScheduleSpec } from "../../runtime/schedules.js";
import { curvesOf, expectAgree } from "../helpers/backends.js";

function program(file: string, epochs: number) {
  const result = compileProgram(fs.readFileSync(file, "utf8"), file, undefined, { epochs });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.program!;
}

function curves(file: string, epochs: number): Promise<{ cpu: EpochReport[]; gpu: EpochReport[] }> {
  return curvesOf(() => program(file, epochs));
}

describe("WebGPU training agrees with the CPU reference", () => {
  it("polyfit (parameters, powers, broadcasting, summed MSE)", async () => {
    const { cpu, gpu } = await curves("samples/polyfit.dl", 5);
    expectAgree(cpu, gpu);
  }, 120_000);

  it("monitored metrics: per-step losses, top-5, update/weight ratios and the gradient norm (probe on the device)", async () => {
    const make = (): Program => {
      const base = program("samples/spirals.dl", 3);
      return { ...base, loop: { ...base.loop, logEvery: 2, monitor: ["train_loss", "train_top5", "val_top5", "update_ratio", "grad_norm"] } };
    };
    const logs = { cpu: [] as LogReport[], gpu: [] as LogReport[] };
    const cpu: EpochReport[] = [];
    const gpu: EpochReport[] = [];
    await trainCpu(make(), { onEpoch: (e) => cpu.push(e), onLog: (e) => logs.cpu.push(e) });
    await trainWebGpu(make(), { onEpoch: (e) => gpu.push(e), onLog: (e) => logs.gpu.push(e) });
    expectAgree(cpu, gpu);
    expect(logs.gpu.map((l) => l.step)).toEqual(logs.cpu.map((l) => l.step));
    logs.cpu.forEach((l, i) => {
      const g = logs.gpu[i]!;
      expect(Math.abs(g.loss - l.loss) / l.loss, `logged loss, step ${l.step}`).toBeLessThan(1e-4);
      // f32 sums of squares on the device against float64 on the CPU: 1e-3 relative.
      expect(Math.abs(g.grad_norm! - l.grad_norm!) / l.grad_norm!, `gradient norm, step ${l.step}`).toBeLessThan(1e-3);
      for (const [name, ratio] of Object.entries(l.update_ratio!)) expect(Math.abs(g.update_ratio![name]! - ratio) / ratio, `${name}, step ${l.step}`).toBeLessThan(1e-3);
    });
    gpu.forEach((e, i) => expect([e.train_top5, e.val_top5]).toEqual([cpu[i]!.train_top5, cpu[i]!.val_top5]));
  }, 120_000);

  it("xor (tanh, cross-entropy, SGD with momentum)", async () => {
    const { cpu, gpu } = await curves("samples/xor.dl", 10);
    expectAgree(cpu, gpu);
  }, 120_000);

  it("xor with cycled momentum: SGD's from 0 under cyclic, Adam's β₁ under one_cycle", async () => {
    // The optimizer and the schedule are set on the Program, which is plain data.
    const cyclic: ScheduleSpec = { kind: "cyclic", baseLr: 0.05, maxLr: 0.5, stepSizeUp: 5, mode: "triangular2", gamma: 1, cycleMomentum: true, baseMomentum: 0.8, maxMomentum: 0.9 };
    const oneCycle: ScheduleSpec = { kind: "one_cycle", maxLr: 0.05, total: 40, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4, anneal: "cos", cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95 };
    const xor = (optimizer: OptimizerSpec, spec: ScheduleSpec) => (): Program => ({ ...program("samples/xor.dl", 40), optimizer, schedule: { spec, per: "step" } });
    const sgd = await curvesOf(xor(optimizerDefaults("sgd", 0.5), cyclic));
    expectAgree(sgd.cpu, sgd.gpu);
    const adam = await curvesOf(xor(optimizerDefaults("adam"), oneCycle));
    expectAgree(adam.cpu, adam.gpu);
    // The cycled momentum changes the run: without it SGD has no momentum at all.
    const uncycled = await curvesOf(xor(optimizerDefaults("sgd", 0.5), { ...cyclic, cycleMomentum: false }));
    expect(uncycled.cpu.at(-1)!.train_loss).not.toBeCloseTo(sgd.cpu.at(-1)!.train_loss, 3);
  }, 120_000);

  it("digits MLP (BatchNorm, dropout, label smoothing, L2, Adam, warmup + cosine)", async () => {
    const { cpu, gpu } = await curves("samples/digits_mlp.dl", 2);
    expectAgree(cpu, gpu);
    expect(gpu[1]!.val_accuracy).toBe(cpu[1]!.val_accuracy);
  }, 300_000);
});

describe("WebGPU training reaches the target", () => {
  it("digits MLP: ≥ 95% validation accuracy", async () => {
    const done = await trainWebGpu(program("samples/digits_mlp.dl", 30));
    expect(done.val_accuracy).toBeGreaterThanOrEqual(0.95);
    expect(done.backend).toBe("webgpu");
    expect(done.dispatches_per_step).toBeGreaterThan(0);
  }, 600_000);
});
