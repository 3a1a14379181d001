// The normalization layers over images, lowered to the graph and run on the CPU reference in float64:
// against PyTorch 1.13 (tests/golden/norm.json from tests/golden/make_norm_golden.py): BatchNorm2d over
// three training steps (outputs, gradients of x, γ, β, running statistics) and in evaluation, LayerNorm,
// GroupNorm and InstanceNorm2d forward and backward. Tolerance 1e-9 absolute (float64 on both sides; sums
// of up to 360 terms). Then every gradient rule of the family against central finite differences (step
// 1e-6) on odd sizes: absolute error ≤ 5e-8 or relative ≤ 1e-6. The absolute floor is the differences'
// own rounding noise (≈ 1e-16·Σ|y·w| / 1e-6 ≈ 1e-8 here; dx of a normalization has entries near 1e-3, so
// relative error alone flags noise); a wrong rule errs by about the gradient itself (≥ 1e-3).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { differentiate } from "../../compiler/graph/autodiff.js";
import { Graph, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { gradcheck } from "../../runtime/cpu/gradcheck.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { BATCH, expectGradcheck, randomTensor } from "../helpers/gradcheck.js";
import { lowerModelText } from "../helpers/lower.js";

interface Step {
  x: number[];
  shape: number[];
  w: number[];
  y: number[];
  dx: number[];
  dgamma?: number[];
  dbeta?: number[];
  running_mean?: number[];
  running_var?: number[];
}
type Case = Step & { params: { gamma?: number[]; beta?: number[] }; steps?: Step[]; eval_x?: number[]; eval_shape?: number[]; eval_y: number[] };

const golden = JSON.parse(fs.readFileSync("tests/golden/norm.json", "utf8")) as { cases: Record<string, Case> };
const tensor = (shape: number[], values: number[]): Tensor => ({ shape, data: Float64Array.from(values) });

function expectClose(actual: ArrayLike<number>, expected: number[], label: string, tolerance = 1e-9): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) < tolerance)) expect.fail(`${label}, element ${i}: ${actual[i]} vs PyTorch's ${expected[i]}`);
  }
}

