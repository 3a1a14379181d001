// Whole training runs with parameter groups (`optimizer |> group(…)`) against PyTorch 1.13's param_groups
// (tests/golden/groups.json, made by make_group_golden.py): 20 steps of a two-layer MLP from dslc's initial
// weights on the same batches, with groups setting their own lr, weight decay and momentum, the first-match
// rule (`group(all, …)` after another group), a list selector, and schedules that scale each group's rate
// (per-epoch step and exponential) or set every group's (one_cycle, cycling β₁). On both backends: the loss
// of every step, the final parameters and the loss in evaluation mode, on WebGPU also with the parameters
// split over two chunks of flat buffers. Tolerance: 2e-5 relative + 2e-6
// absolute, as the other golden runs (f32 arithmetic on either side over 20 steps).
// Measured: at most 3.1e-7 on the CPU and 3.3e-7 on WebGPU (RMSprop with a momentum group), in one chunk or two.
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
import { close } from "../helpers/golden-run.js";

const RELATIVE = 2e-5;
const ABSOLUTE = 2e-6;
/** Two parameters per chunk: each is padded to 64 floats (256 bytes). */
const TWO_PER_CHUNK = 2 * 64 * 4;

interface Run {
  name: string;
  source: string;
  losses: number[];
  params: Record<string, number[]>;
  eval_loss: number;
}

const golden = JSON.parse(fs.readFileSync("tests/golden/groups.json", "utf8")) as { tiny_csv: string; steps: number; runs: Run[] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-golden-groups-"));
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

describe("training runs with parameter groups match PyTorch's param_groups on both backends", () => {
  for (const run of golden.runs) {
    const file = path.join(dir, `${run.name.replace(/\W+/g, "_")}.dl`);
    fs.writeFileSync(file, run.source);
    const compiled = compileProgram(run.source, file);
    const kind = /optimizer = (\w+)\(/.exec(run.source)![1];
    it(`${run.name}: the file lowers with its groups and has one grouped WebGPU update`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      expect(compiled.program!.optimizer.groups?.length).toBe((run.source.match(/\|> group\(/g) ?? []).length);
      const updates = planKernels(compiled.program!).train.kernels.filter((k) => k.label === `${kind} update of all parameters`);
      expect(updates).toHaveLength(1);
      expect(updates[0]!.code).toContain("groupOf(i)");
    });
    it(`${run.name}: CPU reference`, async () => replay(compiled.program!, cpuBackend(compiled.program!), run, `${run.name}, CPU`));
    it(`${run.name}: WebGPU`, async () => {
      const program = compiled.program!;
      await replay(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 3), run, `${run.name}, WebGPU`);
    }, 120_000);
    it(`${run.name}: WebGPU with the parameters in two chunks`, async () => {
      // Two parameters per chunk: each chunk's update has its own run table, from element 0 of its chunk.
      const program = compiled.program!;
      const plan = planKernels(program, { bindingLimit: TWO_PER_CHUNK });
      expect(plan.layout.chunks).toHaveLength(2);
      await replay(program, new WebGpuBackend(await acquireDevice(), program, plan, program.loop.seed, 3), run, `${run.name}, WebGPU in two chunks`);
    }, 120_000);
  }

  it("the groups change training: without them the first run ends elsewhere", async () => {
    const run = golden.runs[0]!;
    const source = run.source.replace(/ \|> group\([^)]*\)/g, "");
    const file = path.join(dir, "without-groups.dl");
    fs.writeFileSync(file, source);
    const program = compileProgram(source, file).program!;
    expect(program.optimizer.groups).toBeUndefined();
    const backend = cpuBackend(program);
    await runTraining(program, backend, {});
    const saved = (await backend.saveWeights()) as { params: Map<number, Float32Array> };
    const bias = saved.params.get(program.params.find((p) => p.name === "head.bias")!.node)!;
    const expected = run.params["head.bias"]!;
    expect(Math.max(...expected.map((v, i) => Math.abs(v - bias[i]!)))).toBeGreaterThan(1e-4);
  });

  it("logs the largest differences", () => {
    console.log(`largest difference from PyTorch (losses, parameters, evaluation loss):\n${[...largest].map(([label, e]) => `  ${label}: ${e.toExponential(2)}`).join("\n")}`);
    expect(largest.size).toBe(3 * golden.runs.length);
  });
});
