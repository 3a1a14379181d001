// The generated optimizer kernels on the device against PyTorch 1.13's float64 trajectories: Adam, Adam with
// AMSGrad and AdamW with AMSGrad over 3000 steps with β₂ = 0.999 (tests/golden/long_adam.json), and SGD,
// RMSprop, Adam, AdamW, Adamax and NAdam driven by momentum-cycling cyclic and one_cycle schedules (cycled_momentum.json).
// Each step's scalars (lr, momentum or β₁, bias corrections) are computed on the host in float64 as the
// WebGPU backend does. Tolerance: 6·2⁻²⁴·√t relative (to max(1, |p|)) after t steps. The device stores
// parameters and moments in f32, rounding each by up to 2⁻²⁴ relative per step, and these roundings add up
// like a random walk; the kernels stay within 1.9·2⁻²⁴·√t (5.4e-6 relative) on lavapipe. Kernels computing
// β^t in f32 on the device reached 44·2⁻²⁴·√t (3.7e-5 relative) on the long runs, failing from step 1.
import { describe, expect, it } from "vitest";
import { emitOptimizer, supportsOptimizer } from "../../codegen/wgsl/optimizer.js";
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { nextOptimizerScalars, type ScalarState } from "../../runtime/optimizer-scalars.js";
import { scheduleAt, type StepHyperparameters } from "../../runtime/schedules.js";
import { fullSpec, longGrads, readGolden, type CycledMomentumGolden, type LongAdamGolden } from "../helpers/golden.js";
import { KernelRunner } from "../helpers/gpu.js";

const F32_ROUNDING = 2 ** -24;

interface Run {
  spec: OptimizerSpec;
  cyclesMomentum: boolean;
  initial: number[];
  steps: number;
  grads: (k: number) => number[];
  hyper: (k: number) => StepHyperparameters;
  checkpoints: number[];
  trajectory: number[][];
}

/** Runs the optimizer kernel for every step and compares the parameters with PyTorch's at each checkpoint. */
async function expectTrajectory(name: string, run: Run): Promise<void> {
  const n = run.initial.length;
  const kernel = emitOptimizer(run.spec, "p", "g", n, { cyclesMomentum: run.cyclesMomentum });
  const buffers = new Map<number | string, Float32Array>(kernel.bindings.map((b) => [b.node, new Float32Array(n)]));
  buffers.set("p", Float32Array.from(run.initial));
  const runner = await KernelRunner.create(kernel, buffers);
  const state: ScalarState = { step: 0, momentumStarted: false };
  let checkpoint = 0;
  try {
    for (let k = 0; k < run.steps; k++) {
      runner.write("g", Float32Array.from(run.grads(k)));
      runner.run({ batch: 1, step: k, scalars: nextOptimizerScalars(run.spec, state, run.hyper(k)) });
      const t = k + 1;
      if (run.checkpoints[checkpoint] !== t) continue;
      const params = (await runner.read(["p"])).get("p")!;
      const expected = run.trajectory[checkpoint]!;
      for (let i = 0; i < n; i++) {
        const tolerance = 6 * F32_ROUNDING * Math.sqrt(t) * Math.max(1, Math.abs(expected[i]!));
        expect(Math.abs(params[i]! - expected[i]!), `${name}, step ${t}, element ${i}: ${params[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance);
      }
      checkpoint++;
    }
  } finally {
    runner.destroy();
  }
  expect(checkpoint).toBe(run.checkpoints.length);
}

describe("Adam-family kernels match PyTorch over 3000 steps with β₂ = 0.999", () => {
  const long = readGolden<LongAdamGolden>("long_adam.json");
  for (const c of long.cases) {
    it(c.name, async () => {
      const spec = fullSpec(c.spec);
      await expectTrajectory(c.name, {
        spec,
        cyclesMomentum: false,
        initial: long.initial,
        steps: long.steps,
        grads: (k) => longGrads(k, long.initial.length),
        hyper: () => ({ lr: spec.lr }),
        checkpoints: long.checkpoints,
        trajectory: c.trajectory,
      });
    });
  }
});

describe("optimizer kernels follow the momentum (or β₁) that cyclic and one_cycle set", () => {
  const cycled = readGolden<CycledMomentumGolden>("cycled_momentum.json");
  const onDevice = cycled.cases.filter((c) => supportsOptimizer(fullSpec(c.optimizer)));

  it("every case of the fixture runs on the device: SGD, RMSprop, Adam, AdamW, Adamax, NAdam", () => {
    expect(new Set(onDevice.map((c) => c.optimizer.kind))).toEqual(new Set(["sgd", "rmsprop", "adam", "adamw", "adamax", "nadam"]));
  });

  for (const c of onDevice) {
    it(c.name, async () => {
      const spec = fullSpec(c.optimizer);
      await expectTrajectory(c.name, {
        spec,
        cyclesMomentum: true,
        initial: cycled.initial,
        steps: cycled.steps,
        grads: (k) => cycled.grads[k]!,
        hyper: (k) => scheduleAt(c.schedule, spec.lr, k),
        checkpoints: cycled.checkpoints,
        trajectory: c.trajectory,
      });
    });
  }
});
