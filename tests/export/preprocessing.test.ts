// The exported model takes examples as the data file holds them: the data pipeline's `scale` and fitted
// transforms (standardize, center, pca, whiten), fitted on the run's training split, are prepended to the
// model. On raw rows of the validation split, the export (CPU reference, WebGPU and onnxruntime) gives the original
// model's evaluation-mode outputs on the preprocessed split within 1e-5; without the preprocessing it would not.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { buildInference } from "../../compiler/export/build.js";
import { fitPreprocessing, prependPreprocessing } from "../../compiler/export/preprocessing.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import { writeOnnx } from "../../runtime/inference/onnx.js";
import { CpuInference } from "../../runtime/inference/cpu.js";
import { loadModel } from "../../runtime/inference/model.js";
import { WebGpuInference } from "../../runtime/inference/webgpu.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { planInference } from "../../codegen/inference/forward.js";
import type { Program } from "../../runtime/program.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { dslc } from "../helpers/cli.js";
import { compileFile, compileSource, evalOutput, maxDifference, randomWeights, runInference } from "./models.js";

const DIGITS = path.resolve("samples/data/digits.csv");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-export-pre-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The validation split as training sees it (preprocessed) and as the data file holds it (raw, same rows). */
function validation(program: Program, seed: number): { preprocessed: Tensor; raw: Float32Array; n: number } {
  const val = prepareData(program.data, seed).val!;
  const source = { ...program.data.source, ...("scale" in program.data.source ? { scale: 1 } : {}) } as Program["data"]["source"];
  const raw = prepareData({ ...program.data, source, transforms: [] }, seed).val!;
  expect(raw.count).toBe(val.count);
  const shape = program.nodes[program.input]!.shape.slice(1) as number[];
  return { preprocessed: { shape: [val.count, ...shape], data: val.x }, raw: raw.x, n: val.count };
}

const flat = (w: Map<string, Tensor>) => new Map([...w].map(([name, t]) => [name, Float32Array.from(t.data)]));
const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => maxDifference({ shape: [a.length], data: Float32Array.from(a) }, { shape: [b.length], data: Float32Array.from(b) });

