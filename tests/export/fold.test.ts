// The folded and merged export computes what the trained model computes in evaluation mode (within 1e-5),
// and the folding really happened: no BatchNorm, dropout or select_mode is left in dense+BN, conv+BN and
// RepVGG models, and RepVGG's blocks are one 3×3 conv each.
import { describe, expect, it } from "vitest";
import { buildInference } from "../../compiler/export/build.js";
import { compileFile, compileSource, evalOutput, maxDifference, randomBatch, randomWeights, runInference } from "./models.js";

const TRAINING_OR_NORM = ["norm_apply", "norm_stats", "select_mode", "dropout", "mean_batch", "rsqrt", "sub"];

function check(file: string, seed: number) {
  const program = compileFile(file);
  const weights = randomWeights(program, seed);
  const exported = buildInference(program, weights);
  const x = randomBatch(exported.program.inputShape, 12, seed + 1);
  const diff = maxDifference(runInference(exported.program.nodes, exported.program.input, exported.program.output, exported.weights, x), evalOutput(program, weights, x));
  expect(diff).toBeLessThan(1e-5);
  return exported;
}

const ops = (e: ReturnType<typeof buildInference>) => e.program.nodes.map((n) => n.op);

describe("export folding", () => {
  it("folds dense + BatchNorm (1-D) and removes dropout", () => {
    const e = check("samples/digits_mlp.dl", 11);
    expect(ops(e).filter((op) => TRAINING_OR_NORM.includes(op) || op === "mul")).toEqual([]);
    expect(ops(e).filter((op) => op === "matmul")).toHaveLength(3);
    // Two BatchNorms, each one `norm_apply` ((x − mean) · rsqrt(var + eps) · γ + β), nothing counted twice.
    expect(e.stats.foldedOps).toBe(2);
    expect(e.program.prediction).toBe("softmax");
    expect(e.program.inputShape).toEqual([64]);
    expect(e.program.outputShape).toEqual([10]);
  });

  it("folds conv + BatchNorm, a conv with and one without its own bias", () => {
    check("samples/digits_cnn.dl", 12);
    const e = check("samples/digits_cnn.dl", 13);
    expect(ops(e).filter((op) => TRAINING_OR_NORM.includes(op))).toEqual([]);
    expect(ops(e).filter((op) => op === "conv2d")).toHaveLength(2);
    const source = `model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  return x |> conv2d(4, kernel: 3, padding: 1, bias: false) |> batchnorm |> relu |> avgpool(2) |> flatten |> dense(10)
}
train {
  data = csv("data/digits.csv", label: "label", shape: [1, 8, 8])
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
  batch 8
}`;
    const program = compileSource(source, "samples/export-test.dl");
    const weights = randomWeights(program, 5);
    const f = buildInference(program, weights);
    expect(ops(f).filter((op) => TRAINING_OR_NORM.includes(op))).toEqual([]);
    const conv = f.program.nodes.find((n) => n.op === "conv2d")!;
    expect(conv.inputs).toHaveLength(3);
    const x = randomBatch([1, 8, 8], 5, 9);
    expect(maxDifference(runInference(f.program.nodes, f.program.input, f.program.output, f.weights, x), evalOutput(program, weights, x))).toBeLessThan(1e-5);
  });

  it("merges RepVGG's three branches into one 3×3 conv per block", () => {
    const e = check("samples/digits_repvgg.dl", 14);
    expect(ops(e).filter((op) => TRAINING_OR_NORM.includes(op) || op === "add" && false)).toEqual([]);
    const convs = e.program.nodes.filter((n) => n.op === "conv2d");
    expect(convs).toHaveLength(4);
    for (const c of convs) expect(e.program.nodes[c.inputs[1]!]!.shape.slice(2)).toEqual([3, 3]);
    // The only add left is the classifier's bias.
    expect(ops(e).filter((op) => op === "add")).toHaveLength(1);
    expect(e.stats.mergedBranches).toBe(6);
  });

  it("folds Caffe's BatchNorm (running sums divided by their scale factor) under `compat caffe`", () => {
    const source = `model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  return x |> conv2d(4, kernel: 3, padding: 1) |> batchnorm |> relu |> flatten |> dense(16) |> batchnorm |> relu |> dense(10)
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
    expect(program.nodes.some((n) => n.attrs["scaled"])).toBe(true);
    const weights = randomWeights(program, 6);
    const e = buildInference(program, weights);
    expect(ops(e).filter((op) => TRAINING_OR_NORM.includes(op))).toEqual([]);
    const x = randomBatch([1, 8, 8], 7, 8);
    expect(maxDifference(runInference(e.program.nodes, e.program.input, e.program.output, e.weights, x), evalOutput(program, weights, x))).toBeLessThan(1e-5);
  });

  it("keeps an unfoldable BatchNorm (on the input) as an evaluation-mode op", () => {
    const source = `model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  return x |> batchnorm |> conv2d(3, kernel: 3, padding: 1) |> relu |> flatten |> dense(10)
}
train {
  data = csv("data/digits.csv", label: "label", shape: [1, 8, 8])
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
  batch 8
}`;
    const program = compileSource(source, "samples/export-test.dl");
    const weights = randomWeights(program, 3);
    const e = buildInference(program, weights);
    expect(ops(e)).toContain("norm_apply");
    expect(ops(e)).not.toContain("select_mode");
    const x = randomBatch([1, 8, 8], 6, 4);
    expect(maxDifference(runInference(e.program.nodes, e.program.input, e.program.output, e.weights, x), evalOutput(program, weights, x))).toBeLessThan(1e-5);
  });

  it("refuses weights that do not match the model, naming the tensor", () => {
    const program = compileFile("samples/digits_cnn.dl");
    const weights = randomWeights(program, 1);
    weights.set("conv2d_0.weight", { shape: [8, 1, 3, 3], data: new Float32Array(72) });
    expect(() => buildInference(program, weights)).toThrow(/conv2d_0\.weight.*\[8, 1, 3, 3\]/);
    weights.delete("conv2d_0.weight");
    expect(() => buildInference(program, weights)).toThrow(expect.objectContaining({ code: "E0820", message: expect.stringContaining("conv2d_0.weight") }));
  });
});
