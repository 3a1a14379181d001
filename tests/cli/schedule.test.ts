// `dslc schedule FILE`: the rates it shows are exactly the rates training uses at each step (the loop is run
// with a recording backend and compared value for value), the terminal chart and summary describe that
// curve, and the SVG holds a drawn line through every step.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import { dslc } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-schedule-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));

function write(name: string, schedule: string, optimizer = "sgd(lr: 0.1, momentum: 0.9)"): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(n: 90, classes: 3) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = ${optimizer}\n  schedule = ${schedule}\n  epochs 7\n  batch 16\n}\n`);
  return file;
}

/** The learning rate of every training step, as the loop hands it to a backend. */
async function trainedRates(file: string): Promise<{ lr: number[]; momentum: (number | undefined)[] }> {
  const program = compileProgram(fs.readFileSync(file, "utf8"), file).program!;
  const lr: number[] = [];
  const momentum: (number | undefined)[] = [];
  const backend: TrainingBackend = {
    name: "cpu",
    adapter: "recorder",
    step: (_batch, _step, hyper) => {
      lr.push(hyper.lr);
      momentum.push(hyper.momentum);
      return undefined;
    },
    takeEpochSums: async () => ({ lossSum: 1, correct: 0, top5: 0 }),
    evaluate: async () => ({ loss: 1 }),
    saveWeights: async () => undefined,
    restoreWeights: () => {},
  };
  await runTraining(program, backend);
  return { lr, momentum };
}

describe("dslc schedule", () => {
  it("prints, as JSON, exactly the rates training uses at every step", async () => {
    const file = write("warm.dl", "warmup(10 steps) then cosine(to: 1e-3, per: step)");
    const result = await dslc("schedule", file, "--json");
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as { steps: number; steps_per_epoch: number; lr: number[] };
    const trained = await trainedRates(file);
    expect(shown.lr).toEqual(trained.lr);
    // 72 training examples in batches of 16: 5 steps per epoch, 35 in all; the warmup peaks at step 11.
    expect([shown.steps, shown.steps_per_epoch]).toEqual([35, 5]);
    expect(shown.lr.indexOf(Math.max(...shown.lr))).toBe(10);
  });

  it("shows the momentum a cyclic schedule sets, as training does", async () => {
    const file = write("cycle.dl", "one_cycle(max_lr: 0.5)");
    const shown = JSON.parse((await dslc("schedule", file, "--json")).stdout) as { lr: number[]; momentum: number[] };
    const trained = await trainedRates(file);
    expect(shown.lr).toEqual(trained.lr);
    expect(shown.momentum).toEqual(trained.momentum);
    expect(new Set(shown.momentum).size).toBeGreaterThan(5);
  });

  it("draws the curve in the terminal with its extremes, and writes an SVG line through every step", async () => {
    const file = write("step.dl", "step(step_size: 2, gamma: 0.5)");
    const svg = path.join(dir, "step.svg");
    const result = await dslc("schedule", file, "--svg", svg);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("learning rate of M over 35 steps (7 epochs of 5 steps)");
    // Halved every 2 epochs: 0.1 for steps 1–10, then 0.05, 0.025, and 0.0125 from step 31.
    expect(result.stdout).toContain("first 1.000e-1, highest 1.000e-1 at step 1, lowest 1.250e-2 at step 31, last 1.250e-2");
    expect(result.stdout).toMatch(/1\.00e-1 ┼─+╮/);
    expect(result.stdout).toContain(`wrote ${svg}`);
    const line = /class="mark-line role-mark marks"[^>]*><path[^>]*d="([^"]+)"/.exec(fs.readFileSync(svg, "utf8"));
    expect(line).not.toBeNull();
    expect(line![1]!.split("L")).toHaveLength(35);
  });

  it("explains that a plateau schedule is known only while training", async () => {
    const result = await dslc("schedule", write("plateau.dl", "plateau(monitor: val_loss)"));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("the learning rate starts at 0.1 and follows `val_loss` (plateau): it is known only while training\n");
  });
});
