// `dslc export`: the folder it writes, onnxruntime running model.onnx against the exported bundle's own
// runner (what predict.mts calls) within 1e-5, the forms --weights takes, and its refusals.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { dslc } from "../helpers/cli.js";
import { encodeSafetensors } from "../../runtime/checkpoint/safetensors.js";
import { loadModel } from "../../runtime/inference/model.js";
import { buildInference } from "../../compiler/export/build.js";
import { fitPreprocessing, prependPreprocessing } from "../../compiler/export/preprocessing.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { compileFile, evalOutput, maxDifference, randomWeights, runInference } from "./models.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-export-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function saveWeights(file: string, weights: Map<string, Tensor>) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodeSafetensors(weights as Map<string, { shape: number[]; data: Float32Array }>));
}

/** The first n digits images as the data file holds them (pixels 0–16): the exported model preprocesses them. */
function digits(n: number): Float32Array {
  const rows = fs.readFileSync("samples/data/digits.csv", "utf8").trim().split("\n").slice(1, n + 1);
  return Float32Array.from(rows.flatMap((r) => r.split(",").slice(0, 64).map((v) => Number(v))));
}

async function onnxRun(dir: string, x: Float32Array, shape: number[]) {
  const session = await ort.InferenceSession.create(path.join(dir, "model.onnx"));
  return session.run({ input: new ort.Tensor("float32", x, shape) });
}

const close = (a: Float32Array, b: Float32Array) => maxDifference({ shape: [a.length], data: a }, { shape: [b.length], data: b });

