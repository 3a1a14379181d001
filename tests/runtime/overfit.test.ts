// `overfit(examples: k)`: the lowered program is the file's program with every regularizer removed, trained on
// the first k examples (the checker counts the run in those); at the end the loop evaluates those examples
// and says whether the model fitted them.
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu } from "../../runtime/cpu/train.js";
import { dslc } from "../helpers/cli.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const file = (model: string, settings: string) =>
  `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> ${model}\n}\ntrain {\n  data = spirals(n: 300, classes: 3) |> split(val: 0.2)\n${settings}  epochs 4\n  batch 10\n  seed 3\n}\n`;
const compile = (text: string) => {
  const result = compileProgram(text, "/virtual/overfit.dl");
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.program!;
};

describe("overfit mode", () => {
  const regularized = file("dense(32, dropconnect: 0.2) |> relu |> dropout(0.5) |> dense(3)", "  loss = cross_entropy() + 1e-3 * l2()\n  optimizer = sgd(lr: 0.1, momentum: 0.9, weight_decay: 5e-4)\n  max_norm(3)\n  overfit(examples: 20)\n");
  const plain = file("dense(32) |> relu |> dense(3)", "  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1, momentum: 0.9)\n  overfit(examples: 20)\n");

  it("lowers to the same program as the file without its regularizers, on the first k examples", () => {
    const a = compile(regularized);
    const b = compile(plain);
    expect(a.overfit).toEqual({ examples: 20, turnedOff: ["the `l2` term of the loss", "weight decay 0.0005", "dropout", "DropConnect", "max-norm"] });
    expect(b.overfit!.turnedOff).toEqual([]);
    expect(a.nodes.map((n) => [n.op, n.shape, n.attrs])).toEqual(b.nodes.map((n) => [n.op, n.shape, n.attrs]));
    expect(a.optimizer).toEqual(b.optimizer);
    expect(a.maxNorm).toBeUndefined();
    expect(a.data.transforms.at(-1)).toEqual({ kind: "subset", n: 20 });
    // 20 examples in batches of 10: 2 steps per epoch, 8 in all (240 without the mode).
    expect(a.loop.steps).toBe(8);
    expect(compile(regularized.replace("overfit(examples: 20)\n", "")).loop.steps).toBe(96);
  });

  it("reports a fitted subset, and a failure when the rate is far too small", async () => {
    const long = (text: string) => text.replace("epochs 4", "epochs 150");
    const fitted = await trainCpu(compile(long(regularized).replace("lr: 0.1", "lr: 0.05")));
    expect(fitted.overfit).toMatchObject({ examples: 20, fitted: true });
    expect(fitted.overfit!.train_accuracy).toBeGreaterThanOrEqual(0.99);
    const stuck = await trainCpu(compile(long(regularized).replace("lr: 0.1", "lr: 1e-6")));
    expect(stuck.overfit!.fitted).toBe(false);
    expect(stuck.overfit!.train_accuracy).toBeLessThan(0.9);
  }, 60_000);

  it("says what it turned off before training and gives its verdict after", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-overfit-"));
    const where = path.join(dir, "m.dl");
    fs.writeFileSync(where, regularized.replace("epochs 4", "epochs 150").replace("lr: 0.1", "lr: 0.05"));
    const result = await dslc("train", where, "--backend", "cpu");
    fs.rmSync(dir, { recursive: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("note: overfit mode: training on the first 20 examples with the `l2` term of the loss, weight decay 0.0005, dropout, DropConnect, max-norm turned off\n");
    expect(result.stdout).toMatch(/overfit check passed: 100\.00% training accuracy on 20 examples/);
  }, 60_000);
});

describe("--overfit N", () => {
  it("is the directive given on the command line: the same program", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-overfit-flag-"));
    const where = path.join(dir, "m.dl");
    const text = file("dense(32) |> relu |> dropout(0.3) |> dense(3)", "  loss = cross_entropy()\n  optimizer = sgd(lr: 0.05, momentum: 0.9)\n");
    fs.writeFileSync(where, text.replace("epochs 4", "epochs 150"));
    const withDirective = compileProgram(text.replace("  loss", "  overfit(examples: 20)\n  loss"), where).program!;
    const withFlag = compileProgram(text, where, undefined, { overfit: 20 }).program!;
    expect(withFlag).toEqual(withDirective);
    const result = await dslc("train", where, "--backend", "cpu", "--overfit", "20");
    fs.rmSync(dir, { recursive: true });
    expect(result.stderr).toContain("note: overfit mode: training on the first 20 examples with dropout turned off\n");
    expect(result.stdout).toContain("overfit check passed");
  }, 60_000);
});

describe("overfit mode with parameter groups", () => {
  it("turns the groups' weight decay off too", () => {
    const text = file("dense(32) |> relu |> dense(3)", "  loss = cross_entropy()\n  optimizer = adamw(lr: 0.01, weight_decay: 0.01) |> group(biases, weight_decay: 0.5)\n  overfit(examples: 20)\n");
    const program = compile(text);
    expect(program.overfit!.turnedOff).toEqual(["weight decay 0.01", "the groups' weight decay"]);
    expect(program.optimizer).toMatchObject({ weightDecay: 0 });
    expect(program.optimizer.groups!.every((g) => g.weightDecay === undefined)).toBe(true);
  });
});

describe("parameter groups and schedules", () => {
  it("refuses, at lowering, a group's own rate under a schedule that sets absolute rates", () => {
    const text = file("dense(32) |> relu |> dense(3)", "  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1) |> group(biases, lr: 0.01)\n  schedule = one_cycle(max_lr: 0.5)\n");
    const result = compileProgram(text, "/virtual/groups.dl");
    expect(result.program).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toContain("E0601");
    expect(compileProgram(text.replace("one_cycle(max_lr: 0.5)", "step(step_size: 2)"), "/virtual/groups.dl").program).toBeDefined();
  });
});
