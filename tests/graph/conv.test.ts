// conv2d on the CPU reference: its gradient rule and gradient kernels against central finite differences
// (float64; relative error ≤ 1e-6, or absolute ≤ 1e-8 where the gradient is ~0), the forward
// and all three gradients against PyTorch 1.13 (tests/golden/conv.json from make_conv_golden.py; float64 on
// both sides, tolerance 1e-10 absolute), and its lowering from a `.dl` model.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { differentiate } from "../../compiler/graph/autodiff.js";
import { Graph } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { gradcheck } from "../../runtime/cpu/gradcheck.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { expectGradcheck, randomTensor } from "../helpers/gradcheck.js";
import { lowerModelText } from "../helpers/lower.js";

type Pair = [number, number];
interface Geometry {
  x: number[];
  w: number[];
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  bias: boolean;
}

const random = (shape: number[], stream: number): Tensor => randomTensor(shape, stream, { seed: 5 });

/** x, w (and b) as parameters, loss = Σ conv2d(x, w, b)·g for fixed random g; returns the graph and its pieces. */
function build(geometry: Geometry) {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const leaf = (name: string, shape: number[]) => {
    const id = b.add("param", [], shape, { shape });
    graph.params.push({ node: id, name, shape, init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
    return id;
  };
  const x = leaf("x", geometry.x);
  const w = leaf("w", geometry.w);
  const bias = geometry.bias ? leaf("b", [geometry.w[0]!]) : undefined;
  const y = b.add("conv2d", bias === undefined ? [x, w] : [x, w, bias], undefined, { stride: geometry.stride, padding: geometry.padding, dilation: geometry.dilation });
  const yShape = graph.shape(y) as number[];
  const g = b.add("input", [], yShape, { shape: yShape });
  const loss = b.add("sum_all", [b.binary("mul", y, g)]);
  const grads = differentiate(graph, loss);
  return { graph, x, w, bias, y, g, yShape, loss, grads };
}

const GEOMETRIES: Geometry[] = [
  { x: [2, 3, 6, 5], w: [4, 3, 3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1], bias: true },
  { x: [2, 2, 7, 7], w: [3, 2, 3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], bias: true },
  { x: [1, 2, 9, 8], w: [2, 2, 3, 3], stride: [1, 1], padding: [2, 2], dilation: [2, 2], bias: true },
  { x: [2, 3, 7, 9], w: [2, 3, 2, 3], stride: [2, 1], padding: [1, 0], dilation: [1, 2], bias: true },
  { x: [2, 2, 8, 6], w: [3, 2, 4, 1], stride: [3, 2], padding: [0, 1], dilation: [2, 1], bias: false },
  { x: [3, 4, 5, 5], w: [5, 4, 1, 1], stride: [2, 2], padding: [0, 0], dilation: [1, 1], bias: true },
];

// The loss is linear in each single entry, so the central difference is exact for any step up to rounding;
// a step of 1e-4 rather than 1e-6 keeps that rounding (≈ ε·|loss|/step) well under the tolerance.
describe("conv2d gradients match finite differences", () => {
  for (const geometry of GEOMETRIES) {
    const label = `x ${geometry.x.join("×")}, w ${geometry.w.join("×")}, stride ${geometry.stride}, padding ${geometry.padding}, dilation ${geometry.dilation}${geometry.bias ? ", bias" : ""}`;
    it(label, () => {
      const { graph, g, yShape, loss, grads } = build(geometry);
      const values = new Map<number, Tensor>(graph.params.map((p, k) => [p.node, random(p.shape, k)]));
      values.set(g, random(yShape, 99));
      const results = gradcheck(graph.nodes, values, loss, graph.params.map((p, k) => ({ node: p.node, grad: grads.params[k]!, name: p.name })), { seed: 0, step: 0, training: true, batch: geometry.x[0]! }, { maxEntries: 200, step: 1e-4 });
      expect(results.map((r) => r.name)).toEqual(geometry.bias ? ["x", "w", "b"] : ["x", "w"]);
      expectGradcheck(results);
    });
  }
});

interface GoldenCase {
  name: string;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  x: { shape: number[]; data: number[] };
  w: { shape: number[]; data: number[] };
  b: number[] | null;
  g: number[];
  y: { shape: number[]; data: number[] };
  dx: number[];
  dw: number[];
  db: number[] | null;
}

function expectClose(actual: ArrayLike<number>, expected: number[], what: string, tolerance = 1e-10): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) < tolerance)) expect.fail(`${what}: element ${i} is ${actual[i]}, PyTorch ${expected[i]}`);
  }
}