describe("dslc export", () => {
  it("writes the bundle, and onnxruntime agrees with predict's runner on digits (RepVGG)", async () => {
    const program = compileFile("samples/digits_repvgg.dl");
    saveWeights(path.join(tmp, "repvgg.safetensors"), randomWeights(program, 31));
    const out = path.join(tmp, "repvgg-export");
    const result = await dslc("export", "samples/digits_repvgg.dl", "--weights", path.join(tmp, "repvgg.safetensors"), "-o", out);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/6 branches merged into one conv/);
    for (const f of ["model.onnx", "weights.safetensors", "inference.json", "bundle.json", "predict.mts"]) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const inference = JSON.parse(fs.readFileSync(path.join(out, "inference.json"), "utf8"));
    expect(inference.nodes.filter((n: { op: string }) => n.op === "conv2d")).toHaveLength(4);
    const x = digits(16);
    const onnx = await onnxRun(out, x, [16, 1, 8, 8]);
    const model = await loadModel(out, { backend: "cpu" });
    expect(close(onnx["output"]!.data as Float32Array, await model.predict(x, 16))).toBeLessThan(1e-5);
    expect(close(onnx["probabilities"]!.data as Float32Array, await model.probabilities(x, 16))).toBeLessThan(1e-5);
    // predict.mts's default backend: the bundle's WGSL kernels (lavapipe here).
    const gpu = await loadModel(out, { backend: "webgpu" });
    try {
      expect(close(onnx["output"]!.data as Float32Array, await gpu.predict(x, 16))).toBeLessThan(1e-5);
    } finally {
      gpu.close();
    }
  });

  it("takes the newest checkpoint of a checkpoint folder", async () => {
    const program = compileFile("samples/digits_cnn.dl");
    const root = path.join(tmp, "checkpoints");
    const good = randomWeights(program, 32);
    saveWeights(path.join(root, "step-000010", "weights.safetensors"), new Map([["nothing", { shape: [1], data: new Float32Array(1) }]]));
    saveWeights(path.join(root, "step-000020", "weights.safetensors"), good);
    for (const step of ["step-000010", "step-000020"]) fs.writeFileSync(path.join(root, step, "state.json"), "{}");
    const out = path.join(tmp, "cnn-export");
    const result = await dslc("export", "samples/digits_cnn.dl", "--weights", root, "-o", out);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const x = digits(5);
    // state.json records no seed here: the preprocessing is fitted on the file's seed's split.
    const expected = prependPreprocessing(buildInference(program, good), fitPreprocessing(program));
    const reference = runInference(expected.program.nodes, expected.program.input, expected.program.output, expected.weights, { shape: [5, 1, 8, 8], data: x });
    expect(close((await onnxRun(out, x, [5, 1, 8, 8]))["output"]!.data as Float32Array, reference.data as Float32Array)).toBeLessThan(1e-5);
    // Exporting again replaces the folder it wrote.
    expect((await dslc("export", "samples/digits_cnn.dl", "--weights", root, "-o", out)).code).toBe(0);
  });

  it("exports an ensemble's folder as one model averaging its members' probabilities", async () => {
    const program = compileFile("samples/digits_mlp.dl");
    const dir = path.join(tmp, "digits_mlp.ensemble");
    const members = [randomWeights(program, 41), randomWeights(program, 42), randomWeights(program, 43)];
    members.forEach((w, i) => saveWeights(path.join(dir, `member-${i}.safetensors`), w));
    fs.writeFileSync(path.join(dir, "members.json"), JSON.stringify({ format: "dslc-ensemble/1", model: program.model, model_hash: "", kind: "independent", prediction: "softmax", members: members.map((_, i) => ({ file: `member-${i}.safetensors`, seed: i, step: 1 })) }));
    const out = path.join(tmp, "ensemble-export");
    const result = await dslc("export", "samples/digits_mlp.dl", "--weights", dir, "-o", out);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/an ensemble of 3/);
    const x = digits(8);
    const mean = new Float32Array(80);
    // Members train on the split of the lowest member seed (the ensemble's base seed): 0 in this members.json.
    const pre = fitPreprocessing(program, 0);
    for (const w of members) {
      const e = prependPreprocessing(buildInference(program, w), pre);
      const logits = runInference(e.program.nodes, e.program.input, e.program.output, e.weights, { shape: [8, 64], data: x }).data;
      for (let r = 0; r < 8; r++) {
        const row = Array.from(logits.slice(r * 10, r * 10 + 10));
        const max = Math.max(...row);
        const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
        row.forEach((v, c) => (mean[r * 10 + c]! += Math.exp(v - max) / sum / members.length));
      }
    }
    expect(close((await onnxRun(out, x, [8, 64]))["output"]!.data as Float32Array, mean)).toBeLessThan(1e-5);
    const model = await loadModel(out, { backend: "cpu" });
    expect(close(await model.probabilities(x, 8), mean)).toBeLessThan(1e-5);
  });

  it("exports a checkpoint that `dslc train` wrote, matching the trained model in evaluation mode", async () => {
    const dir = path.join(tmp, "trained");
    fs.mkdirSync(dir);
    const file = path.join(dir, "tiny.dl");
    fs.writeFileSync(
      file,
      `model Tiny(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  h = x |> conv2d(4, kernel: 3, padding: 1) |> batchnorm |> relu |> maxpool(2) |> flatten
  return h |> dense(16) |> batchnorm |> relu |> dropout(0.2) |> dense(10)
}
train {
  data = csv("${path.resolve("samples/data/digits.csv")}", label: "label", shape: [1, 8, 8]) |> subset(n: 256) |> split(val: 0.25)
  loss = cross_entropy()
  optimizer = adam(lr: 1e-2)
  epochs 2
  batch 32
  checkpoint(every: 1 epochs, path: "checkpoints")
}
`,
    );
    const trained = await dslc("train", file, "--backend", "cpu");
    expect(trained.code, trained.stderr).toBe(0);
    const out = path.join(dir, "export");
    const result = await dslc("export", file, "--weights", path.join(dir, "checkpoints"), "-o", out);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const program = compileFile(file);
    const { decodeSafetensors } = await import("../../runtime/checkpoint/safetensors.js");
    const newest = fs.readdirSync(path.join(dir, "checkpoints")).sort().at(-1)!;
    const weights = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, "checkpoints", newest, "weights.safetensors")))).tensors;
    // The running statistics were trained away from their initial 0 and 1.
    expect(Math.abs(weights.get("batchnorm_0.running_mean")!.data[0]!)).toBeGreaterThan(1e-4);
    const x = digits(16);
    const reference = evalOutput(program, weights as Map<string, Tensor>, { shape: [16, 1, 8, 8], data: x });
    expect(close((await onnxRun(out, x, [16, 1, 8, 8]))["output"]!.data as Float32Array, reference.data as Float32Array)).toBeLessThan(1e-5);
  });

  it("exports weights trained with `--set` when given the same `--set` (the shapes follow the `let`)", async () => {
    const dir = path.join(tmp, "set");
    fs.mkdirSync(dir);
    const file = path.join(dir, "wide.dl");
    fs.writeFileSync(
      file,
      `let width = 8
model Wide(x: f32[N, 64]) -> f32[N, 10] {
  return x |> dense(width) |> relu |> dense(10)
}
train {
  data = csv("${path.resolve("samples/data/digits.csv")}", label: "label") |> subset(n: 128) |> split(val: 0.25) |> standardize
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
  checkpoint(every: 1 epochs, path: "checkpoints")
}
`,
    );
    const trained = await dslc("train", file, "--backend", "cpu", "--set", "width=12");
    expect(trained.code, trained.stderr).toBe(0);
    const checkpoints = path.join(dir, "checkpoints");
    const without = await dslc("export", file, "--weights", checkpoints, "-o", path.join(dir, "never"));
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/error\[E0820\]: tensor `dense_0\.weight` has shape \[12, 64\], but the model.s parameter is \[8, 64\]/);
    const out = path.join(dir, "export");
    const result = await dslc("export", file, "--weights", checkpoints, "-o", out, "--set", "width=12");
    expect(result.code, result.stderr).toBe(0);
    const inference = JSON.parse(fs.readFileSync(path.join(out, "inference.json"), "utf8")) as { nodes: { op: string; shape: (number | string)[] }[] };
    expect(inference.nodes.some((n) => n.op === "param" && n.shape.join(",") === "12,64")).toBe(true);
  });

  it("refuses weights of another model with E0820 and a help line", async () => {
    const program = compileFile("samples/digits_cnn.dl");
    saveWeights(path.join(tmp, "cnn.safetensors"), randomWeights(program, 1));
    const result = await dslc("export", "samples/digits_mlp.dl", "--weights", path.join(tmp, "cnn.safetensors"), "-o", path.join(tmp, "never"));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error\[E0820\]: tensor `dense_0\.weight` has shape \[10, 128\], but the model.s parameter is \[256, 64\]\n  = help: /);
    expect(fs.existsSync(path.join(tmp, "never"))).toBe(false);
    const missing = await dslc("export", "samples/digits_mlp.dl", "--weights", path.join(tmp, "nowhere"), "-o", path.join(tmp, "never"));
    expect(missing.stderr).toMatch(/error\[E0820\]: `.*nowhere` does not exist/);
  });

  it("never replaces a folder it did not write", async () => {
    const program = compileFile("samples/digits_mlp.dl");
    saveWeights(path.join(tmp, "mlp.safetensors"), randomWeights(program, 2));
    const mine = path.join(tmp, "mine");
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, "notes.txt"), "keep");
    const result = await dslc("export", "samples/digits_mlp.dl", "--weights", path.join(tmp, "mlp.safetensors"), "-o", mine);
    expect(result.code).toBe(2);
    expect(fs.readFileSync(path.join(mine, "notes.txt"), "utf8")).toBe("keep");
  });

  it("is listed by dslc --help", async () => {
    expect((await dslc("--help")).stdout).toMatch(/\n  export +Export a trained model for inference/);
  });
});
