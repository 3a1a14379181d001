// `schedule = plateau(…)` through the training loop: the learning rate each step is given must follow
// PyTorch 1.13's ReduceLROnPlateau fed the same metric sequence (tests/golden/schedules.json, made by
// tests/golden/make_golden.py), whether the metric is measured on the validation split or on training
// batches; and the checker's arguments reach the program.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";

const golden = JSON.parse(fs.readFileSync("tests/golden/schedules.json", "utf8")) as {
  lr0: number;
  plateau: { metrics: number[]; cases: { name: string; lrs: number[] }[] };
};
const metrics = golden.plateau.metrics;

function compile(schedule: string, epochs = metrics.length) {
  const source = `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(n: 40, classes: 3) |> split(val: 0.25)\n  loss = cross_entropy()\n  optimizer = sgd(lr: ${golden.lr0})\n  schedule = ${schedule}\n  epochs ${epochs}\n  batch full\n  seed 1\n}\n`;
  return compileProgram(source, "/virtual/plateau.dl");
}

/** Runs the loop with a backend whose measurements are the golden metric sequence; the lr of each step. */
async function lrsPerEpoch(program: Program, split: "train" | "val"): Promise<number[]> {
  const lrs: number[] = [];
  let epoch = 0;
  let seen = 0;
  const backend: TrainingBackend = {
    name: "cpu",
    adapter: "scripted",
    step: (batch, _step, hyper) => {
      lrs.push(hyper.lr);
      seen = batch.count;
      return undefined;
    },
    // train_loss of epoch e is metrics[e] (the loop divides the sum by the examples seen).
    takeEpochSums: async () => ({ lossSum: (split === "train" ? metrics[epoch]! : 1) * seen, correct: 0, top5: 0 }),
    evaluate: async () => ({ loss: split === "val" ? metrics[epoch++]! : 1 }),
    saveWeights: async () => undefined,
    restoreWeights: () => {},
  };
  if (split === "train") backend.evaluate = async () => (epoch++, { loss: 1 });
  await runTraining(program, backend);
  return lrs;
}

describe("reduce on plateau in the training loop", () => {
  it("follows PyTorch on a validation metric (patience 3, cooldown 2, min_lr)", async () => {
    const program = compile("plateau(monitor: val_loss, factor: 0.5, patience: 3, threshold: 1e-3, cooldown: 2, min_lr: 0.01)").program!;
    expect(program.schedule.plateau).toEqual({ monitor: "val_loss", mode: "min", factor: 0.5, patience: 3, threshold: 1e-3, cooldown: 2, minLr: 0.01 });
    const lrs = await lrsPerEpoch(program, "val");
    // One full-batch step per epoch: epoch e + 1 trains with PyTorch's lr after scheduler.step(metrics[e]).
    const expected = golden.plateau.cases.find((c) => c.name === "patience 3 cooldown 2 min_lr")!.lrs;
    expect(lrs).toEqual([golden.lr0, ...expected.slice(0, metrics.length - 1)]);
    expect(new Set(lrs).size).toBeGreaterThan(2);
  });

  it("follows PyTorch on a training metric with the defaults", async () => {
    const lrs = await lrsPerEpoch(compile("plateau(monitor: train_loss)").program!, "train");
    const expected = golden.plateau.cases.find((c) => c.name === "defaults")!.lrs;
    expect(lrs).toEqual([golden.lr0, ...expected.slice(0, metrics.length - 1)]);
    expect(Math.min(...lrs)).toBeLessThan(golden.lr0);
  });

  it("is refused inside a `then` sequence rather than run as something else", () => {
    const result = compile("warmup(5 steps) then plateau(monitor: val_loss)");
    expect(result.diagnostics.map((d) => d.code)).toContain("E0601");
    expect(result.program).toBeUndefined();
  });
});
