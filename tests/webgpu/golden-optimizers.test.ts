// Whole training runs with Adagrad, RMSprop, Adadelta, Adamax and NAdam against PyTorch 1.13
// (tests/golden/optimizer_training.json, made by make_optimizer_golden.py): 20 steps of a two-layer MLP from
// dslc's initial weights on the same batches, under constant, per-epoch exponential and momentum-cycling
// one_cycle schedules. On both backends: the loss of every step (log_every 1), the final parameters and the
// loss in evaluation mode. Tolerance: 2e-5 relative + 2e-6 absolute (f32 arithmetic on either side over 20
// steps). Measured: at most 6.0e-7 on WebGPU (RMSprop centered with momentum), 4.8e-7 on the CPU.
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { supportsOptimizer } from "../../codegen/wgsl/optimizer.js";
import { GoldenRuns, type NamedRun } from "../helpers/golden-run.js";

const runs = new GoldenRuns<NamedRun>("tests/golden/optimizer_training.json", { relative: 2e-5, absolute: 2e-6 });
const golden = runs.golden;

describe("training runs with Adagrad, RMSprop, Adadelta, Adamax and NAdam match PyTorch on both backends", () => {
  for (const run of golden.runs) {
    const compiled = runs.compile(run);
    const kind = /optimizer = (\w+)\(/.exec(run.source)![1];
    it(`${run.name}: the file lowers as written and has one WebGPU update`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      expect(compiled.program!.optimizer.kind).toBe(kind);
      expect(supportsOptimizer(compiled.program!.optimizer)).toBe(true);
      // One update dispatch for all parameters (they fit one chunk of the flat buffers).
      expect(planKernels(compiled.program!).train.kernels.filter((k) => k.label === `${kind} update of all parameters`)).toHaveLength(1);
    });
    runs.itReplaysOnBothBackends(run, compiled);
  }

  it("logs the largest differences", () => {
    runs.logLargest();
    expect(runs.largest.size).toBe(2 * golden.runs.length);
  });
});