async function agreesOnRawRows(text: string, seed: number) {
  const program = compileSource(text, path.join(tmp, "model.dl"));
  const weights = randomWeights(program, seed);
  const { preprocessed, raw, n } = validation(program, program.loop.seed);
  const reference = evalOutput(program, weights, preprocessed).data;
  const plain = buildInference(program, weights);
  const exported = prependPreprocessing(plain, fitPreprocessing(program));
  const cpu = new CpuInference(exported.program, flat(exported.weights)).run(raw, n);
  expect(diff(cpu, reference)).toBeLessThan(1e-5);
  const session = await ort.InferenceSession.create(writeOnnx(exported.program, exported.weights));
  const onnx = (await session.run({ input: new ort.Tensor("float32", raw, [n, ...exported.program.inputShape]) }))["output"]!.data as Float32Array;
  expect(diff(onnx, reference)).toBeLessThan(1e-5);
  // The bundle's WGSL forward pass (lavapipe here) on the same raw rows, in slices of 64.
  const gpu = new WebGpuInference(await acquireDevice(), planInference(exported.program), flat(exported.weights), 64);
  try {
    const out = await gpu.run(raw, n);
    for (let i = 0; i < reference.length; i++) expect(Math.abs(out[i]! - reference[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(reference[i]!)));
  } finally {
    gpu.destroy();
  }
  // The same rows without the preprocessing: what a bundle that dropped it would predict.
  if (plain.program.inputShape.join(",") === exported.program.inputShape.join(",")) expect(diff(new CpuInference(plain.program, flat(plain.weights)).run(raw, n), reference)).toBeGreaterThan(1e-2);
  return exported;
}

const mlp = (data: string, features = 64) => `model M(x: f32[N, ${features}]) -> f32[N, 10] {
  return x |> dense(16) |> batchnorm |> relu |> dense(10)
}
train {
  data = ${data}
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
  batch 32
  seed 11
}
`;

describe("export prepends the data pipeline's preprocessing", () => {
  it("csv `scale` + standardize: raw pixel values in, the trained model's outputs out", async () => {
    const exported = await agreesOnRawRows(mlp(`csv("${DIGITS}", label: "label", scale: 0.0625) |> split(val: 0.2) |> standardize`), 3);
    expect(exported.program.preprocessing).toEqual(["multiply by 0.0625 (the data source's `scale`)", expect.stringMatching(/^standardize per feature: /)]);
    expect(exported.weights.get("input.shift")!.shape).toEqual([64]);
  });

  it("per-channel center of [1, 8, 8] images, then ZCA whitening (a CNN)", async () => {
    const text = `model C(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  return x |> conv2d(4, kernel: 3, padding: 1) |> batchnorm |> relu |> maxpool(2) |> flatten |> dense(10)
}
train {
  data = csv("${DIGITS}", label: "label", shape: [1, 8, 8]) |> split(val: 0.2) |> center(per: channel) |> whiten(eps: 0.1)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
  batch 32
}
`;
    const exported = await agreesOnRawRows(text, 4);
    // One value per channel, broadcast over the image.
    expect(exported.weights.get("input.0.shift")!.shape).toEqual([1, 1, 1]);
    expect(exported.program.inputShape).toEqual([1, 8, 8]);
  });

  it("pca to 20 whitened components: the bundle takes the 64 raw features", async () => {
    const exported = await agreesOnRawRows(mlp(`csv("${DIGITS}", label: "label") |> split(val: 0.25) |> subset(n: 500) |> pca(components: 20, whiten: true, eps: 0.01)`, 20), 5);
    expect(exported.program.inputShape).toEqual([64]);
    expect(exported.weights.get("input.projection")!.shape).toEqual([64, 20]);
  });

  it("`dslc export` of a checkpoint trained with --seed fits the run's own split, and onnxruntime and predict's runner agree", async () => {
    const dir = path.join(tmp, "trained");
    fs.mkdirSync(dir);
    const file = path.join(dir, "tiny.dl");
    fs.writeFileSync(file, mlp(`csv("${DIGITS}", label: "label", scale: 0.0625) |> split(val: 0.2) |> subset(n: 256) |> standardize`).replace("epochs 1", "epochs 1\n  checkpoint(every: 1 epochs, path: \"checkpoints\")"));
    const trained = await dslc("train", file, "--backend", "cpu", "--seed", "7");
    expect(trained.code, trained.stderr).toBe(0);
    const out = path.join(dir, "export");
    const result = await dslc("export", file, "--weights", path.join(dir, "checkpoints"), "-o", out);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/takes examples as the data files hold them: multiply by 0.0625/);
    const program = compileFile(file);
    const { decodeSafetensors } = await import("../../runtime/checkpoint/safetensors.js");
    const newest = fs.readdirSync(path.join(dir, "checkpoints")).sort().at(-1)!;
    const weights = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, "checkpoints", newest, "weights.safetensors")))).tensors as Map<string, Tensor>;
    // The split (and the statistics fitted on it) of seed 7, which the run trained on, not the file's seed 11.
    const { preprocessed, raw, n } = validation(program, 7);
    const reference = evalOutput(program, weights, preprocessed).data;
    const session = await ort.InferenceSession.create(path.join(out, "model.onnx"));
    const onnx = (await session.run({ input: new ort.Tensor("float32", raw, [n, 64]) }))["output"]!.data as Float32Array;
    expect(diff(onnx, reference)).toBeLessThan(1e-5);
    const model = await loadModel(out, { backend: "cpu" });
    expect(diff(await model.predict(raw, n), reference)).toBeLessThan(1e-5);
    const inference = JSON.parse(fs.readFileSync(path.join(out, "inference.json"), "utf8"));
    expect(inference.preprocessing).toHaveLength(2);
    // Fitting on the file's seed instead would give other statistics, so the seed matters.
    const wrongSeed = prependPreprocessing(buildInference(program, weights), fitPreprocessing(program, 11));
    expect(diff(runInference(wrongSeed.program.nodes, wrongSeed.program.input, wrongSeed.program.output, wrongSeed.weights, { shape: [n, 64], data: raw }).data, reference)).toBeGreaterThan(1e-5);
    // A --seed that contradicts the checkpoint's is refused.
    const contradicted = await dslc("export", file, "--weights", path.join(dir, "checkpoints"), "--seed", "3", "-o", path.join(dir, "never"));
    expect(contradicted.code).toBe(1);
    expect(contradicted.stderr).toMatch(/^error\[E0820\]: the weights were trained with seed 7, but --seed 3 was given\n  = help: /);
  });
});