/** The model `x |> layer` lowered, with a loss Σ y·w and the gradients of γ, β and x. */
function lowered(layer: string, shape: number[]) {
  const type = `f32[N, ${shape.slice(1).join(", ")}]`;
  const model = lowerModelText(`model M(x: ${type}) -> ${type} {\n  return x |> ${layer}\n}\n`);
  const graph = new Graph();
  graph.nodes.push(...model.graph.nodes.map((n) => ({ ...n })));
  graph.params.push(...model.graph.params.map((p) => ({ ...p })));
  const b = new GraphBuilder(graph);
  const w = b.add("input", [], graph.shape(model.output), { shape: graph.shape(model.output) });
  const loss = b.add("sum_all", [b.binary("mul", model.output, w)]);
  graph.params.push({ node: model.input, name: "x", shape, init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
  const grads = differentiate(graph, loss);
  return { graph, model, w, loss, grads };
}

/** Leaves: γ and β from the fixture, running statistics at PyTorch's initial values. */
function leaves(l: ReturnType<typeof lowered>, c: Case): Map<number, Tensor> {
  const values = new Map<number, Tensor>();
  const [gamma, beta] = l.model.graph.params;
  if (c.params.gamma) {
    values.set(gamma!.node, tensor([c.params.gamma.length], c.params.gamma));
    values.set(beta!.node, tensor([c.params.beta!.length], c.params.beta!));
  }
  for (const s of l.model.graph.state) values.set(s.node, tensor(s.shape, new Array(s.shape[0]).fill(s.fill)));
  return values;
}

/** One training step on the fixture's batch: checks y and every gradient. */
function trainStep(l: ReturnType<typeof lowered>, persistent: Map<number, Tensor>, step: Step, label: string): void {
  const values = new Map(persistent);
  values.set(l.model.input, tensor(step.shape, step.x));
  values.set(l.w, tensor(step.shape, step.w));
  execute(l.graph.nodes, values, [l.model.output, ...l.grads.params, ...l.model.sideEffects], { seed: 0, step: 0, training: true, batch: step.shape[0]! });
  expectClose(values.get(l.model.output)!.data, step.y, `${label}: y`);
  const grads = l.grads.params.map((g) => values.get(g)!.data);
  if (step.dgamma) {
    expectClose(grads[0]!, step.dgamma, `${label}: dγ`);
    expectClose(grads[1]!, step.dbeta!, `${label}: dβ`);
  }
  expectClose(grads[grads.length - 1]!, step.dx, `${label}: dx`);
}

function evaluate(l: ReturnType<typeof lowered>, persistent: Map<number, Tensor>, shape: number[], x: number[]): ArrayLike<number> {
  const values = new Map(persistent);
  values.set(l.model.input, tensor(shape, x));
  execute(l.model.graph.nodes, values, [l.model.output], { seed: 0, step: 0, training: false, batch: shape[0]! });
  return values.get(l.model.output)!.data;
}

describe("BatchNorm over channels matches torch.nn.BatchNorm2d", () => {
  for (const [name, layer] of [
    ["batchnorm2d", "batchnorm"],
    ["batchnorm2d_plain", "batchnorm(eps: 1e-3, momentum: 0.3, affine: false)"],
  ] as const) {
    it(`${layer}: three training steps, running statistics, then evaluation`, () => {
      const c = golden.cases[name]!;
      const l = lowered(layer, c.steps![0]!.shape);
      const persistent = leaves(l, c);
      const [runningMean, runningVar] = l.model.graph.state;
      c.steps!.forEach((step, k) => {
        trainStep(l, persistent, step, `${name} step ${k + 1}`);
        expectClose(persistent.get(runningMean!.node)!.data, step.running_mean!, `${name} step ${k + 1}: running mean`);
        expectClose(persistent.get(runningVar!.node)!.data, step.running_var!, `${name} step ${k + 1}: running variance`);
      });
      const shape = [c.eval_x!.length / c.steps![0]!.shape.slice(1).reduce((p, d) => p * d, 1), ...c.steps![0]!.shape.slice(1)];
      expectClose(evaluate(l, persistent, shape, c.eval_x!), c.eval_y, `${name}: evaluation`);
    });
  }

  it("without running statistics, evaluation normalizes with the batch's own", () => {
    const c = golden.cases["batchnorm2d_untracked"]!;
    const l = lowered("batchnorm(track_running_stats: false)", c.eval_shape!);
    expect(l.model.graph.state).toEqual([]);
    expectClose(evaluate(l, leaves(l, c), c.eval_shape!, c.eval_x!), c.eval_y, "batchnorm2d_untracked");
  });
});

describe("LayerNorm, GroupNorm and InstanceNorm match PyTorch", () => {
  const layers: [string, string][] = [
    ["layernorm_features", "layernorm"],
    ["layernorm_images", "layernorm(eps: 1e-3)"],
    ["layernorm_plain", "layernorm(affine: false)"],
    ["groupnorm_2", "groupnorm(2)"],
    ["groupnorm_1", "groupnorm(1, eps: 1e-4)"],
    ["groupnorm_features", "groupnorm(3, affine: false)"],
    ["instancenorm", "instancenorm"],
    ["instancenorm_plain", "instancenorm(eps: 1e-3, affine: false)"],
  ];
  for (const [name, layer] of layers) {
    it(`${layer}: output, gradients, and the same statistics in evaluation`, () => {
      const c = golden.cases[name]!;
      const l = lowered(layer, c.shape);
      const persistent = leaves(l, c);
      trainStep(l, persistent, c, name);
      expectClose(evaluate(l, persistent, c.shape, c.x), c.eval_y, `${name}: evaluation`);
    });
  }
});

const random = (shape: number[], stream: number, scale = 1, offset = 0): Tensor => randomTensor(shape, stream, { seed: 5, scale, offset });

/** Gradients of x, γ and β of `x |> layer` against finite differences, with γ and β away from 1 and 0. */
function gradcheckLayer(layer: string, shape: Dim[], offset = 0) {
  const concrete = shape.map((d) => (d === "N" ? BATCH : d)) as number[];
  const l = lowered(layer, concrete);
  const values = new Map<number, Tensor>();
  l.model.graph.params.forEach((p, k) => values.set(p.node, random(p.shape, 10 + k, 0.5, k === 0 ? 1 : 0)));
  for (const s of l.model.graph.state) values.set(s.node, random(s.shape, 20, 0.1, s.fill));
  values.set(l.model.input, random(concrete, 1, 2, offset));
  values.set(l.w, random(concrete, 2));
  const params = l.graph.params.map((p, k) => ({ node: p.node, grad: l.grads.params[k]!, name: p.name }));
  const results = gradcheck(l.graph.nodes, values, l.loss, params, { seed: 0, step: 0, training: true, batch: BATCH }, { maxEntries: 200 });
  expect(results.map((r) => r.name)).toEqual(params.map((p) => p.name));
  expectGradcheck(results, { floor: 5e-8, label: (name) => `${layer}: ${name}` });
  return results;
}

describe("gradients of the normalization layers match finite differences", () => {
  it("batchnorm over channels (γ, β, x), with and without affine", () => {
    expect(gradcheckLayer("batchnorm", ["N", 5, 7, 7])).toHaveLength(3);
    expect(gradcheckLayer("batchnorm(affine: false)", ["N", 5, 3, 3])).toHaveLength(1);
  });
  it("layernorm over the last axis of features and of images", () => {
    expect(gradcheckLayer("layernorm", ["N", 7])).toHaveLength(3);
    expect(gradcheckLayer("layernorm", ["N", 3, 5, 7])).toHaveLength(3);
    expect(gradcheckLayer("layernorm(affine: false)", ["N", 3, 5])).toHaveLength(1);
  });
  it("groupnorm with 1 group, several, and one per channel", () => {
    expect(gradcheckLayer("groupnorm(1)", ["N", 5, 3, 3])).toHaveLength(3);
    expect(gradcheckLayer("groupnorm(2)", ["N", 4, 5, 3])).toHaveLength(3);
    expect(gradcheckLayer("groupnorm(5)", ["N", 5, 3, 3])).toHaveLength(3);
    expect(gradcheckLayer("groupnorm(3, affine: false)", ["N", 6])).toHaveLength(1);
  });
  it("instancenorm, with and without affine, on data with a large mean", () => {
    expect(gradcheckLayer("instancenorm", ["N", 5, 7, 7])).toHaveLength(3);
    expect(gradcheckLayer("instancenorm(affine: false)", ["N", 3, 4, 5], 100)).toHaveLength(1);
  });
});
