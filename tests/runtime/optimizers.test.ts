// Reference optimizers against PyTorch 1.13 (tests/golden/optimizers.json, made by make_golden.py): the same
// initial parameters and gradient sequence, 20 steps, parameters compared after every step in float64.
// Tolerance: 1e-12 relative (float64 arithmetic, same operation order up to rounding).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { createState, optimizerDefaults, optimizerStep, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { scheduleAt } from "../../runtime/schedules.js";
import { fullSpec, longGrads, readGolden, type CycledMomentumGolden, type LongAdamGolden } from "../helpers/golden.js";

interface Golden {
  steps: number;
  initial: number[];
  grads: number[][];
  cases: { name: string; spec: Partial<OptimizerSpec> & { kind: OptimizerSpec["kind"] }; trajectory: number[][] }[];
}

const golden = JSON.parse(fs.readFileSync("tests/golden/optimizers.json", "utf8")) as Golden;

function closeTo(actual: ArrayLike<number>, expected: number[], relative: number, context: string): void {
  for (let i = 0; i < expected.length; i++) {
    const tolerance = relative * Math.max(1, Math.abs(expected[i]!));
    expect(Math.abs(actual[i]! - expected[i]!), `${context}, element ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance);
  }
}

describe("optimizers match PyTorch over 20 steps", () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const spec = { ...optimizerDefaults(c.spec.kind), ...c.spec } as OptimizerSpec;
      const params = Float64Array.from(golden.initial);
      const state = createState(spec, params.length, params);
      for (let k = 0; k < golden.steps; k++) {
        optimizerStep(spec, params, Float64Array.from(golden.grads[k]!), state, spec.lr);
        closeTo(params, c.trajectory[k]!, 1e-12, `${c.name}, step ${k + 1}`);
      }
    });
  }

  it("covers every optimizer kind", () => {
    expect(new Set(golden.cases.map((c) => c.spec.kind))).toEqual(new Set(["sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax", "nadam"]));
  });

  it("also runs in float32 within float32 rounding of PyTorch's float64 trajectory", () => {
    const c = golden.cases.find((x) => x.name === "adam")!;
    const spec = { ...optimizerDefaults("adam"), ...c.spec } as OptimizerSpec;
    const params = Float32Array.from(golden.initial);
    const state = createState(spec, params.length, params);
    for (let k = 0; k < golden.steps; k++) optimizerStep(spec, params, Float32Array.from(golden.grads[k]!), state, spec.lr);
    closeTo(params, c.trajectory[golden.steps - 1]!, 1e-5, "adam float32");
  });
});

// Long runs (tests/golden/long_adam.json): 3000 steps with β₂ = 0.999, parameters compared at 70 checkpoints.
// Tolerance: 1e-12 relative, as above (float64 throughout; the bias corrections are float64 on the host).
describe("Adam, Adam with AMSGrad and AdamW with AMSGrad match PyTorch over 3000 steps", () => {
  const long = readGolden<LongAdamGolden>("long_adam.json");

  it("recomputes the fixture's gradients exactly", () => {
    for (const [k, grads] of Object.entries(long.grads_sample)) expect(longGrads(Number(k), grads.length)).toEqual(grads);
  });

  for (const c of long.cases) {
    it(c.name, () => {
      const spec = fullSpec(c.spec);
      const params = Float64Array.from(long.initial);
      const state = createState(spec, params.length, params);
      let checkpoint = 0;
      for (let k = 0; k < long.steps; k++) {
        optimizerStep(spec, params, Float64Array.from(longGrads(k, params.length)), state, spec.lr);
        if (long.checkpoints[checkpoint] !== k + 1) continue;
        closeTo(params, c.trajectory[checkpoint]!, 1e-12, `${c.name}, step ${k + 1}`);
        checkpoint++;
      }
      expect(checkpoint).toBe(long.checkpoints.length);
    });
  }
});

// Optimizers driven by momentum-cycling schedules (tests/golden/cycled_momentum.json): each step takes the lr
// and momentum (β₁ for the Adam family) of runtime/schedules.ts, as the training loop does; PyTorch's
// CyclicLR and OneCycleLR set them on the optimizer. Tolerance: 1e-12 relative, as above.
describe("optimizers follow the momentum (or β₁) that cyclic and one_cycle set, as in PyTorch", () => {
  const cycled = readGolden<CycledMomentumGolden>("cycled_momentum.json");
  for (const c of cycled.cases) {
    it(c.name, () => {
      const spec = fullSpec(c.optimizer);
      const params = Float64Array.from(cycled.initial);
      const state = createState(spec, params.length, params);
      let checkpoint = 0;
      for (let k = 0; k < cycled.steps; k++) {
        const { lr, momentum } = scheduleAt(c.schedule, spec.lr, k);
        optimizerStep(spec, params, Float64Array.from(cycled.grads[k]!), state, lr, momentum);
        if (cycled.checkpoints[checkpoint] !== k + 1) continue;
        closeTo(params, c.trajectory[checkpoint]!, 1e-12, `${c.name}, step ${k + 1}`);
        checkpoint++;
      }
    });
  }

  it("covers SGD without momentum of its own, RMSprop and every Adam-family optimizer", () => {
    expect(new Set(cycled.cases.map((c) => c.optimizer.kind))).toEqual(new Set(["sgd", "rmsprop", "adam", "adamw", "adamax", "nadam"]));
    expect(cycled.cases.some((c) => c.optimizer.kind === "sgd" && c.optimizer.momentum === undefined)).toBe(true);
  });
});

describe("SGD's momentum buffer, when the momentum is 0 on some steps", () => {
  // PyTorch's _single_tensor_sgd skips the momentum path while the momentum is 0, then creates the buffer
  // from the gradient (without dampening) on the first step whose momentum is not.
  it("starts on the first step whose momentum is not 0, and is left alone on steps whose momentum is 0", () => {
    const spec = fullSpec({ kind: "sgd", dampening: 0.5 });
    const params = Float64Array.of(1);
    const state = createState(spec, 1, params);
    optimizerStep(spec, params, Float64Array.of(2), state, 0.1, 0);
    expect(params[0]).toBeCloseTo(1 - 0.1 * 2, 15);
    optimizerStep(spec, params, Float64Array.of(3), state, 0.1, 0.9);
    expect(state.buffers["momentum"]![0]).toBe(3);
    expect(params[0]).toBeCloseTo(0.8 - 0.1 * 3, 15);
    optimizerStep(spec, params, Float64Array.of(4), state, 0.1, 0);
    expect(state.buffers["momentum"]![0]).toBe(3);
    expect(params[0]).toBeCloseTo(0.5 - 0.1 * 4, 15);
    optimizerStep(spec, params, Float64Array.of(1), state, 0.1, 0.5);
    expect(state.buffers["momentum"]![0]).toBe(0.5 * 3 + 0.5 * 1);
  });
});
