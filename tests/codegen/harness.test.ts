// `dslc FILE -o DIR`: the emitted kernels, manifest and trainer. train.mts must be prettier-formatted, pass
// `tsc --strict`, import only the runtime, and train when run with the documented command.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as prettier from "prettier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCompiled, type Manifest } from "../../runtime/index.js";
import { dslc } from "../helpers/cli.js";

// Inside the repository, so that `import "dslc/runtime"` resolves to this package (self-reference).
const out = path.resolve(".tmp/harness-test");

beforeAll(async () => {
  fs.rmSync(out, { recursive: true, force: true });
  const result = await dslc("samples/spirals.dl", "-o", out);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`run it: npx tsx ${path.join(out, "train.mts")}`);
});
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe("emitted trainer", () => {
  it("writes one WGSL file per kernel in dispatch order, listed in the manifest", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.model).toBe("SpiralNet");
    const train = manifest.modes.train.kernels;
    expect(train.length).toBeGreaterThan(20);
    expect(train.map((k) => k.file)).toEqual(fs.readdirSync(path.join(out, "kernels/train")).sort().map((f) => `kernels/train/${f}`));
    for (const k of train) expect(fs.readFileSync(path.join(out, k.file), "utf8")).toContain("@compute");
    // The loss and metrics are read where the loss is made (fused there), the optimizer update comes last,
    // after every gradient.
    expect(train[train.length - 1]!.label).toBe("adam update of all parameters");
    expect(train.some((k) => k.label.includes("metrics"))).toBe(true);
    const lastGradient = Math.max(...train.map((k, i) => (/grad|matmul/.test(k.label) ? i : -1)));
    expect(train.findIndex((k) => k.label.startsWith("adam update"))).toBeGreaterThan(lastGradient);
    expect(manifest.program.params.map((p) => p.name)).toContain("Residual_0.dense_0.weight");
  });

  it("formats train.mts with prettier and imports only the runtime", async () => {
    const source = fs.readFileSync(path.join(out, "train.mts"), "utf8");
    expect(await prettier.format(source, { parser: "typescript", printWidth: 100 })).toBe(source);
    expect([...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1])).toEqual(["dslc/runtime"]);
  });

  it("type-checks train.mts under tsc --strict", () => {
    const config = path.join(out, "tsconfig.json");
    fs.writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", types: ["node"], skipLibCheck: true }, files: ["train.mts"] }));
    const tsc = spawnSync(process.execPath, [path.resolve("node_modules/typescript/bin/tsc"), "-p", config], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });

  it("trains when run with npx tsx", () => {
    const output = execFileSync(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), path.join(out, "train.mts"), "--backend", "cpu", "--stop-after-epochs", "2"], { encoding: "utf8" });
    expect(output).toMatch(/^epoch 1: train loss \d\.\d{4}, val loss \d\.\d{4}, accuracy \d+\.\d\d%, lr /);
    expect(output).toContain("trained for 8 steps");
  });
});

describe("emitted kernel files", () => {
  it("keep short names when a fused kernel's label is long (a sum of 70 terms)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-emit-"));
    const file = path.join(dir, "sum.dl");
    const sum = Array.from({ length: 70 }, () => "h").join(" + ");
    fs.writeFileSync(file, `model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(3)\n  return ${sum}\n}\ntrain {\n  data = spirals()\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n}\n`);
    const result = await dslc(file, "-o", path.join(dir, "out"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const name of fs.readdirSync(path.join(dir, "out/kernels/train"))) expect(name.length).toBeLessThanOrEqual(90);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("emitted augmentation kernels", () => {
  it("are listed in the manifest's augment mode and loaded back as the plan's first training kernels", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-emit-augment-"));
    const result = await dslc("samples/digits_cnn.dl", "-o", dir);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    // digits_cnn augments with random_crop then gaussian_noise: one kernel each, the last writing the input.
    expect(manifest.modes.augment!.kernels.map((k) => k.label)).toEqual(["augment 0 random_crop", "augment 1 gaussian_noise"]);
    expect(manifest.modes.augment!.kernels.at(-1)!.bindings.at(-1)).toEqual({ node: manifest.program.input, write: true });
    const compiled = loadCompiled(dir);
    expect(compiled.plan.augment!.map((k) => k.code)).toEqual(manifest.modes.augment!.kernels.map((k) => fs.readFileSync(path.join(dir, k.file), "utf8")));
    fs.rmSync(dir, { recursive: true });
  });
});
