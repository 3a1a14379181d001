// ELU, GELU, SiLU, log_softmax, weight normalization and DropConnect on the CPU reference backend:
// - gradient rules against central finite differences in float64 (step 1e-6; relative error ≤ 1e-6, or
//   absolute ≤ 1e-8 where the gradient is ~0), as tests/graph/autodiff.test.ts;
// - forward values and gradients against PyTorch 1.13 (tests/golden/activation.json, written by
//   make_activation_golden.py): 1e-12 relative + 1e-13 absolute (float64 on both sides; PyTorch's erf and
//   ours differ in the last bits only);
// - the lowering of the layers and of `dense(weight_norm: true)` / `dense(dropconnect: p)`.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { differentiate } from "../../compiler/graph/autodiff.js";
import { Graph, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import { dropoutScale, type KernelContext } from "../../runtime/cpu/kernels.js";
import { ACTIVATION_KERNELS } from "../../runtime/cpu/kernels/activation.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { initialize } from "../../runtime/init.js";
import { BATCH, checkLeaves, gradcheckGraph, randomTensor } from "../helpers/gradcheck.js";
import { lowerModelText } from "../helpers/lower.js";

const golden = JSON.parse(fs.readFileSync("tests/golden/activation.json", "utf8"));

/** Leaves of the given shapes (normal × `scale`), `body` on them, Σ out·w with fixed w; checks every leaf's gradient. */
function check(shapes: Dim[][], body: (b: GraphBuilder, leaves: number[]) => number, scale = 1) {
  checkLeaves(shapes, body, { scale });
}

function expectClose(actual: ArrayLike<number>, expected: number[], label: string, relative = 1e-12, absolute = 1e-13): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= relative * Math.abs(expected[i]!) + absolute)) expect.fail(`${label}: element ${i} is ${actual[i]}, PyTorch ${expected[i]}`);
  }
}

const CTX: KernelContext = { seed: 0, step: 0, training: true, batch: 1 };

