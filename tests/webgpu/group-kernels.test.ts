// The grouped WGSL update (parameter groups, runtime/param-groups.ts) against the CPU reference, for every
// optimizer with a kernel: one flat buffer of parameters of odd sizes (none a multiple of the 64-thread
// workgroup), each padded to 64 floats as runtime/webgpu/layout.ts places them, assigned to groups in an
// interleaved order so that the kernel's run table has many runs (the binary search's every branch). Each
// group overrides some of lr, weight decay and momentum; the host writes each group's scalars every step
// from a learning rate that changes every step (and a cycled momentum where a case says so). The CPU updates
// each parameter with its group's options (runtime/cpu/train.ts's path). Padding must stay exactly zero.
// Tolerance as tests/webgpu/optimizer-kernels.test.ts: 1e-5 of the path a parameter travelled plus 4 f32
// roundings of it per step (the CPU computes in f64 from stored f32 values, the device in f32).
import { describe, expect, it } from "vitest";
import { emitOptimizer } from "../../codegen/wgsl/optimizer.js";
import { createState, optimizerDefaults, optimizerStep, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { GroupScalars, groupHyper, groupSpecs, paramGroupIndices, type ParamGroupSpec } from "../../runtime/param-groups.js";
import { GROUP_SCALARS, packGroupScalars } from "../../runtime/webgpu/globals.js";
import { optimizerStateFills, optimizerStateNames } from "../../runtime/webgpu/state.js";
import { KernelRunner } from "../helpers/gpu.js";

const STEPS = 12;
const RELATIVE = 1e-5;
const ROUNDINGS = 4;
const ALIGN = 64;

/** Parameters of odd sizes, with roles and layer names the selectors pick by. */
const SIZES = [37, 1, 130, 65, 3, 200, 7, 1];
const PARAMS = SIZES.map((_, k) => ({ name: `layer_${k >> 1}.${k % 2 ? "bias" : "weight"}`, role: (k % 2 ? "bias" : "weight") as "weight" | "bias" }));

const base = <K extends OptimizerSpec["kind"]>(kind: K, options: Partial<Extract<OptimizerSpec, { kind: K }>>, groups: ParamGroupSpec[]): OptimizerSpec => ({ ...optimizerDefaults(kind), ...options, groups }) as OptimizerSpec;

interface Case {
  name: string;
  spec: OptimizerSpec;
  momentum?: (k: number) => number;
}

// layer_1 first, then biases (layer_1.bias is already taken), then layer_3: runs alternate along the buffer.
const GROUPS_LR_WD: ParamGroupSpec[] = [{ on: ["layer_1"], lr: 0.3 }, { on: ["biases"], weightDecay: 0 }, { on: ["layer_3"], lr: 0.05, weightDecay: 0.2 }];
const GROUPS_MOMENTUM: ParamGroupSpec[] = [{ on: ["biases"], momentum: 0 }, { on: ["layer_2", "layer_0"], momentum: 0.5, lr: 0.02 }, { on: ["layer_3"], weightDecay: 0.1 }];

const CASES: Case[] = [
  { name: "sgd, momentum 0.9, groups with momentum 0 and 0.5", spec: base("sgd", { lr: 0.05, momentum: 0.9, weightDecay: 0.01 }, GROUPS_MOMENTUM) },
  { name: "sgd without momentum, one group with momentum (nesterov off)", spec: base("sgd", { lr: 0.05 }, [{ on: ["weights"], momentum: 0.8, weightDecay: 0.05 }, { on: ["all"], lr: 0.1 }]) },
  { name: "adam, groups with lr and coupled decay", spec: base("adam", { lr: 0.01, weightDecay: 0.01 }, GROUPS_LR_WD) },
  { name: "adamw amsgrad, groups with lr and decoupled decay", spec: base("adamw", { lr: 0.01, weightDecay: 0.1, amsgrad: true }, GROUPS_LR_WD) },
  { name: "adagrad, groups", spec: base("adagrad", { lr: 0.1, lrDecay: 0.05, weightDecay: 0.01 }, GROUPS_LR_WD) },
  { name: "rmsprop centered, groups with momentum", spec: base("rmsprop", { lr: 0.01, centered: true, momentum: 0.9 }, GROUPS_MOMENTUM) },
  { name: "adadelta, groups", spec: base("adadelta", { lr: 0.5, weightDecay: 0.05 }, GROUPS_LR_WD) },
  { name: "adamax, groups, cycled β₁", spec: base("adamax", { lr: 0.02 }, GROUPS_LR_WD), momentum: (k) => 0.85 + 0.005 * k },
  { name: "nadam, groups", spec: base("nadam", { lr: 0.01, weightDecay: 0.01 }, GROUPS_LR_WD) },
];

function values(n: number, seed: number, scale: number): Float32Array {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = scale * Math.sin(0.37 * (i + 1) * seed + seed) * (1 + (i % 7) * 0.5);
  return data;
}

describe("the grouped optimizer update matches the CPU reference per parameter group", () => {
  const offsets: number[] = [];
  let total = 0;
  for (const n of SIZES) {
    offsets.push(total);
    total += Math.ceil(n / ALIGN) * ALIGN;
  }
  const worst = new Map<string, number>();

  for (const c of CASES) {
    it(c.name, async () => {
      const specs = groupSpecs(c.spec);
      const groupOf = paramGroupIndices(c.spec, PARAMS);
      const runs = SIZES.map((_, k) => ({ start: offsets[k]!, group: groupOf[k]! })).filter((r, k, all) => k === 0 || all[k - 1]!.group !== r.group);
      expect(runs.length).toBeGreaterThan(3);
      const momentumOf = (s: OptimizerSpec) => ("momentum" in s ? s.momentum : undefined);
      const kernel = emitOptimizer(c.spec, "p", "g", total, { cyclesMomentum: c.momentum !== undefined, groups: { buffer: GROUP_SCALARS, runs, momentum: specs.some((s) => momentumOf(s) !== momentumOf(specs[0]!)) } });
      const cpuParams = SIZES.map((n, k) => values(n, k + 1, 0.8));
      const cpuStates = SIZES.map((n, k) => createState(specs[groupOf[k]!]!, n, cpuParams[k]!));
      const flat = new Float32Array(total);
      cpuParams.forEach((p, k) => flat.set(p, offsets[k]!));
      const buffers = new Map<number | string, Float32Array>([["p", flat], ["g", new Float32Array(total)], [GROUP_SCALARS, new Float32Array(specs.length * 10)]]);
      for (const name of optimizerStateNames(c.spec)) buffers.set(`p:${name}`, new Float32Array(total));
      for (const [name, value] of optimizerStateFills(c.spec)) buffers.get(`p:${name}`)!.fill(value);
      const runner = await KernelRunner.create(kernel, buffers);
      const host = new GroupScalars(c.spec);
      const path = SIZES.map((n) => new Float64Array(n));
      const rounding = SIZES.map((n) => new Float64Array(n));
      try {
        for (let step = 0; step < STEPS; step++) {
          const hyper = { lr: c.spec.lr * (1 + 0.3 * Math.sin(step)), momentum: c.momentum?.(step) };
          const grads = SIZES.map((n, k) => values(n, step + 2 + k, 1 + step * 0.1));
          const before = cpuParams.map((p) => Float32Array.from(p));
          SIZES.forEach((_, k) => {
            const spec = specs[groupOf[k]!]!;
            const rate = groupHyper(specs[0]!, spec, hyper);
            optimizerStep(spec, cpuParams[k]!, grads[k]!, cpuStates[k]!, rate.lr, rate.momentum);
          });
          const flatGrads = new Float32Array(total);
          grads.forEach((g, k) => flatGrads.set(g, offsets[k]!));
          runner.write("g", flatGrads);
          const scalars = host.next(hyper);
          runner.write(GROUP_SCALARS, packGroupScalars(scalars, host.specs));
          runner.run({ batch: 1, step, scalars: scalars[0]! });
          const device = (await runner.read(["p"])).get("p")!;
          SIZES.forEach((n, k) => {
            const start = offsets[k]!;
            for (let i = 0; i < n; i++) {
              path[k]![i]! += Math.abs(cpuParams[k]![i]! - before[k]![i]!);
              rounding[k]![i]! += 2 ** -24 * Math.abs(cpuParams[k]![i]!);
              const error = Math.abs(device[start + i]! - cpuParams[k]![i]!);
              const tolerance = RELATIVE * path[k]![i]! + ROUNDINGS * rounding[k]![i]!;
              worst.set(c.name, Math.max(worst.get(c.name) ?? 0, error / tolerance));
              if (!(error <= tolerance)) expect.fail(`${c.name}, step ${step + 1}, ${PARAMS[k]!.name}[${i}] (group ${groupOf[k]}): ${device[start + i]} on WebGPU, ${cpuParams[k]![i]} on the CPU`);
            }
            for (let i = start + n; i < start + Math.ceil(n / ALIGN) * ALIGN; i++) expect(device[i], `${c.name}: padding element ${i}`).toBe(0);
          });
        }
      } finally {
        runner.destroy();
      }
    });
  }

  it("reports the largest difference", () => {
    console.log(`grouped optimizer kernels vs CPU reference, largest difference as a fraction of the tolerance:\n${[...worst].map(([name, e]) => `  ${name}: ${e.toExponential(2)}`).join("\n")}`);
    expect(worst.size).toBe(CASES.length);
  });
});
