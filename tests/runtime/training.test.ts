// Training on the CPU reference backend: the samples learn what they are meant to, runs are reproducible
// from the seed, early stopping stops, and divergence is caught. Thresholds are task outcomes (accuracy,
// loss reduction), not recorded numbers.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu, type EpochReport } from "../../runtime/cpu/train.js";

function program(file: string, edit: (text: string) => string = (t) => t, overrides: { epochs?: number; seed?: number } = {}) {
  const result = compileProgram(edit(fs.readFileSync(file, "utf8")), file, undefined, overrides);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.program!;
}

async function curve(file: string, options: { epochs: number; seed?: number }, edit?: (text: string) => string): Promise<EpochReport[]> {
  const epochs: EpochReport[] = [];
  await trainCpu(program(file, edit, options), { onEpoch: (e) => epochs.push(e) });
  return epochs;
}

describe("lowering", () => {
  it("evaluates constant arithmetic in layer sizes as the checker does", () => {
    const source = "let w = 4\nmodel M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(2 * w) |> relu |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n}\n";
    const compiled = compileProgram(source, "/virtual/sizes.dl");
    expect(compiled.program!.params.map((p) => [p.name, p.shape])).toEqual([
      ["dense_0.weight", [8, 2]],
      ["dense_0.bias", [8]],
      ["dense_1.weight", [3, 8]],
      ["dense_1.bias", [3]],
    ]);
  });
});

describe("CPU training", () => {
  it("solves XOR", async () => {
    const epochs = await curve("samples/xor.dl", { epochs: 300 });
    expect(epochs[epochs.length - 1]!.train_accuracy).toBe(1);
    expect(epochs[epochs.length - 1]!.train_loss).toBeLessThan(0.01);
  });

  it("fits the cubic to sin(x)", async () => {
    const epochs = await curve("samples/polyfit.dl", { epochs: 500 });
    expect(epochs[epochs.length - 1]!.train_loss).toBeLessThan(epochs[0]!.train_loss / 10);
  });

  it("separates the spirals", async () => {
    const epochs = await curve("samples/spirals.dl", { epochs: 150 });
    expect(epochs[epochs.length - 1]!.val_accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("learns the digits with BatchNorm, dropout and warmup in six epochs", async () => {
    const epochs = await curve("samples/digits_mlp.dl", { epochs: 6 });
    expect(epochs[5]!.val_accuracy).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it("is reproducible from the seed, dropout masks included", async () => {
    const a = await curve("samples/spirals.dl", { epochs: 3, seed: 5 }, (t) => t.replace("|> dense(3)", "|> dropout(0.3) |> dense(3)"));
    const b = await curve("samples/spirals.dl", { epochs: 3, seed: 5 }, (t) => t.replace("|> dense(3)", "|> dropout(0.3) |> dense(3)"));
    const c = await curve("samples/spirals.dl", { epochs: 3, seed: 6 }, (t) => t.replace("|> dense(3)", "|> dropout(0.3) |> dense(3)"));
    expect(a).toEqual(b);
    expect(a.map((e) => e.train_loss)).not.toEqual(c.map((e) => e.train_loss));
  });

  it("stops early when the monitored metric stops improving", async () => {
    const epochs = await curve("samples/spirals.dl", { epochs: 200 }, (t) => t.replace("  seed 7\n", "  seed 7\n  early_stopping(monitor: train_loss, patience: 2, min_delta: 0.05)\n"));
    expect(epochs.length).toBeLessThan(200);
  });

  it("applies the schedule: warmup then cosine", async () => {
    const epochs = await curve("samples/xor.dl", { epochs: 100 }, (t) => t.replace("  batch full\n", "  batch full\n  schedule = warmup(10 steps) then cosine()\n"));
    expect(epochs[0]!.lr).toBeCloseTo(0, 10);
    expect(epochs[9]!.lr).toBeCloseTo(0.5 * 0.9, 10);
    expect(epochs[10]!.lr).toBeCloseTo(0.5, 10);
    expect(epochs[99]!.lr).toBeLessThan(0.001);
  });
});
