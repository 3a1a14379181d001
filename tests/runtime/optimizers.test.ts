// Reference optimizers against PyTorch 1.13 (tests/golden/optimizers.json, made by make_golden.py): the same
// initial parameters and gradient sequence, 20 steps, parameters compared after every step in float64.
// Tolerance: 1e-12 relative (float64 arithmetic, same operation order up to rounding).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { createState, optimizerDefaults, optimizerStep, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";

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
