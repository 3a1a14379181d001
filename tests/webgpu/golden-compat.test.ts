// Training runs under `compat caffe` and `compat keras` against Caffe's and Keras' update rules
// (tests/golden/compat.json, made by make_compat_golden.py from the frameworks' formulas): 20 steps of a
// two-layer MLP from dslc's initial weights under a per-epoch exponential schedule, so the rate changes while
// SGD's velocity carries old gradients. On both backends: the loss of every step, the final parameters and the
// loss in evaluation mode. Tolerance: 2e-5 relative + 2e-6 absolute (f32 arithmetic on either side over 20
// steps, as tests/webgpu/golden-optimizers.test.ts). Each SGD run is also trained under `compat pytorch`,
// which must miss the golden by far more than the tolerance: the preset is what makes it match.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { supportsOptimizer } from "../../codegen/wgsl/optimizer.js";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { loadSource } from "../../runtime/data/sources.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { close } from "../helpers/golden-run.js";

const RELATIVE = 2e-5;
const ABSOLUTE = 2e-6;

interface Run {
  name: string;
  source: string;
  losses: number[];
  params: Record<string, number[]>;
  eval_loss: number;
}

const golden = JSON.parse(fs.readFileSync("tests/golden/compat.json", "utf8")) as { tiny_csv: string; steps: number; runs: Run[] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-golden-compat-"));
fs.writeFileSync(path.join(dir, "tiny.csv"), golden.tiny_csv);
afterAll(() => fs.rmSync(dir, { recursive: true }));

/** The largest difference from PyTorch over every compared number, per backend, for the log. */
const largest = new Map<string, number>();

async function replay(program: Program, backend: TrainingBackend & { destroy?: () => void }, run: Run, label: string): Promise<void> {
  const losses: number[] = [];
  await runTraining(program, backend, { onLog: (e) => losses.push(e.loss) });
  expect(losses.length).toBe(golden.steps);
  const saved = (await backend.saveWeights()) as Map<number, Float32Array> | { params: Map<number, Float32Array> };
  const params = saved instanceof Map ? saved : saved.params;
  const evalLoss = (await backend.evaluate(loadSource(program.data.source, program.loop.seed))).loss;
  backend.destroy?.();
  const compared: [ArrayLike<number>, number[], string][] = [[losses, run.losses, "loss per step"], [[evalLoss], [run.eval_loss], "loss in evaluation mode"]];
  for (const [name, values] of Object.entries(run.params)) compared.push([params.get(program.params.find((p) => p.name === name)!.node)!, values, name]);
  for (const [actual, expected] of compared) {
    for (let i = 0; i < expected.length; i++) largest.set(label, Math.max(largest.get(label) ?? 0, Math.abs(actual[i]! - expected[i]!)));
  }
  for (const [actual, expected, what] of compared) close(actual, expected, what, RELATIVE, ABSOLUTE);
}

describe("training runs under compat caffe and compat keras match those frameworks' update rules on both backends", () => {
  for (const run of golden.runs) {
    const file = path.join(dir, `${run.name.replace(/\W+/g, "_")}.dl`);
    fs.writeFileSync(file, run.source);
    const compiled = compileProgram(run.source, file);
    const compat = /compat (\w+)/.exec(run.source)![1];
    it(`${run.name}: the file lowers with the preset and has one WebGPU update`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      expect(compiled.program!.optimizer.compat).toBe(compat);
      expect(supportsOptimizer(compiled.program!.optimizer)).toBe(true);
      const kind = compiled.program!.optimizer.kind;
      expect(planKernels(compiled.program!).train.kernels.filter((k) => k.label === `${kind} update of all parameters`)).toHaveLength(1);
    });
    it(`${run.name}: CPU reference`, async () => replay(compiled.program!, cpuBackend(compiled.program!), run, `${run.name}, CPU`));
    it(`${run.name}: WebGPU`, async () => {
      const program = compiled.program!;
      await replay(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 3), run, `${run.name}, WebGPU`);
    }, 120_000);
    if (run.source.includes("sgd(")) {
      it(`${run.name}: PyTorch's convention does not match (the golden sees the preset)`, async () => {
        const pytorch = compileProgram(run.source.replace(/compat \w+/, "compat pytorch"), file).program!;
        const losses: number[] = [];
        await runTraining(pytorch, cpuBackend(pytorch), { onLog: (e) => losses.push(e.loss) });
        const gap = Math.max(...losses.map((l, i) => Math.abs(l - run.losses[i]!)));
        expect(gap).toBeGreaterThan(100 * (RELATIVE + ABSOLUTE));
      });
    }
  }

  it("logs the largest differences", () => {
    console.log(`largest difference from the frameworks' rules (losses, parameters, evaluation loss):\n${[...largest].map(([label, e]) => `  ${label}: ${e.toExponential(2)}`).join("\n")}`);
    expect(largest.size).toBe(2 * golden.runs.length);
  });
});
