// The inference bundle: emitted kernels and bundle.json load back and run on both backends with the same
// results; predict.mts is prettier-formatted, imports only the runtime, passes `tsc --strict`, and run with
// tsx prints the same predictions as the CPU reference (runtime/inference/cpu.ts) on .npy and CSV input.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitInferenceBundle } from "../../codegen/inference/bundle.js";
import { encodeSafetensors } from "../../runtime/checkpoint/safetensors.js";
import { encodeNpy } from "../../runtime/data/npy.js";
import { loadBundle, type InferenceBundle } from "../../runtime/inference/bundle.js";
import { CpuInference } from "../../runtime/inference/cpu.js";
import { classify } from "../../runtime/inference/predictions.js";
import { loadModel } from "../../runtime/inference/model.js";
import { CNN_POOL, compiled, evalInference, randomBatch, randomWeights } from "./eval-program.js";

// Inside the repository, so that `import "dslc/runtime"` resolves to this package (self-reference), as the
// emitted trainer's test does (tests/codegen/harness.test.ts).
const out = path.resolve(".tmp/inference-bundle-test");
const program = evalInference(compiled(CNN_POOL));
const weights = randomWeights(program, 5);
const COUNT = 9;
const batch = randomBatch(program, COUNT, 8);

/** What predict.mts should print for `batch`, computed with the CPU reference. */
function expectedLines(): string[] {
  const { classes, confidence } = classify(program.prediction, new CpuInference(program, weights).run(batch, COUNT), 10);
  return Array.from(classes, (c, i) => `example ${i}: class ${c} (probability ${confidence[i]!.toFixed(4)})`);
}

beforeAll(async () => {
  fs.rmSync(out, { recursive: true, force: true });
  const files = await emitInferenceBundle(program, weights, "cnn.dl", "0.0.0-test");
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(out, file.path)), { recursive: true });
    fs.writeFileSync(path.join(out, file.path), file.content);
  }
  const tensors = new Map([...weights].map(([name, data]) => [name, { shape: program.nodes.find((n) => n.name === name)!.shape as number[], data }]));
  fs.writeFileSync(path.join(out, "weights.safetensors"), encodeSafetensors(tensors));
  fs.writeFileSync(path.join(out, "input.npy"), encodeNpy(batch, [COUNT, 1, 8, 8]));
  const header = ["label", ...Array.from({ length: 64 }, (_, i) => `p${i}`)].join(",");
  const rows = Array.from({ length: COUNT }, (_, i) => [7, ...batch.subarray(i * 64, (i + 1) * 64)].join(","));
  fs.writeFileSync(path.join(out, "input.csv"), [header, ...rows].join("\n") + "\n");
});
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe("inference bundle", () => {
  it("lists one WGSL file per kernel in dispatch order, and every buffer a kernel binds", () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(out, "bundle.json"), "utf8")) as InferenceBundle;
    expect(bundle.kernels.map((k) => k.file)).toEqual(fs.readdirSync(path.join(out, "kernels")).sort().map((f) => `kernels/${f}`));
    expect(bundle.kernels.map((k) => k.label)).toEqual(expect.arrayContaining(["maxpool2d #10", "avgpool2d #15"]));
    for (const k of bundle.kernels) expect(fs.readFileSync(path.join(out, k.file), "utf8")).toContain("@compute");
    expect(bundle.buffers.filter((b) => b.kind === "weight").map((b) => b.name)).toEqual(expect.arrayContaining(["conv2d_0.weight", "batchnorm_0.running_var", "dense_0.weight"]));
    expect(bundle.buffers.filter((b) => b.kind === "input")).toEqual([{ node: program.input, kind: "input", name: "x", shape: ["N", 1, 8, 8] }]);
  });

  it("loads back and gives the CPU reference's outputs on both backends", async () => {
    const expected = new CpuInference(program, weights).run(batch, COUNT);
    expect(loadBundle(out).weights.get("dense_0.weight")).toEqual(weights.get("dense_0.weight"));
    for (const backend of ["cpu", "webgpu"] as const) {
      const model = await loadModel(out, { backend, maxBatch: 4 });
      try {
        const actual = await model.predict(batch, COUNT);
        actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[i]!))));
        const { classes } = await model.classify(batch, COUNT);
        expect(Array.from(classes)).toEqual(expectedLines().map((l) => Number(/class (\d+)/.exec(l)![1])));
      } finally {
        model.close();
      }
    }
  });

  it("formats predict.mts with prettier and imports only the runtime", async () => {
    const source = fs.readFileSync(path.join(out, "predict.mts"), "utf8");
    expect(await prettier.format(source, { parser: "typescript", printWidth: 100 })).toBe(source);
    expect([...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1])).toEqual(["dslc/runtime"]);
  });

  it("type-checks predict.mts under tsc --strict", () => {
    const config = path.join(out, "tsconfig.json");
    fs.writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", types: ["node"], skipLibCheck: true }, files: ["predict.mts"] }));
    const tsc = spawnSync(process.execPath, [path.resolve("node_modules/typescript/bin/tsc"), "-p", config], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });

  const predict = (...args: string[]) => spawnSync(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), path.join(out, "predict.mts"), ...args], { encoding: "utf8", env: { ...process.env, XDG_RUNTIME_DIR: process.env["XDG_RUNTIME_DIR"] ?? "/tmp/xdg" } });

  it("prints the CPU reference's predictions when run with npx tsx, from .npy and from CSV with --label", () => {
    const lines = (text: string) => text.trim().split("\n");
    expect(lines(execFileSync(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), path.join(out, "predict.mts"), path.join(out, "input.npy"), "--backend", "cpu"], { encoding: "utf8" }))).toEqual(expectedLines());
    const csv = predict(path.join(out, "input.csv"), "--backend", "cpu", "--label", "label");
    expect(csv.stderr).toBe("");
    expect(lines(csv.stdout)).toEqual(expectedLines());
  });

  it("prints predictions on WebGPU too", () => {
    const run = predict(path.join(out, "input.npy"));
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n").map((l) => l.replace(/ \(probability .*\)$/, ""))).toEqual(expectedLines().map((l) => l.replace(/ \(probability .*\)$/, "")));
  });

  it("refuses input of the wrong width with E0831 and a help line, without a stack trace", () => {
    // The CSV with its label column kept has 65 values per row: 585 values, not whole examples of 64.
    const run = predict(path.join(out, "input.csv"), "--backend", "cpu");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error\[E0831\]: `.*input\.csv` holds 585 values, not a whole number of examples of 64 values each\n {2}= help: .*--label NAME/);
    expect(run.stderr).not.toContain("    at ");
  });
});
