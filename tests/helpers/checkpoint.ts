// Test helper for checkpoints: a small model whose run depends on everything a checkpoint must carry (dropout
// masks keyed by the step, a reshuffle keyed by the epoch, momentum buffers, a step-wise schedule, BatchNorm
// running statistics, evaluations mid-epoch), and a runner that records what a run logs and ends with.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type DoneReport, type EpochReport, type EvalReport, type TrainingBackend, type TrainOptions } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";

export const MODEL = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(16) |> batchnorm |> relu |> dropout(0.2)\n  return h |> dense(3)\n}\n";

/** 72 training examples in batches of 16: 5 steps per epoch, 15 in all; checkpoints every 4 steps land mid-epoch. */
export function checkpointSource(options: { model?: string; optimizer?: string; schedule?: string; extra?: string } = {}): string {
  return `${options.model ?? MODEL}train {
  data = spirals(n: 90, classes: 3, noise: 0.2) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = ${options.optimizer ?? "sgd(lr: 0.1, momentum: 0.9)"}
  schedule = ${options.schedule ?? "warmup(3 steps) then cosine(per: step)"}
  epochs 3
  batch 16
  seed 5
  log_every 1 steps
  eval_every 4 steps
  checkpoint(every: 4 steps, path: "ckpt", keep: 2)
${options.extra ?? ""}}
`;
}

/**
 * Augmented images (the 8×8 digits, the first 80 examples: 5 steps per epoch): flips, crops and noise are drawn
 * from (seed, step), on the host for the CPU and on the device for WebGPU, so a resumed run redraws them.
 */
export function augmentedSource(): string {
  return checkpointSource({ model: "model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {\n  return x |> flatten |> dense(16) |> relu |> dropout(0.2) |> dense(10)\n}\n" }).replace(
    /  data = .*\n/,
    `  data = csv("${path.resolve("samples/data/digits.csv")}", label: "label", shape: [1, 8, 8]) |> split(val: 0.2) |> subset(80) |> augment([hflip, random_crop(padding: 1), gaussian_noise(std: 0.1)])\n`,
  );
}

/** Compiles `source` with its checkpoints in a fresh temporary folder. */
export function checkpointProgram(source: string): { program: Program; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-checkpoint-"));
  const compiled = compileProgram(source, path.join(dir, "model.dl"));
  expect(compiled.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return { program: compiled.program!, dir };
}

export interface Recorded {
  losses: [number, number][];
  epochs: EpochReport[];
  evals: EvalReport[];
  weights: Map<string, Float32Array>;
  done: DoneReport;
}

/** Runs the loop on `backend` and reads the final parameters and running statistics back by name. */
export async function record(program: Program, backend: TrainingBackend, options: TrainOptions = {}): Promise<Recorded> {
  const recorded: Omit<Recorded, "weights" | "done"> = { losses: [], epochs: [], evals: [] };
  const done = await runTraining(program, backend, {
    ...options,
    onLog: (e) => recorded.losses.push([e.step, e.loss]),
    onEpoch: (e) => recorded.epochs.push(e),
    onEvaluate: (e) => recorded.evals.push(e),
  });
  const saved = (await backend.saveWeights()) as Map<number, Float32Array> | { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
  const byNode = saved instanceof Map ? saved : new Map([...saved.params, ...saved.state]);
  const weights = new Map([...program.params, ...program.state].map((p) => [p.name, byNode.get(p.node)!]));
  return { ...recorded, weights, done };
}

/** What an interrupted run recorded up to `step`, followed by what its resumption recorded. */
export function spliced(first: Recorded, second: Recorded, step: number): Omit<Recorded, "done"> {
  return {
    losses: [...first.losses.filter(([s]) => s <= step), ...second.losses],
    epochs: [...first.epochs.filter((e) => e.step <= step), ...second.epochs],
    evals: [...first.evals.filter((e) => e.step <= step), ...second.evals],
    weights: second.weights,
  };
}

/** Bit-identical: every logged loss, epoch report, evaluation and final tensor. */
export function expectIdentical(actual: Omit<Recorded, "done">, expected: Omit<Recorded, "done">): void {
  expect(actual.losses).toEqual(expected.losses);
  expect(actual.epochs).toEqual(expected.epochs);
  expect(actual.evals).toEqual(expected.evals);
  expect([...actual.weights.keys()]).toEqual([...expected.weights.keys()]);
  for (const [name, data] of expected.weights) expect(actual.weights.get(name), name).toEqual(data);
}
