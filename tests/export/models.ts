// Test helper: compile a model, give it random weights with non-trivial BatchNorm statistics (mean ≠ 0,
// var ≠ 1, γ ≠ 1, β ≠ 0, as after training), and run the original program in evaluation mode.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import type { Program } from "../../runtime/program.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import { mulberry32 } from "../helpers/random.js";

export function compileFile(file: string): Program {
  return compileSource(readFileSync(file, "utf8"), file);
}

export function compileSource(text: string, file = "model.dl"): Program {
  const result = compileProgram(text, file);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.program!;
}

export function randomWeights(program: Program, seed = 1): Map<string, Tensor> {
  const random = mulberry32(seed);
  const uniform = (a: number, b: number) => a + (b - a) * random();
  const weights = new Map<string, Tensor>();
  const fill = (name: string, shape: number[], f: () => number) => weights.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, f) });
  for (const p of program.params) {
    const fanIn = Math.max(1, p.fanIn);
    if (name(p.name, "gamma")) fill(p.name, p.shape, () => uniform(0.5, 1.5));
    else if (name(p.name, "beta")) fill(p.name, p.shape, () => uniform(-0.5, 0.5));
    else fill(p.name, p.shape, () => uniform(-1, 1) * Math.sqrt(3 / fanIn));
  }
  for (const s of program.state) {
    if (name(s.name, "running_var")) fill(s.name, s.shape, () => uniform(0.2, 2));
    else if (name(s.name, "running_mean")) fill(s.name, s.shape, () => uniform(-0.5, 0.5));
    // Caffe's BatchNorm keeps sums and the factor that divides them.
    else if (name(s.name, "mean_sum")) fill(s.name, s.shape, () => uniform(-1, 1));
    else if (name(s.name, "var_sum")) fill(s.name, s.shape, () => uniform(0.4, 4));
    else if (name(s.name, "scale_factor")) fill(s.name, s.shape, () => uniform(1.5, 3));
    else fill(s.name, s.shape, () => s.fill);
  }
  return weights;
}

const name = (full: string, last: string) => full.endsWith(`.${last}`);

export function randomBatch(shape: number[], n: number, seed = 2): Tensor {
  const random = mulberry32(seed);
  return { shape: [n, ...shape], data: Float32Array.from({ length: n * shape.reduce((a, d) => a * d, 1) }, () => random() * 2 - 1) };
}

/** The original program's evaluation-mode output (CPU reference interpreter). */
export function evalOutput(program: Program, weights: Map<string, Tensor>, x: Tensor): Tensor {
  const values = new Map<number, Tensor>([[program.input, x]]);
  for (const p of program.params) values.set(p.node, weights.get(p.name)!);
  for (const s of program.state) values.set(s.node, weights.get(s.name)!);
  return execute(program.nodes, values, [program.output], { seed: 0, step: 0, training: false, batch: x.shape[0]! }).get(program.output)!;
}

/** An exported (inference) program's output on the CPU reference interpreter. */
export function runInference(nodes: { id: number; op: string; inputs: number[]; shape: (number | string)[]; attrs: any; name?: string }[], input: number, output: number, weights: Map<string, Tensor>, x: Tensor): Tensor {
  const values = new Map<number, Tensor>([[input, x]]);
  for (const n of nodes) if (n.op === "param") values.set(n.id, weights.get(n.name!)!);
  return execute(nodes, values, [output], { seed: 0, step: 0, training: false, batch: x.shape[0]! }).get(output)!;
}

export function maxDifference(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
  return max;
}
