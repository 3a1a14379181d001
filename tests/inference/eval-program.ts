// Test helper: an InferenceProgram made from a training Program without folding (H3's compiler/export/ folds
// BatchNorm and merges RepVGG; these tests need only some valid inference program): the nodes the output
// needs in evaluation mode, `select_mode` replaced by its evaluation input, dropout removed, running
// statistics turned into `param` nodes of the same name. Weights are seeded random values, running variances
// positive, so BatchNorm's evaluation arithmetic is exercised with values other than its initial ones.
import * as path from "node:path";
import { expect } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { neededNodes } from "../../runtime/graph.js";
import type { InferenceProgram } from "../../runtime/inference/types.js";
import type { Program, ProgramNode } from "../../runtime/program.js";
import { mulberry32 } from "../helpers/random.js";

/** Compiles `text` as if it were samples/NAME.dl (data paths resolve against samples/). */
export function compiled(text: string, name = "inference-test"): Program {
  const result = compileProgram(text, path.resolve(`samples/${name}.dl`));
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.program!;
}

export function evalInference(program: Program): InferenceProgram {
  const need = neededNodes(program.nodes, [program.output], false);
  const renumbered = new Map<number, number>();
  const nodes: ProgramNode[] = [];
  for (const node of program.nodes) {
    if (!need[node.id]) continue;
    if (node.op === "select_mode" || node.op === "dropout") {
      renumbered.set(node.id, renumbered.get(node.inputs[node.op === "select_mode" ? 1 : 0]!)!);
      continue;
    }
    const id = nodes.length;
    renumbered.set(node.id, id);
    nodes.push({ ...node, id, op: node.op === "state" ? "param" : node.op, inputs: node.inputs.map((i) => renumbered.get(i)!) });
  }
  const input = renumbered.get(program.input)!;
  const output = renumbered.get(program.output)!;
  return {
    format: "dslc-inference/1",
    model: program.model,
    nodes,
    input,
    output,
    inputShape: nodes[input]!.shape.slice(1) as number[],
    outputShape: nodes[output]!.shape.slice(1) as number[],
    task: program.task,
    prediction: program.task === "classification" ? "softmax" : "identity",
  };
}

export function randomWeights(program: InferenceProgram, seed: number): Map<string, Float32Array> {
  const random = mulberry32(seed);
  const weights = new Map<string, Float32Array>();
  for (const node of program.nodes) {
    if (node.op !== "param") continue;
    const count = (node.shape as number[]).reduce((a, d) => a * d, 1);
    const positive = node.name!.endsWith("running_var");
    weights.set(node.name!, Float32Array.from({ length: count }, () => (positive ? 0.5 + random() : random() - 0.5)));
  }
  return weights;
}

export function randomBatch(program: InferenceProgram, n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const features = program.inputShape.reduce((a, d) => a * d, 1);
  return Float32Array.from({ length: n * features }, () => 2 * random() - 1);
}

export const MLP_BN = `model MlpBn(x: f32[N, 6]) -> f32[N, 4] {
  return x |> dense(16) |> batchnorm |> relu |> dropout(0.3) |> dense(12) |> tanh |> dense(4)
}
train {
  data = blobs(n: 40, classes: 4, features: 6)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1)
  epochs 1
}
`;

export const CNN_POOL = `model CnnPool(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
  h = x |> conv2d(6, kernel: 3, padding: 1) |> batchnorm |> relu |> maxpool(2)
  h = h |> conv2d(8, kernel: 3, padding: 1) |> relu |> avgpool(2)
  return h |> flatten |> dropout(0.25) |> dense(10)
}
train {
  data = csv("data/digits.csv", label: "label", shape: [1, 8, 8])
  loss = cross_entropy()
  optimizer = sgd(lr: 0.05)
  epochs 1
}
`;
