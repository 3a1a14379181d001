// The WGSL updates of Adagrad, RMSprop, Adadelta, Adamax and NAdam against the CPU reference
// (runtime/cpu/optimizers.ts, itself checked against PyTorch 1.13 in tests/runtime) over 20 steps on 1 and
// 1001 elements (not a multiple of the 64-thread workgroup), with a learning rate that changes every step and,
// for the momentum variants, a cycled momentum (β₁) that the host passes through the per-step globals. The
// state starts as the runtime starts it (runtime/webgpu/state.ts: zeros, Adagrad's sum at
// initial_accumulator_value). The last 64 elements have zero parameters and gradients, like the padding
// between parameters in the flat buffers, and must stay exactly zero.
// Tolerance: 2e-6·max(1, |p|) (about 32 f32 roundings). Both sides store f32; the CPU computes each update
// in f64 from the stored values, the device in f32, so each step differs by a few roundings, and an update
// divided by a small √v amplifies its input's rounding. Measured on lavapipe: at most 2.4e-7 (see the log).
import { describe, expect, it } from "vitest";
import { emitOptimizer, supportsOptimizer } from "../../codegen/wgsl/optimizer.js";
import { createState, optimizerDefaults, optimizerStep, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { nextOptimizerScalars, type ScalarState } from "../../runtime/optimizer-scalars.js";
import { optimizerStateFills, optimizerStateNames } from "../../runtime/webgpu/state.js";
import { KernelRunner } from "../helpers/gpu.js";

const STEPS = 20;
const SIZES = [1, 1001];
const PADDING = 64;
/** Tolerance: RELATIVE of the path the parameter travelled plus ROUNDINGS f32 roundings of it per step. */
const RELATIVE = 1e-5;
const ROUNDINGS = 4;

const spec = <K extends OptimizerSpec["kind"]>(kind: K, options: Partial<Extract<OptimizerSpec, { kind: K }>>): OptimizerSpec => ({ ...optimizerDefaults(kind), ...options }) as OptimizerSpec;

interface Case {
  name: string;
  spec: OptimizerSpec;
  /** The momentum (β₁) of step k when a schedule cycles it; 0 on some steps to exercise RMSprop's branch. */
  momentum?: (k: number) => number;
}

const CASES: Case[] = [
  { name: "adagrad, lr_decay, initial accumulator, weight decay", spec: spec("adagrad", { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.3, weightDecay: 0.01 }) },
  { name: "adagrad, defaults (ε = 1e-10 on a zero sum)", spec: spec("adagrad", {}) },
  { name: "adagrad, ε = 0.5", spec: spec("adagrad", { lr: 0.1, eps: 0.5 }) },
  { name: "rmsprop", spec: spec("rmsprop", {}) },
  { name: "rmsprop centered, momentum, weight decay", spec: spec("rmsprop", { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 }) },
  { name: "rmsprop centered, cycled momentum (0 on some steps), ε = 0.3", spec: spec("rmsprop", { lr: 0.005, centered: true, alpha: 0.9, eps: 0.3 }), momentum: (k) => (k % 5 === 3 ? 0 : 0.8 + 0.01 * k) },
  { name: "adadelta, weight decay", spec: spec("adadelta", { lr: 0.5, rho: 0.95, weightDecay: 0.05 }) },
  { name: "adadelta, defaults", spec: spec("adadelta", {}) },
  { name: "adamax, weight decay", spec: spec("adamax", { lr: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }) },
  { name: "adamax, cycled β₁, ε = 0.5", spec: spec("adamax", { lr: 0.02, eps: 0.5 }), momentum: (k) => 0.85 + 0.005 * k },
  { name: "nadam", spec: spec("nadam", {}) },
  { name: "nadam, momentum_decay, weight decay, ε = 0.2", spec: spec("nadam", { lr: 0.01, beta1: 0.85, weightDecay: 0.05, momentumDecay: 0.01, eps: 0.2 }) },
  { name: "nadam, cycled β₁", spec: spec("nadam", { lr: 0.003 }), momentum: (k) => 0.95 - 0.005 * k },
];

/** Deterministic values of varied magnitude and sign; zero over the padding. */
function values(n: number, seed: number, scale: number): Float32Array {
  const data = new Float32Array(n + PADDING);
  for (let i = 0; i < n; i++) data[i] = scale * Math.sin(0.37 * (i + 1) * seed + seed) * (1 + (i % 7) * 0.5);
  return data;
}

describe("Adagrad, RMSprop, Adadelta, Adamax and NAdam kernels match the CPU reference over 20 steps", () => {
  /** The largest difference per case as a fraction of its tolerance, for the log. */
  const worst = new Map<string, number>();

  for (const c of CASES) {
    for (const n of SIZES) {
      it(`${c.name}, ${n} elements`, async () => {
        expect(supportsOptimizer(c.spec)).toBe(true);
        const total = n + PADDING;
        const kernel = emitOptimizer(c.spec, "p", "g", total, { cyclesMomentum: c.momentum !== undefined });
        const cpuParams = values(n, 1, 0.8);
        const cpuState = createState(c.spec, total, cpuParams);
        const buffers = new Map<number | string, Float32Array>([["p", Float32Array.from(cpuParams)], ["g", new Float32Array(total)]]);
        for (const name of optimizerStateNames(c.spec)) buffers.set(`p:${name}`, new Float32Array(total));
        for (const [name, value] of optimizerStateFills(c.spec)) buffers.get(`p:${name}`)!.fill(value);
        const runner = await KernelRunner.create(kernel, buffers);
        const deviceState: ScalarState = { step: 0, momentumStarted: false };
        const path = new Float64Array(total);
        const rounding = new Float64Array(total);
        try {
          for (let k = 0; k < STEPS; k++) {
            const lr = c.spec.lr * (1 + 0.3 * Math.sin(k));
            const momentum = c.momentum?.(k);
            const grads = values(n, k + 2, 1 + k * 0.1);
            const before = Float32Array.from(cpuParams);
            optimizerStep(c.spec, cpuParams, grads, cpuState, lr, momentum);
            runner.write("g", grads);
            runner.run({ batch: 1, step: k, scalars: nextOptimizerScalars(c.spec, deviceState, { lr, momentum }) });
            const device = (await runner.read(["p"])).get("p")!;
            for (let i = 0; i < total; i++) {
              path[i]! += Math.abs(cpuParams[i]! - before[i]!);
              rounding[i]! += 2 ** -24 * Math.abs(cpuParams[i]!);
              const error = Math.abs(device[i]! - cpuParams[i]!);
              const tolerance = RELATIVE * path[i]! + ROUNDINGS * rounding[i]!;
              if (i < n) worst.set(c.name, Math.max(worst.get(c.name) ?? 0, error / tolerance));
              if (i >= n) expect(device[i], `${c.name}: padding element ${i} at step ${k + 1}`).toBe(0);
              else if (!(error <= tolerance)) expect.fail(`${c.name}, step ${k + 1}, element ${i}: ${device[i]} on WebGPU, ${cpuParams[i]} on the CPU (travelled ${path[i]})`);
            }
          }
        } finally {
          runner.destroy();
        }
      });
    }
  }

  it("reports the largest difference", () => {
    console.log(`optimizer kernels vs CPU reference, largest difference as a fraction of the tolerance:\n${[...worst].map(([name, e]) => `  ${name}: ${e.toExponential(2)}`).join("\n")}`);
    expect(worst.size).toBe(CASES.length);
  });
});