/** Value and gradient (of Σ op(x)·dy) of a unary op on the CPU, from the graph and autodiff as training runs them. */
function valueAndGrad(op: string, shape: number[], x: number[], dy: number[], attrs = {}): { y: ArrayLike<number>; dx: ArrayLike<number> } {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const xNode = b.add("param", [], shape, { shape });
  graph.params.push({ node: xNode, name: "x", shape, init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
  const dyNode = b.add("input", [], shape, { shape });
  const y = b.unary(op, xNode, attrs);
  const loss = b.add("sum_all", [b.binary("mul", y, dyNode)]);
  const grads = differentiate(graph, loss);
  const values = new Map<number, Tensor>([
    [xNode, { shape, data: Float64Array.from(x) }],
    [dyNode, { shape, data: Float64Array.from(dy) }],
  ]);
  execute(graph.nodes, values, [y, grads.params[0]!], CTX);
  return { y: values.get(y)!.data, dx: values.get(grads.params[0]!)!.data };
}

describe("gradients match finite differences", () => {
  it("elu (α = 1 and 0.5), gelu and silu, over inputs spread to ±6", () => {
    check([["N", 7]], (b, [x]) => b.unary("elu", x!, { alpha: 1 }), 3);
    check([["N", 7]], (b, [x]) => b.unary("elu", x!, { alpha: 0.5 }), 3);
    check([["N", 7]], (b, [x]) => b.unary("gelu", x!), 3);
    check([["N", 7]], (b, [x]) => b.unary("silu", x!), 3);
  });

  it("log_softmax over axis 0, 1, and the middle and last (−1) axes of a 3-D tensor", () => {
    check([["N", 6]], (b, [x]) => b.unary("log_softmax", x!, { axis: 0 }), 2);
    check([["N", 6]], (b, [x]) => b.unary("log_softmax", x!, { axis: 1 }), 2);
    check([["N", 5, 3]], (b, [x]) => b.unary("log_softmax", x!, { axis: 1 }), 2);
    check([["N", 5, 3]], (b, [x]) => b.unary("log_softmax", x!, { axis: 2 }), 2);
  });

  it("row_norm, scale_rows and row_dot (weight normalization's pieces), square and not", () => {
    for (const [rows, cols] of [[4, 5], [4, 4]] as const) {
      check([[rows, cols]], (b, [v]) => b.unary("row_norm", v!));
      check([[rows, cols], [rows, 1]], (b, [a, s]) => b.add("scale_rows", [a!, s!]));
      check([[rows, cols], [rows, cols]], (b, [a, c]) => b.add("row_dot", [a!, c!]));
    }
  });

  it("a weight-normalized dense layer as lowered: v, g, bias and the input", () => {
    const lowered = lowerModelText("model M(x: f32[N, 5]) -> f32[N, 3] {\n  return x |> dense(3, weight_norm: true)\n}\n");
    const { graph } = lowered;
    const values = new Map<number, Tensor>();
    graph.params.forEach((p, k) => values.set(p.node, randomTensor(p.shape, 20 + k)));
    graph.params.push({ node: lowered.input, name: "x", shape: [BATCH, 5], init: { kind: "zeros" }, role: "weight", fanIn: 5, fanOut: 5 });
    values.set(lowered.input, randomTensor([BATCH, 5], 30));
    const results = gradcheckGraph(graph, lowered.output, values, { seed: CTX.seed });
    expect(results.map((r) => r.name.split(".").pop())).toEqual(["weight_v", "weight_g", "bias", "x"]);
  });
});

describe("activations match PyTorch 1.13", () => {
  const { x, dy } = golden.activations;
  const cases: [string, string, Record<string, number>][] = [
    ["gelu", "gelu", {}],
    ["silu", "silu", {}],
    ["elu", "elu", { alpha: 1 }],
    ["elu_alpha_0.5", "elu", { alpha: 0.5 }],
  ];
  for (const [key, op, attrs] of cases) {
    it(`${key}: values and gradients on a grid through ±40`, () => {
      const { y, dx } = valueAndGrad(op, [x.length], x, dy, attrs);
      expectClose(y, golden.activations[key].y, `${key} y`);
      expectClose(dx, golden.activations[key].dx, `${key} dx`);
    });
  }

  it("log_softmax over each axis, and stably for logits near 1000", () => {
    for (const c of golden.log_softmax as { shape: number[]; axis: number; x: number[]; dy: number[]; y: number[]; dx: number[] }[]) {
      const axis = c.axis < 0 ? c.shape.length + c.axis : c.axis;
      const { y, dx } = valueAndGrad("log_softmax", c.shape, c.x, c.dy, { axis });
      // Logits near 1000 carry 1000·2⁻⁵² ≈ 2e-13 of rounding in x itself.
      expectClose(y, c.y, `log_softmax [${c.shape}] axis ${c.axis} y`, 1e-12, 1e-12);
      expectClose(dx, c.dx, `log_softmax [${c.shape}] axis ${c.axis} dx`, 1e-12, 1e-12);
    }
  });
});

describe("weight normalization matches torch.nn.utils.weight_norm(Linear, dim=0)", () => {
  const wn = golden.weight_norm;
  const [n, features, units] = wn.shape as [number, number, number];

  it("forward and gradients with respect to v, g, the bias and the input", () => {
    const lowered = lowerModelText(`model M(x: f32[N, ${features}]) -> f32[N, ${units}] {\n  return x |> dense(${units}, weight_norm: true)\n}\n`);
    const { graph } = lowered;
    const [v, g, bias] = graph.params;
    graph.params.push({ node: lowered.input, name: "x", shape: [n, features], init: { kind: "zeros" }, role: "weight", fanIn: features, fanOut: features });
    const b = new GraphBuilder(graph);
    const dy = b.add("input", [], ["N", units], { shape: ["N", units] });
    const loss = b.add("sum_all", [b.binary("mul", lowered.output, dy)]);
    const grads = differentiate(graph, loss);
    const values = new Map<number, Tensor>([
      [v!.node, { shape: [units, features], data: Float64Array.from(wn.v) }],
      [g!.node, { shape: [units], data: Float64Array.from(wn.g) }],
      [bias!.node, { shape: [units], data: Float64Array.from(wn.bias) }],
      [lowered.input, { shape: [n, features], data: Float64Array.from(wn.x) }],
      [dy, { shape: [n, units], data: Float64Array.from(wn.dy) }],
    ]);
    execute(graph.nodes, values, [lowered.output, ...grads.params], { ...CTX, batch: n });
    expectClose(values.get(lowered.output)!.data, wn.y, "y");
    expectClose(values.get(grads.params[0]!)!.data, wn.dv, "dv");
    expectClose(values.get(grads.params[1]!)!.data, wn.dg, "dg");
    expectClose(values.get(grads.params[2]!)!.data, wn.dbias, "dbias");
    expectClose(values.get(grads.params[3]!)!.data, wn.dx, "dx");
  });

  it("g starts at ‖v‖ per row: row_norm gives PyTorch's weight_g, and the row_norms initializer repeats v's draw", () => {
    const norms = ACTIVATION_KERNELS["row_norm"]!([{ shape: [units, features], data: Float64Array.from(wn.v) }], {}, CTX, [units, 1]);
    expectClose(norms.data, wn.init_g, "init_g");
    const lowered = lowerModelText("model M(x: f32[N, 6]) -> f32[N, 4] {\n  h = x |> dense(5)\n  return h |> dense(4, weight_norm: true)\n}\n");
    const params = lowered.graph.params;
    const gIndex = params.findIndex((p) => p.name.endsWith(".weight_g"));
    const g = params[gIndex]!;
    const vIndex = params.findIndex((p) => p.name.endsWith(".weight_v"));
    expect(g.init).toMatchObject({ kind: "row_norms", index: vIndex, rows: 4, cols: 5 });
    for (const make of [(k: number) => new Float32Array(k), (k: number) => new Float64Array(k)]) {
      const vData = make(20);
      initialize(vData, params[vIndex]!.init, params[vIndex]!.fanIn, params[vIndex]!.fanOut, 42, vIndex);
      const gData = make(4);
      initialize(gData, g.init, g.fanIn, g.fanOut, 42, gIndex);
      for (let r = 0; r < 4; r++) {
        const norm = Math.hypot(...Array.from(vData.slice(r * 5, r * 5 + 5)));
        expect(Math.abs(gData[r]! - norm)).toBeLessThanOrEqual(norm * (vData instanceof Float32Array ? 1e-7 : 1e-15));
      }
      expect(new Set(gData).size, "distinct rows").toBe(4);
    }
  });
});

describe("lowering", () => {
  const model = (layer: string, input = "6", output = "6") => `model M(x: f32[N, ${input}]) -> f32[N, ${output}] {\n  return x |> ${layer}\n}\n`;
  const ops = (text: string) => lowerModelText(text).graph.nodes.map((node) => node.op);

  it("elu, gelu, silu (and swish) and log_softmax become their ops, with α and the axis made non-negative", () => {
    const elu = lowerModelText(model("elu(alpha: 0.3)"));
    expect(elu.graph.nodes[elu.output]).toMatchObject({ op: "elu", attrs: { alpha: 0.3 } });
    expect(ops(model("gelu"))).toContain("gelu");
    expect(ops(model("silu"))).toContain("silu");
    expect(ops(model("swish"))).toContain("silu");
    const ls = lowerModelText(model("log_softmax"));
    expect(ls.graph.nodes[ls.output]).toMatchObject({ op: "log_softmax", attrs: { axis: 1 } });
    const ls0 = lowerModelText(model("log_softmax(axis: 0)"));
    expect(ls0.graph.nodes[ls0.output]).toMatchObject({ op: "log_softmax", attrs: { axis: 0 } });
  });

  it("weight_norm: true replaces the weight by v and g, and computes w = g·v/‖v‖", () => {
    const plain = lowerModelText(model("dense(4)", "6", "4"));
    const normed = lowerModelText(model("dense(4, weight_norm: true)", "6", "4"));
    expect(plain.graph.params.map((p) => p.name.split(".")[1])).toEqual(["weight", "bias"]);
    expect(normed.graph.params.map((p) => [p.name.split(".")[1], p.shape, p.role])).toEqual([
      ["weight_v", [4, 6], "weight"],
      ["weight_g", [4], "norm"],
      ["bias", [4], "bias"],
    ]);
    expect(normed.graph.nodes.map((node) => node.op)).toContain("row_norm");
    expect(plain.graph.nodes.map((node) => node.op)).not.toContain("row_norm");
  });

  it("dropconnect: 0.3 drops weights in training with a stream of its own, and evaluation uses W", () => {
    const text = `model M(x: f32[N, 6]) -> f32[N, 4] {\n  return x |> dropout(0.5) |> dense(4, dropconnect: 0.3)\n}\n`;
    const lowered = lowerModelText(text);
    const { graph } = lowered;
    const drops = graph.nodes.filter((node) => node.op === "dropout");
    expect(drops).toHaveLength(2);
    const weight = graph.params.find((p) => p.name.endsWith(".weight"))!;
    const dropconnect = drops.find((node) => node.inputs[0] === weight.node)!;
    expect(dropconnect.attrs["p"]).toBe(0.3);
    expect(dropconnect.attrs["stream"]).not.toBe(drops.find((node) => node !== dropconnect)!.attrs["stream"]);
    expect(ops(model("dense(4)", "6", "4"))).not.toContain("dropout");

    const wValue = randomTensor([4, 6], 5);
    const run = (step: number, training: boolean) => {
      const values = new Map<number, Tensor>([[weight.node, wValue]]);
      execute(graph.nodes, values, [dropconnect.id], { seed: 9, step, training, batch: 2 });
      return values.get(dropconnect.id)!.data;
    };
    const masked = run(3, true);
    let dropped = 0;
    masked.forEach((value, i) => {
      const scale = dropoutScale({ seed: 9, step: 3, training: true, batch: 2 }, dropconnect.attrs["stream"] as number, 0.3, i);
      expect(value).toBeCloseTo(wValue.data[i]! * scale, 12);
      if (value === 0) dropped++;
    });
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(24);
    expect(Array.from(run(4, true))).not.toEqual(Array.from(masked));
    // What the matmul reads: the dropped weights in training, W in evaluation.
    const selected = graph.nodes.find((node) => node.op === "select_mode" && node.inputs[0] === dropconnect.id)!;
    expect(graph.nodes.find((node) => node.op === "matmul")!.inputs[1]).toBe(selected.id);
    expect(selected.inputs[1]).toBe(weight.node);
    const chosen = (training: boolean) => {
      const values = new Map<number, Tensor>([[weight.node, wValue]]);
      execute(graph.nodes, values, [selected.id], { seed: 9, step: 3, training, batch: 2 });
      return Array.from(values.get(selected.id)!.data);
    };
    expect(chosen(true)).toEqual(Array.from(masked));
    expect(chosen(false)).toEqual(Array.from(wValue.data));
  });
});
