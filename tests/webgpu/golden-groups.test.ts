// Whole training runs with parameter groups (`optimizer |> group(…)`) against PyTorch 1.13's param_groups
// (tests/golden/groups.json, made by make_group_golden.py): 20 steps of a two-layer MLP from dslc's initial
// weights on the same batches, with groups setting their own lr, weight decay and momentum, the first-match
// rule (`group(all, …)` after another group), a list selector, and schedules that scale each group's rate
// (per-epoch step and exponential) or set every group's (one_cycle, cycling β₁). On both backends: the loss
// of every step, the final parameters and the loss in evaluation mode, on WebGPU also with the parameters
// split over two chunks of flat buffers. Tolerance: 2e-5 relative + 2e-6
// absolute, as the other golden runs (f32 arithmetic on either side over 20 steps).
// Measured: at most 3.1e-7 on the CPU and 3.3e-7 on WebGPU (RMSprop with a momentum group), in one chunk or two.
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { runTraining } from "../../runtime/loop.js";
import { GoldenRuns, type NamedRun } from "../helpers/golden-run.js";

const runs = new GoldenRuns<NamedRun>("tests/golden/groups.json", { relative: 2e-5, absolute: 2e-6 });
const golden = runs.golden;

describe("training runs with parameter groups match PyTorch's param_groups on both backends", () => {
  for (const run of golden.runs) {
    const compiled = runs.compile(run);
    const kind = /optimizer = (\w+)\(/.exec(run.source)![1];
    it(`${run.name}: the file lowers with its groups and has one grouped WebGPU update`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      expect(compiled.program!.optimizer.groups?.length).toBe((run.source.match(/\|> group\(/g) ?? []).length);
      const updates = planKernels(compiled.program!).train.kernels.filter((k) => k.label === `${kind} update of all parameters`);
      expect(updates).toHaveLength(1);
      expect(updates[0]!.code).toContain("groupOf(i)");
    });
    // In two chunks, each chunk's update has its own run table, from element 0 of its chunk.
    runs.itReplaysOnBothBackends(run, compiled, { twoChunks: true });
  }

  it("the groups change training: without them the first run ends elsewhere", async () => {
    const run = golden.runs[0]!;
    const source = run.source.replace(/ \|> group\([^)]*\)/g, "");
    const program = runs.compile({ name: "without-groups", source }).program!;
    expect(program.optimizer.groups).toBeUndefined();
    const backend = cpuBackend(program);
    await runTraining(program, backend, {});
    const saved = (await backend.saveWeights()) as { params: Map<number, Float32Array> };
    const bias = saved.params.get(program.params.find((p) => p.name === "head.bias")!.node)!;
    const expected = run.params["head.bias"]!;
    expect(Math.max(...expected.map((v, i) => Math.abs(v - bias[i]!)))).toBeGreaterThan(1e-4);
  });

  it("logs the largest differences", () => {
    runs.logLargest();
    expect(runs.largest.size).toBe(3 * golden.runs.length);
  });
});
