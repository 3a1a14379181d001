// Layers lowered to the graph and run on the CPU reference, against PyTorch 1.13 (tests/golden/layers.json):
// BatchNorm1d in training mode (output, gradients, running statistics with the unbiased variance) and in
// evaluation mode; cross-entropy with label smoothing (loss and gradient). Tolerance: 1e-10 absolute
// (float64 on both sides).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { lowerModelText } from "../helpers/lower.js";
import { differentiate } from "../../compiler/graph/autodiff.js";
import { Graph } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";

const golden = JSON.parse(fs.readFileSync("tests/golden/layers.json", "utf8"));
const t = (rows: number[][]): Tensor => ({ shape: [rows.length, rows[0]!.length], data: Float64Array.from(rows.flat()) });
const v = (values: number[]): Tensor => ({ shape: [values.length], data: Float64Array.from(values) });

function expectClose(actual: ArrayLike<number>, expected: number[], tolerance = 1e-10): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `element ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tolerance);
}

describe("BatchNorm over features matches torch.nn.BatchNorm1d", () => {
  const bn = golden.batchnorm;
  const lowered = lowerModelText("model M(x: f32[N, 4]) -> f32[N, 4] {\n  return x |> batchnorm\n}\n");
  const program = { nodes: lowered.graph.nodes, input: lowered.input, output: lowered.output, sideEffects: lowered.sideEffects, params: lowered.graph.params, state: lowered.graph.state };
  const [gamma, beta] = program.params;
  const [runningMean, runningVar] = program.state;

  function leaves(x: number[][]): Map<number, Tensor> {
    return new Map<number, Tensor>([
      [program.input, t(x)],
      [gamma!.node, v(bn.gamma)],
      [beta!.node, v(bn.beta)],
      [runningMean!.node, v([0, 0, 0, 0])],
      [runningVar!.node, v([1, 1, 1, 1])],
    ]);
  }

  it("trains on the batch statistics and updates the running estimates", () => {
    // Loss = Σ y·w as in the golden script, built on the lowered graph's output.
    const graph = new Graph();
    graph.nodes.push(...program.nodes.map((n) => ({ ...n })));
    const b = new GraphBuilder(graph);
    const w = b.add("input", [], ["N", 4], { shape: ["N", 4] });
    const loss = b.add("sum_all", [b.binary("mul", program.output, w)]);
    graph.params.push(...program.params.map((p) => ({ ...p })), { node: program.input, name: "x", shape: [6, 4], init: { kind: "zeros" }, role: "weight", fanIn: 4, fanOut: 4 });
    const grads = differentiate(graph, loss);
    const values = leaves(bn.x);
    values.set(w, t(bn.w));
    execute(graph.nodes, values, [program.output, ...grads.params, ...program.sideEffects], { seed: 0, step: 0, training: true, batch: 6 });
    expectClose(values.get(program.output)!.data, bn.train.y.flat());
    expectClose(values.get(grads.params[0]!)!.data, bn.train.dgamma);
    expectClose(values.get(grads.params[1]!)!.data, bn.train.dbeta);
    expectClose(values.get(grads.params[2]!)!.data, bn.train.dx.flat());
    expectClose(values.get(runningMean!.node)!.data, bn.train.running_mean);
    expectClose(values.get(runningVar!.node)!.data, bn.train.running_var);
  });

  it("evaluates with the running estimates", () => {
    const values = leaves(bn.x);
    execute(program.nodes, values, [...program.sideEffects], { seed: 0, step: 0, training: true, batch: 6 });
    const evalValues = new Map(values);
    for (const node of program.nodes) if (node.op !== "param" && node.op !== "state" && node.op !== "input") evalValues.delete(node.id);
    evalValues.set(program.input, t(bn.eval_x));
    execute(program.nodes, evalValues, [program.output], { seed: 0, step: 0, training: false, batch: 3 });
    expectClose(evalValues.get(program.output)!.data, bn.eval_y.flat());
  });
});

describe("cross-entropy with label smoothing matches torch.nn.functional.cross_entropy", () => {
  const ce = golden.cross_entropy;
  for (const [key, expected] of Object.entries(ce.cases) as [string, { loss: number; grad: number[][] }][]) {
    it(`smoothing ${key.replace("/", ", reduction ")}`, () => {
      const [smoothing, reduction] = key.split("/");
      const graph = new Graph();
      const b = new GraphBuilder(graph);
      const logits = b.add("param", [], ["N", 5], { shape: ["N", 5] });
      graph.params.push({ node: logits, name: "logits", shape: [4, 5], init: { kind: "zeros" }, role: "weight", fanIn: 5, fanOut: 5 });
      const labels = b.add("input", [], ["N"], { shape: ["N"] });
      const loss = b.add("softmax_cross_entropy", [logits, labels], [], { smoothing: Number(smoothing), reduction: reduction! });
      const grads = differentiate(graph, loss);
      const values = new Map<number, Tensor>([
        [logits, t(ce.logits)],
        [labels, v(ce.labels)],
      ]);
      execute(graph.nodes, values, [loss, grads.params[0]!], { seed: 0, step: 0, training: true, batch: 4 });
      expectClose(values.get(loss)!.data, [expected.loss]);
      expectClose(values.get(grads.params[0]!)!.data, expected.grad.flat());
    });
  }
});