describe("conv2d matches torch.nn.functional.conv2d", () => {
  const golden = JSON.parse(fs.readFileSync("tests/golden/conv.json", "utf8")) as { cases: GoldenCase[] };
  for (const c of golden.cases) {
    it(c.name, () => {
      const built = build({ x: c.x.shape, w: c.w.shape, stride: c.stride, padding: c.padding, dilation: c.dilation, bias: c.b !== null });
      expect(built.yShape).toEqual(c.y.shape);
      const values = new Map<number, Tensor>([
        [built.x, { shape: c.x.shape, data: Float64Array.from(c.x.data) }],
        [built.w, { shape: c.w.shape, data: Float64Array.from(c.w.data) }],
        [built.g, { shape: c.y.shape, data: Float64Array.from(c.g) }],
      ]);
      if (built.bias !== undefined) values.set(built.bias, { shape: [c.b!.length], data: Float64Array.from(c.b!) });
      execute(built.graph.nodes, values, [built.y, ...built.grads.params], { seed: 0, step: 0, training: true, batch: c.x.shape[0]! });
      expectClose(values.get(built.y)!.data, c.y.data, "y");
      expectClose(values.get(built.grads.params[0]!)!.data, c.dx, "dx");
      expectClose(values.get(built.grads.params[1]!)!.data, c.dw, "dw");
      if (c.db) expectClose(values.get(built.grads.params[2]!)!.data, c.db, "db");
    });
  }
});

describe("conv2d lowers from a model", () => {
  const model = (args: string) => `model M(x: f32[N, 3, 9, 8]) -> f32[N, 4] {\n  return x |> conv2d(${args}) |> relu |> flatten |> dense(4)\n}\n`;

  it("creates weight [Cout, Cin, kh, kw] and bias [Cout] with PyTorch's default initialization on fan_in = Cin·kh·kw", () => {
    const lowered = lowerModelText(model("6, kernel: [3, 2], stride: 2, padding: 1, dilation: [1, 2]"));
    const [weight, bias] = lowered.graph.params;
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    expect(weight).toMatchObject({ shape: [6, 3, 3, 2], role: "weight", fanIn: 18, init: { kind: "uniform", a: -bound, b: bound } });
    expect(weight!.name).toMatch(/\.weight$/);
    expect(bias).toMatchObject({ shape: [6], role: "bias", fanIn: 18, init: { kind: "uniform", a: -bound, b: bound } });
    expect(bias!.name).toMatch(/\.bias$/);
    const conv = lowered.graph.nodes.find((n) => n.op === "conv2d")!;
    expect(conv.inputs).toEqual([lowered.input, weight!.node, bias!.node]);
    expect(conv.attrs).toEqual({ stride: [2, 2], padding: [1, 1], dilation: [1, 2] });
    // H' = ⌊(9 + 2 − 2 − 1)/2⌋ + 1 = 5, W' = ⌊(8 + 2 − 2·1 − 1)/2⌋ + 1 = 4.
    expect(conv.shape).toEqual(["N", 6, 5, 4]);
  });

  it("without a bias, the conv has two inputs and one parameter", () => {
    const lowered = lowerModelText(model("6, bias: false"));
    expect(lowered.graph.params.filter((p) => p.name.includes("conv"))).toHaveLength(1);
    expect(lowered.graph.nodes.find((n) => n.op === "conv2d")!.inputs).toHaveLength(2);
  });

  it("changing the stride changes the program", () => {
    const one = lowerModelText(model("6, kernel: 3, stride: 1"));
    const two = lowerModelText(model("6, kernel: 3, stride: 2"));
    const convOf = (l: typeof one) => l.graph.nodes.find((n) => n.op === "conv2d")!;
    expect(convOf(one).attrs["stride"]).toEqual([1, 1]);
    expect(convOf(two).attrs["stride"]).toEqual([2, 2]);
    expect(convOf(one).shape).toEqual(["N", 6, 7, 6]);
    expect(convOf(two).shape).toEqual(["N", 6, 4, 3]);
  });
});
