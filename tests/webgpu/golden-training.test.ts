// Whole training runs against PyTorch 1.13 (tests/golden/training.json, made by make_golden.py): two .dl
// files with positional and `let`-valued initializer, optimizer and schedule arguments, BatchNorm without
// affine parameters and without running statistics, SGD with a per-epoch exponential decay, Adam with
// one_cycle cycling β₁. PyTorch replays each from the same initial weights (dslc's RNG, ported) on the same
// batches. On both backends: the loss of every step (log_every 1), the final parameters, the BatchNorm
// running estimates and the loss in evaluation mode. Tolerance: 2e-5 relative + 2e-6 (f32 arithmetic over
// nine steps, on either side).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { loadSource } from "../../runtime/data/sources.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";

interface Run {
  name: string;
  source: string;
  losses: number[];
  params: Record<string, number[]>;
  state?: Record<string, number[]>;
  eval_loss: number;
}

const golden = JSON.parse(fs.readFileSync("tests/golden/training.json", "utf8")) as { tiny_csv: string; runs: Run[] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-golden-"));
fs.writeFileSync(path.join(dir, "tiny.csv"), golden.tiny_csv);
afterAll(() => fs.rmSync(dir, { recursive: true }));

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs PyTorch's ${expected[i]}`).toBeLessThanOrEqual(2e-5 * Math.abs(expected[i]!) + 2e-6);
  }
}

async function replay(program: Program, backend: TrainingBackend & { destroy?: () => void }, run: Run): Promise<void> {
  const losses: number[] = [];
  await runTraining(program, backend, { onLog: (e) => losses.push(e.loss) });
  close(losses, run.losses, "loss per step");
  const saved = (await backend.saveWeights()) as Map<number, Float32Array> | { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
  const values = saved instanceof Map ? saved : new Map([...saved.params, ...saved.state]);
  for (const [name, expected] of Object.entries(run.params)) close(values.get(program.params.find((p) => p.name === name)!.node)!, expected, name);
  for (const [name, expected] of Object.entries(run.state ?? {})) close(values.get(program.state.find((s) => s.name === name)!.node)!, expected, name);
  const data = loadSource(program.data.source, program.loop.seed);
  close([(await backend.evaluate(data)).loss], [run.eval_loss], "loss in evaluation mode");
  backend.destroy?.();
}

describe("training runs match PyTorch on both backends", () => {
  for (const run of golden.runs) {
    const file = path.join(dir, `${run.name.replace(/\W+/g, "_")}.dl`);
    fs.writeFileSync(file, run.source);
    const compiled = compileProgram(run.source, file);
    it(`${run.name}: the file lowers as written`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      // The Program holds each argument the text gives (positional or through a `let`), not a default.
      const { optimizer, schedule } = compiled.program!;
      expect([optimizer, schedule.spec]).toMatchObject(run.source.includes("sgd(") ? [{ kind: "sgd", lr: 0.1, momentum: 0.9 }, { kind: "exponential", gamma: 0.5 }] : [{ kind: "adam", beta1: 0.8, beta2: 0.95 }, { kind: "one_cycle", maxLr: 0.05, pctStart: 0.4, total: 9 }]);
    });
    it(`${run.name}: CPU reference`, async () => replay(compiled.program!, cpuBackend(compiled.program!), run));
    it(`${run.name}: WebGPU`, async () => {
      const program = compiled.program!;
      await replay(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 4), run);
    }, 120_000);
  }
});
