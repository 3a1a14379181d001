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
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { expectedRun as expected, replayRun, type NamedRun } from "../helpers/golden-run.js";

const golden = JSON.parse(fs.readFileSync("tests/golden/training.json", "utf8")) as { tiny_csv: string; runs: NamedRun[] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-golden-"));
fs.writeFileSync(path.join(dir, "tiny.csv"), golden.tiny_csv);
afterAll(() => fs.rmSync(dir, { recursive: true }));

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
    it(`${run.name}: CPU reference`, async () => replayRun(compiled.program!, cpuBackend(compiled.program!), expected(compiled.program!, run)));
    it(`${run.name}: WebGPU`, async () => {
      const program = compiled.program!;
      await replayRun(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 4), expected(program, run));
    }, 120_000);
  }
});
