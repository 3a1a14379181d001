// The initial-loss check (W0701): the program carries the loss a classifier should start near, for each
// classification loss, only when the loss is that single term; the loop warns when the first step's loss is
// outside [½, 2]× of it, once, and trains on.
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, TrainingAborted, type TrainingBackend } from "../../runtime/loop.js";
import { divergenceHelp, initialLossWarning, ratioWarnings, withPenalties } from "../../runtime/babysitting.js";
import { CpuTrainer } from "../../runtime/cpu/train.js";
import { trainCpu } from "../../runtime/cpu/train.js";

function programFor(loss: string, head = "dense(4)", init = "") {
  const source = `model M(x: f32[N, 2]) -> f32[N, ${head === "dense(1)" ? 1 : 4}] {\n  return x |> dense(8) |> relu |> ${head.replace(")", init ? `, init: ${init})` : ")")}\n}\ntrain {\n  data = spirals(n: 64, classes: ${head === "dense(1)" ? 2 : 4})\n  loss = ${loss}\n  optimizer = sgd(lr: 0.05)\n  epochs 2\n  batch 16\n}\n`;
  const result = compileProgram(source, "/virtual/initial.dl");
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.program!;
}

describe("the expected initial loss", () => {
  it.each([
    ["cross_entropy()", Math.log(4)],
    ["cross_entropy(label_smoothing: 0.1)", Math.log(4)],
    ["hinge()", 3],
    ["hinge(margin: 0.5)", 1.5],
  ])("%s over 4 classes: %f", (loss, value) => {
    expect(programFor(loss).initialLoss?.value).toBeCloseTo(value, 12);
  });

  it("is ln 2 for binary cross-entropy on one output", () => {
    expect(programFor("bce_with_logits()", "dense(1)").initialLoss?.value).toBeCloseTo(Math.log(2), 12);
  });

  it("is not claimed when the data term is weighted; penalties add their value at the initial weights", () => {
    expect(programFor("2 * cross_entropy()").initialLoss).toBeUndefined();
    const program = programFor("cross_entropy() + 1e-3 * l2() + 1e-4 * l1(all)");
    expect(program.initialLoss!.penalties!.map((p) => [p.weight, p.abs, p.squares, p.params.length])).toEqual([
      [1e-3, 0, 1, 2],
      [1e-4, 1, 0, 4],
    ]);
    // Independently: the CPU reference's own initial weights (the same draws as WebGPU's).
    const trainer = new CpuTrainer(program, program.loop.seed);
    const values = program.params.map((p) => Array.from(trainer.params.get(p.node)!.data));
    const weights = program.params.flatMap((p, k) => (p.role === "weight" ? values[k]! : []));
    const all = values.flat();
    const expected = Math.log(4) + 1e-3 * weights.reduce((s, v) => s + v * v, 0) + 1e-4 * all.reduce((s, v) => s + Math.abs(v), 0);
    expect(withPenalties(program, program.initialLoss!).value).toBeCloseTo(expected, 5);
  });

  it("warns outside [½, 2]× only, naming both numbers and the direction", () => {
    const expected = { value: Math.log(10), reason: "ln 10 for 10 equally likely classes" };
    expect(initialLossWarning(2.4, expected)).toBeUndefined();
    expect(initialLossWarning(4.5, expected)).toBeUndefined();
    const high = initialLossWarning(5, expected)!;
    expect(high.message).toBe("the initial loss is 5.000, but about 2.303 is expected (ln 10 for 10 equally likely classes)");
    expect(high.help).toContain("too large");
    expect(initialLossWarning(0.5, expected)!.help).toContain("leak");
  });
});

describe("the check in the training loop", () => {
  it("warns once for a mis-scaled last layer and trains on; stays quiet with the default init", async () => {
    const warnings: string[] = [];
    const done = await trainCpu(programFor("cross_entropy()", "dense(4)", "normal(std: 30)"), { onWarning: (w) => warnings.push(w.code) });
    expect(warnings).toEqual(["W0701"]);
    expect(done.steps).toBe(8);
    const quiet: string[] = [];
    await trainCpu(programFor("cross_entropy()"), { onWarning: (w) => quiet.push(w.code) });
    expect(quiet).toEqual([]);
  });
});

describe("the update/weight ratio flag (W0702)", () => {
  it("flags ratios more than 100× from 1e-3, once per parameter and direction", () => {
    const flagged = new Set<string>();
    const first = ratioWarnings({ "fc.weight": 0.5, "fc.bias": 1e-3, "out.weight": 2e-6 }, 10, 0.3, flagged);
    expect(first.map((w) => w.message)).toEqual(["the update/weight ratio of `fc.weight` is 5.0e-1 at step 10 (healthy is about 1e-3)", "the update/weight ratio of `out.weight` is 2.0e-6 at step 10 (healthy is about 1e-3)"]);
    expect(first[0]!.help).toContain("too high");
    expect(first[1]!.help).toContain("too low");
    // The same parameters again: no repeat; the other direction of one of them is new.
    expect(ratioWarnings({ "fc.weight": 0.9, "out.weight": 1e-7 }, 20, 0.3, flagged)).toEqual([]);
    expect(ratioWarnings({ "fc.weight": 1e-6 }, 30, 0.3, flagged).map((w) => w.code)).toEqual(["W0702"]);
    // Within 100× either way is quiet, and so is a weight that is exactly 0 (nothing to compare).
    expect(ratioWarnings({ a: 0.099, b: 1.1e-5, c: 0 }, 40, 0.3, new Set())).toEqual([]);
    // Once a schedule has annealed the rate, small ratios are expected: only "too high" is judged.
    expect(ratioWarnings({ a: 1e-7, b: 0.5 }, 50, 1e-4, new Set(), { judgeLow: false }).map((w) => w.message)).toEqual(["the update/weight ratio of `b` is 5.0e-1 at step 50 (healthy is about 1e-3)"]);
  });
});

describe("the cause named when training is aborted (E0701)", () => {
  const scripted = (losses: number[]): TrainingBackend => ({
    name: "cpu",
    adapter: "scripted",
    step: (_batch, step) => Promise.resolve({ loss: losses[Math.min(step, losses.length - 1)]! }),
    takeEpochSums: async () => ({ lossSum: 0, correct: 0, top5: 0 }),
    evaluate: async () => ({ loss: 0 }),
    saveWeights: async () => undefined,
    restoreWeights: () => {},
  });
  const abortOf = async (losses: number[], loss = "cross_entropy()") => {
    try {
      await runTraining(programFor(loss), scripted(losses));
    } catch (error) {
      return error as TrainingAborted;
    }
    throw new Error("training was not aborted");
  };

  it("does not blame the learning rate for a first loss that is already NaN", async () => {
    const aborted = await abortOf([NaN]);
    expect(aborted).toBeInstanceOf(TrainingAborted);
    expect(aborted.help).toContain("the learning rate is not the cause");
  });

  it("blames the learning rate later, and unnormalized inputs when nothing normalizes them", async () => {
    const aborted = await abortOf([1.4, 1.3, Infinity]);
    expect(aborted.help).toContain("the learning rate (0.05) is probably too high");
    expect(aborted.help).toContain("add `|> standardize()` to `data`");
    const normalized = programFor("cross_entropy()");
    normalized.data = { ...normalized.data, transforms: [{ kind: "standardize", eps: 1e-8 }] };
    expect(divergenceHelp(normalized, 0.05)).toBe("the learning rate (0.05) is probably too high: try dividing it by 10");
  });
});
