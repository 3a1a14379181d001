// Gradient clipping (by global norm and by value), the max-norm constraint and the L1 and elastic-net
// penalties in whole training runs against PyTorch 1.13 (tests/golden/clip.json, made by
// make_clip_golden.py): 20 steps of a two-layer MLP from dslc's initial weights on the same batches. On both
// backends, and on WebGPU also with the parameters split over two chunks of flat buffers (the global norm
// then adds partial sums of both). Compared: the loss of every step (log_every 1), the final parameters and
// the loss in evaluation mode. Tolerance: 2e-5 relative + 2e-6 absolute (f32 arithmetic on either side over
// 20 steps, as the other golden runs). Measured maxima are logged by the last test.
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { GoldenRuns, type NamedRun } from "../helpers/golden-run.js";

interface Run extends NamedRun {
  /** Steps on which PyTorch's clipping changed a gradient, and on which renorm changed a weight. */
  clipped: number;
  renormed: number;
}

const runs = new GoldenRuns<Run>("tests/golden/clip.json", { relative: 2e-5, absolute: 2e-6 });
const golden = runs.golden;

describe("clipping, max-norm, L1 and elastic net match PyTorch on both backends", () => {
  for (const run of golden.runs) {
    const compiled = runs.compile(run);
    it(`${run.name}: the file lowers as written, and its thresholds bite on some steps only`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      const program = compiled.program!;
      expect(program.clip !== undefined).toBe(/clip =/.test(run.source));
      expect(program.maxNorm !== undefined).toBe(/max_norm\(/.test(run.source));
      // A threshold that always or never bites would not tell clipping (or renorm) from its absence or from
      // an unconditional rescale.
      if (program.clip) expect(run.clipped).toBeGreaterThan(0), expect(run.clipped).toBeLessThan(golden.steps);
      if (program.maxNorm) expect(run.renormed).toBeGreaterThan(0), expect(run.renormed).toBeLessThan(golden.steps);
      const kernels = planKernels(program).train.kernels.map((k) => k.label);
      // Still one optimizer update for all parameters; by norm, one Σg² dispatch per chunk and one coefficient.
      expect(kernels.filter((l) => / update of all parameters$/.test(l))).toHaveLength(1);
      expect(kernels.filter((l) => l.startsWith("sum of squared gradients"))).toHaveLength(program.clip?.kind === "norm" ? 1 : 0);
      expect(kernels.filter((l) => l === "gradient clipping coefficient")).toHaveLength(program.clip?.kind === "norm" ? 1 : 0);
      expect(kernels.filter((l) => l.startsWith("max-norm constraint"))).toHaveLength(program.maxNorm ? 1 : 0);
    });
    runs.itReplaysOnBothBackends(run, compiled, { twoChunks: compiled.program?.clip?.kind === "norm" || !!compiled.program?.maxNorm });
  }

  it("logs the largest differences", () => {
    runs.logLargest();
    expect(runs.largest.size).toBeGreaterThanOrEqual(2 * golden.runs.length);
  });
});
