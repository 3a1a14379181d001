// The bundle's WebGPU forward pass against the CPU reference on the same inference program and weights: an
// MLP with BatchNorm in evaluation mode and a CNN with max and average pooling, at odd batch sizes, with the
// largest batch both above and below the batch (so inputs run whole and in slices); and the programs
// `dslc export` builds (compiler/export/: BatchNorm folded, RepVGG merged). Tolerance: float32
// rounding of different summation orders, |gpu − cpu| ≤ 1e-5·(1 + |cpu|).
import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { planInference } from "../../codegen/inference/forward.js";
import { CpuInference } from "../../runtime/inference/cpu.js";
import { InferenceError } from "../../runtime/inference/errors.js";
import type { InferenceProgram } from "../../runtime/inference/types.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuInference } from "../../runtime/inference/webgpu.js";
import { buildInference } from "../../compiler/export/build.js";
import { CNN_POOL, compiled, evalInference, MLP_BN, randomBatch, randomWeights } from "./eval-program.js";

const TOLERANCE = 1e-5;
const runners: WebGpuInference[] = [];
afterAll(() => runners.forEach((r) => r.destroy()));

async function runner(program: InferenceProgram, weights: Map<string, Float32Array>, maxBatch: number): Promise<WebGpuInference> {
  const made = new WebGpuInference(await acquireDevice(), planInference(program), weights, maxBatch);
  runners.push(made);
  return made;
}

function expectClose(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!));
    if (!(excess <= TOLERANCE)) throw new Error(`value ${i}: WebGPU ${actual[i]} but the CPU reference ${expected[i]}`);
    worst = Math.max(worst, excess);
  }
  return worst;
}

describe.each([
  ["an MLP with BatchNorm (evaluation mode) and dropout", MLP_BN],
  ["a CNN with BatchNorm, max and average pooling", CNN_POOL],
])("WebGPU forward pass equals the CPU reference: %s", (_, source) => {
  const program = evalInference(compiled(source));
  const weights = randomWeights(program, 11);
  const cpu = new CpuInference(program, weights);

  it("has no training-only node left", () => {
    expect(program.nodes.map((n) => n.op)).not.toEqual(expect.arrayContaining(["dropout"]));
    expect(program.nodes.some((n) => ["select_mode", "state", "mean_batch", "batchnorm_running_update"].includes(n.op))).toBe(false);
    expect(program.nodes.some((n) => n.name?.endsWith("running_var"))).toBe(true);
  });

  it.each([1, 7, 130])("on a batch of %i, whole (largest batch 256) and in slices of 64", async (n) => {
    const batch = randomBatch(program, n, 100 + n);
    const expected = cpu.run(batch, n);
    expect(expected.some((v) => v !== 0)).toBe(true);
    expectClose(await (await runner(program, weights, 256)).run(batch, n), expected);
    expectClose(await (await runner(program, weights, 64)).run(batch, n), expected);
  });
});

describe("WebGPU forward pass equals the CPU reference on exported (folded, merged) programs", () => {
  it.each([
    ["MLP with BatchNorm", MLP_BN, "inference-test"],
    ["CNN with BatchNorm and pooling", CNN_POOL, "inference-test"],
    ["RepVGG (samples/digits_repvgg.dl)", fs.readFileSync("samples/digits_repvgg.dl", "utf8"), "digits_repvgg"],
  ])("%s, on a batch of 37 in slices of 16", async (_, source, name) => {
    const training = compiled(source, name);
    const random = randomWeights(evalInference(training), 3);
    const exported = buildInference(training, new Map([...training.params, ...training.state].map((p) => [p.name, { shape: p.shape, data: random.get(p.name)! }])));
    // Folding leaves no normalization behind: BatchNorm is in the convolutions' and dense layers' weights.
    expect(exported.program.nodes.some((n) => n.op === "norm_apply" || n.op === "rsqrt")).toBe(false);
    const weights = new Map([...exported.weights].map(([key, t]) => [key, Float32Array.from(t.data)]));
    const batch = randomBatch(exported.program, 37, 9);
    expectClose(await (await runner(exported.program, weights, 16)).run(batch, 37), new CpuInference(exported.program, weights).run(batch, 37));
  });
});

describe("the WebGPU runner refuses what does not fit", () => {
  const program = evalInference(compiled(MLP_BN));
  const weights = randomWeights(program, 3);

  it("weights of another shape (E0830) and a batch of the wrong size (E0831)", async () => {
    const wrong = new Map(weights);
    wrong.set("dense_0.weight", new Float32Array(5));
    await expect(runner(program, wrong, 8)).rejects.toMatchObject({ code: "E0830", message: expect.stringContaining("`dense_0.weight` has 5 values") });
    const ok = await runner(program, weights, 8);
    await expect(ok.run(new Float32Array(13), 2)).rejects.toBeInstanceOf(InferenceError);
    await expect(ok.run(new Float32Array(13), 2)).rejects.toMatchObject({ code: "E0831" });
  });
});
