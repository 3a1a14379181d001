// model.onnx runs in onnxruntime and agrees with the CPU reference interpreter running the same
// InferenceProgram (within 1e-5) on a batch of digits images: MLP with BatchNorm, conv + pooling, RepVGG.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { buildInference } from "../../compiler/export/build.js";
import { writeOnnx } from "../../runtime/inference/onnx.js";
import { OnnxMappingError } from "../../runtime/inference/onnx-ops.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { compileFile, compileSource, maxDifference, randomWeights, runInference } from "./models.js";

/** The first `n` images of the digits CSV (pixels 0–16, scaled to about unit range), shaped as the model wants. */
function digits(n: number, shape: number[]): Tensor {
  const rows = readFileSync("samples/data/digits.csv", "utf8").trim().split("\n");
  const header = rows[0]!.split(",");
  const label = header.indexOf("label");
  const data: number[] = [];
  for (const row of rows.slice(1, n + 1)) row.split(",").forEach((v, i) => i !== label && data.push(Number(v) / 8 - 1));
  return { shape: [n, ...shape], data: Float32Array.from(data) };
}

async function compare(file: string, seed: number) {
  const program = compileFile(file);
  const exported = buildInference(program, randomWeights(program, seed));
  const bytes = writeOnnx(exported.program, exported.weights);
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames).toEqual(["input"]);
  const x = digits(16, exported.program.inputShape);
  const result = await session.run({ input: new ort.Tensor("float32", x.data as Float32Array, x.shape) });
  const expected = runInference(exported.program.nodes, exported.program.input, exported.program.output, exported.weights, x);
  const output = result["output"]!;
  expect(maxDifference({ shape: [...output.dims], data: output.data as Float32Array }, expected)).toBeLessThan(1e-5);
  // The probabilities output is softmax over the classes.
  const p = result["probabilities"]!.data as Float32Array;
  for (let r = 0; r < 16; r++) expect(p.slice(r * 10, r * 10 + 10).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
  // Another batch size through the same model: the batch axis is symbolic.
  const one = await session.run({ input: new ort.Tensor("float32", (x.data as Float32Array).slice(0, x.data.length / 16), [1, ...exported.program.inputShape]) });
  expect(maxDifference({ shape: [10], data: one["output"]!.data as Float32Array }, { shape: [10], data: (output.data as Float32Array).slice(0, 10) })).toBeLessThan(1e-6);
  return exported;
}

describe("ONNX export", () => {
  it("MLP with BatchNorm and dropout", async () => {
    await compare("samples/digits_mlp.dl", 21);
  });
  it("CNN with BatchNorm and max pooling", async () => {
    await compare("samples/digits_cnn.dl", 22);
  });
  it("RepVGG with merged branches and average pooling", async () => {
    await compare("samples/digits_repvgg.dl", 23);
  });
  it("BatchNorms that stay unfolded (on the input, 2-D and 1-D) and gelu/silu/tanh", async () => {
    const source = `model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  h = x |> batchnorm |> conv2d(4, kernel: 3, padding: 1) |> gelu |> maxpool(2) |> flatten
  return h |> batchnorm |> silu |> dense(12) |> tanh |> dense(10)
}
train {
  data = csv("data/digits.csv", label: "label", shape: [1, 8, 8])
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
  batch 8
}`;
    const program = compileSource(source, "samples/export-test.dl");
    const exported = buildInference(program, randomWeights(program, 24));
    expect(exported.program.nodes.map((n) => n.op)).toContain("norm_apply");
    const session = await ort.InferenceSession.create(writeOnnx(exported.program, exported.weights));
    const x = digits(16, exported.program.inputShape);
    const result = await session.run({ input: new ort.Tensor("float32", x.data as Float32Array, x.shape) });
    const expected = runInference(exported.program.nodes, exported.program.input, exported.program.output, exported.weights, x);
    expect(maxDifference({ shape: [...result["output"]!.dims], data: result["output"]!.data as Float32Array }, expected)).toBeLessThan(1e-5);
  });

  it("Caffe's BatchNorm left unfolded (on the input), under `compat caffe`", async () => {
    const source = `model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  return x |> batchnorm |> conv2d(4, kernel: 3, padding: 1) |> relu |> flatten |> dense(10)
}
train {
  data = csv("data/digits.csv", label: "label", shape: [1, 8, 8])
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  compat caffe
  epochs 1
  batch 8
}`;
    const program = compileSource(source, "samples/export-test.dl");
    const exported = buildInference(program, randomWeights(program, 25));
    expect(exported.program.nodes.some((n) => n.op === "norm_apply" && n.attrs["scaled"])).toBe(true);
    const session = await ort.InferenceSession.create(writeOnnx(exported.program, exported.weights));
    const x = digits(16, exported.program.inputShape);
    const result = await session.run({ input: new ort.Tensor("float32", x.data as Float32Array, x.shape) });
    const expected = runInference(exported.program.nodes, exported.program.input, exported.program.output, exported.weights, x);
    expect(maxDifference({ shape: [...result["output"]!.dims], data: result["output"]!.data as Float32Array }, expected)).toBeLessThan(1e-5);
  });

  it("refuses an op without a mapping, naming it", () => {
    const program = compileFile("samples/digits_mlp.dl");
    const exported = buildInference(program, randomWeights(program, 1));
    const nodes = exported.program.nodes.map((n) => (n.op === "relu" ? { ...n, op: "maxout" } : n));
    expect(() => writeOnnx({ ...exported.program, nodes }, exported.weights)).toThrow(OnnxMappingError);
    expect(() => writeOnnx({ ...exported.program, nodes }, exported.weights)).toThrow(/`maxout`/);
  });
});
