// The loss family (compiler/graph/ops/loss.ts) on the CPU reference: values and input gradients against
// PyTorch 1.13 (tests/golden/make_loss_golden.py → loss.json, float64; tolerance 1e-10 relative + 1e-12
// absolute, room for summation order only), and every gradient rule against central finite differences in
// float64 away from the kinks (1e-6 relative where the error exceeds 1e-8, as tests/helpers/gradcheck.ts).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { differentiate } from "../../compiler/graph/autodiff.js";
import { Graph, type Attrs } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { gradcheck } from "../../runtime/cpu/gradcheck.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { normal } from "../../runtime/rng.js";

interface GoldenCase {
  name: string;
  op: string;
  attrs: Attrs;
  x: { shape: number[]; data: number[] };
  target?: { shape: number[]; data: number[] };
  labels?: number[];
  value: number;
  grad: number[];
}

const golden = JSON.parse(fs.readFileSync(new URL("../golden/loss.json", import.meta.url), "utf8")) as { upstream: number; cases: GoldenCase[] };

/** upstream · op(x, target or labels), its gradient in x, and the leaves, ready for the interpreter. */
function lossGraph(op: string, attrs: Attrs, x: Tensor, second: Tensor, upstream: number) {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const xNode = b.add("param", [], x.shape, { shape: x.shape });
  graph.params.push({ node: xNode, name: "x", shape: x.shape, init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
  const secondNode = b.add("input", [], second.shape, { shape: second.shape });
  const loss = b.scale(b.add(op, [xNode, secondNode], [], attrs), upstream);
  const grad = differentiate(graph, loss).params[0]!;
  const leaves = new Map<number, Tensor>([
    [xNode, x],
    [secondNode, second],
  ]);
  return { graph, xNode, loss, grad, leaves };
}

const f64 = (shape: number[], data: ArrayLike<number>): Tensor => ({ shape, data: Float64Array.from(data) });
const ctx = { seed: 1, step: 0, training: true, batch: 1 };

describe("losses against PyTorch 1.13", () => {
  it("every case's value and input gradient, both reductions", () => {
    expect(golden.cases.length).toBe(24);
    let worstValue = 0;
    let worstGrad = 0;
    for (const c of golden.cases) {
      const second = c.labels ? f64([c.labels.length], c.labels) : f64(c.target!.shape, c.target!.data);
      const { loss, grad, graph, leaves } = lossGraph(c.op, c.attrs, f64(c.x.shape, c.x.data), second, golden.upstream);
      const values = execute(graph.nodes, leaves, [loss, grad], { ...ctx, batch: c.x.shape[0]! });
      const value = values.get(loss)!.data[0]! / golden.upstream;
      const error = Math.abs(value - c.value);
      expect(error, `${c.name}: loss ${value}, PyTorch ${c.value}`).toBeLessThanOrEqual(1e-10 * Math.abs(c.value) + 1e-12);
      worstValue = Math.max(worstValue, error / Math.max(Math.abs(c.value), 1e-12));
      const g = values.get(grad)!.data;
      c.grad.forEach((expected, i) => {
        const e = Math.abs(g[i]! - expected);
        expect(e, `${c.name}: gradient ${i} is ${g[i]}, PyTorch ${expected}`).toBeLessThanOrEqual(1e-10 * Math.abs(expected) + 1e-12);
        worstGrad = Math.max(worstGrad, e / Math.max(Math.abs(expected), 1e-12));
      });
    }
    console.log(`losses vs PyTorch: worst relative error ${worstValue.toExponential(2)} (values), ${worstGrad.toExponential(2)} (gradients)`);
  });
});

/** x ~ offset + scale·N(0, 1) from stream `stream`. */
function random(shape: number[], stream: number, scale = 1, offset = 0): Float64Array {
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = offset + scale * normal(5, stream, 0, i);
  return data;
}

function expectGradientsMatch(op: string, attrs: Attrs, x: Tensor, second: Tensor, label: string): number {
  const { graph, xNode, loss, grad, leaves } = lossGraph(op, attrs, x, second, 1.3);
  const [result] = gradcheck(graph.nodes, leaves, loss, [{ node: xNode, grad, name: "x" }], { ...ctx, batch: x.shape[0]! }, { maxEntries: 1000 });
  expect(result!.checked, label).toBe(x.data.length);
  if (result!.worstAbsoluteError > 1e-8) expect(result!.worstRelativeError, `${label}: relative error`).toBeLessThan(1e-6);
  return result!.worstAbsoluteError;
}

describe("gradient rules of the loss ops against finite differences", () => {
  const shape = [7, 3];
  const x = f64(shape, random(shape, 1, 1.5));
  const t = f64(shape, random(shape, 2));
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

  it("pointwise losses: mae, huber, smooth_l1, bce, bce_with_logits, kl_div (every reduction)", () => {
    let worst = 0;
    for (const reduction of ["mean", "sum", "batchmean"]) {
      for (const [kind, threshold] of [["mae", 0], ["huber", 1], ["huber", 0.7], ["smooth_l1", 1], ["smooth_l1", 0.6]] as const) {
        worst = Math.max(worst, expectGradientsMatch("pointwise_loss", { kind, threshold, reduction }, x, t, `${kind} ${threshold} ${reduction}`));
      }
      // Probabilities in (0.05, 0.95), away from bce's clamps; soft and hard targets.
      const p = f64(shape, Array.from(x.data, (v) => 0.05 + 0.9 * sigmoid(v)));
      const targets = f64(shape, Array.from(t.data, (v, i) => (i % 3 === 2 ? sigmoid(v) : v > 0 ? 1 : 0)));
      worst = Math.max(worst, expectGradientsMatch("pointwise_loss", { kind: "bce", threshold: 0, reduction }, p, targets, `bce ${reduction}`));
      const logits = f64(shape, Array.from(x.data, (v) => 2 * v));
      worst = Math.max(worst, expectGradientsMatch("pointwise_loss", { kind: "bce_logits", threshold: 0, reduction }, logits, targets, `bce_logits ${reduction}`));
      const q = f64(shape, Array.from(t.data, (v, i) => (i === 4 ? 0 : Math.exp(v))));
      worst = Math.max(worst, expectGradientsMatch("pointwise_loss", { kind: "kl_div", threshold: 0, reduction }, x, q, `kl_div ${reduction}`));
    }
    console.log(`pointwise losses: worst |analytic − numeric| ${worst.toExponential(2)}`);
  });

  it("class losses: nll and hinge (several margins, both reductions)", () => {
    const scores = f64([9, 5], random([9, 5], 3));
    const labels = f64([9], [0, 4, 2, 2, 1, 3, 0, 4, 1]);
    let worst = 0;
    for (const reduction of ["mean", "sum"]) {
      worst = Math.max(worst, expectGradientsMatch("class_loss", { kind: "nll", margin: 0, reduction }, scores, labels, `nll ${reduction}`));
      for (const margin of [1, 0.5, 0]) {
        worst = Math.max(worst, expectGradientsMatch("class_loss", { kind: "hinge", margin, reduction }, scores, labels, `hinge ${margin} ${reduction}`));
      }
    }
    console.log(`class losses: worst |analytic − numeric| ${worst.toExponential(2)}`);
  });
});
