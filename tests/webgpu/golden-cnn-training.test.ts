// A small convolutional network trained for 20 steps of SGD with momentum against PyTorch 1.13
// (tests/golden/cnn_training.json, made by make_cnn_golden.py): conv2d with padding, a non-square kernel and
// stride, BatchNorm over channels with running statistics, maxpool, avgpool counting padding, flatten and
// dense, from the same initial weights (dslc's RNG, ported) on the same batches. On both backends: every
// step's loss, the final parameters, the running statistics and the loss in evaluation mode. Tolerance:
// 1e-4 relative + 1e-5 absolute (f32 over 20 steps of a deeper network, and convolutions summed in another
// order than PyTorch's).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import type { Program } from "../../runtime/program.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { replayRun, type ExpectedRun } from "../helpers/golden-run.js";

const golden = JSON.parse(fs.readFileSync("tests/golden/cnn_training.json", "utf8")) as {
  name: string;
  source: string;
  csv_name: string;
  csv: string;
  losses: number[];
  params: number[][];
  state: number[][];
  eval_loss: number;
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-golden-cnn-"));
fs.writeFileSync(path.join(dir, golden.csv_name), golden.csv);
const file = path.join(dir, "cnn.dl");
fs.writeFileSync(file, golden.source);
afterAll(() => fs.rmSync(dir, { recursive: true }));

const tolerance = { relative: 1e-4, absolute: 1e-5 };

/** PyTorch's values in dslc's parameter order (the fixture's order), then the BatchNorm state. */
function expected(program: Program): ExpectedRun {
  const values = new Map<number, { what: string; values: number[] }>();
  program.params.forEach((p, k) => values.set(p.node, { what: p.name, values: golden.params[k]! }));
  program.state.forEach((s, k) => values.set(s.node, { what: s.name, values: golden.state[k]! }));
  return { losses: golden.losses, values, evalLoss: golden.eval_loss };
}

describe(`${golden.name} matches PyTorch on both backends`, () => {
  const compiled = compileProgram(golden.source, file);
  it("lowers with the parameters PyTorch has, in the same order", () => {
    expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
    expect(compiled.program!.params.map((p) => p.shape)).toEqual([[4, 1, 3, 3], [4], [4], [4], [6, 4, 3, 2], [3, 24], [3]]);
    expect(compiled.program!.state.map((s) => s.shape)).toEqual([[4], [4]]);
  });
  it("CPU reference", async () => replayRun(compiled.program!, cpuBackend(compiled.program!), expected(compiled.program!), tolerance));
  it("WebGPU", async () => {
    const program = compiled.program!;
    await replayRun(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 4), expected(program), tolerance);
  }, 120_000);
});
