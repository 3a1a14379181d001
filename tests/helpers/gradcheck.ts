// The finite-difference harness shared by the gradient tests of tests/graph: a graph's output is reduced to a
// scalar Σ out·w with fixed random weights w (so every output element contributes), differentiated, and each
// leaf's gradient compared with central differences in float64 (runtime/cpu/gradcheck.ts).
import { expect } from "vitest";
import { differentiate } from "../../compiler/graph/autodiff.js";
import { Graph, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { gradcheck, type GradcheckResult } from "../../runtime/cpu/gradcheck.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { normal } from "../../runtime/rng.js";

/** The batch size the shape "N" stands for in these checks. */
export const BATCH = 3;

/** offset + scale · N(0, 1), drawn from the counter-based RNG with `seed` (7 unless given) and `stream`. */
export function randomTensor(shape: number[], stream: number, options: { seed?: number; scale?: number; offset?: number } = {}): Tensor {
  const { seed = 7, scale = 1, offset = 0 } = options;
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = offset + scale * normal(seed, stream, 0, i);
  return { shape, data };
}

export const concrete = (shape: Dim[], batch = BATCH): number[] => shape.map((d) => (d === "N" ? batch : d));

/**
 * Every parameter was checked at some entries, and where its worst absolute error exceeds `floor` (1e-8
 * unless given: below it the gradient is ~0 and only the differences' rounding is left), its worst relative
 * error is below 1e-6.
 */
export function expectGradcheck(results: GradcheckResult[], options: { floor?: number; label?: (name: string) => string } = {}): void {
  const floor = options.floor ?? 1e-8;
  for (const r of results) {
    expect(r.checked).toBeGreaterThan(0);
    if (r.worstAbsoluteError > floor) expect(r.worstRelativeError, options.label?.(r.name) ?? `${r.name}: relative error`).toBeLessThan(1e-6);
  }
}

export interface GraphCheckOptions {
  /** The kernel context's `training` (true unless given). */
  training?: boolean;
  /** The kernel context's seed (1 unless given). */
  seed?: number;
  batch?: number;
  /** Entries perturbed per parameter (runtime/cpu/gradcheck.ts's default unless given). */
  maxEntries?: number;
}

/**
 * Reduces `out` to Σ out·w with w drawn from stream 99, differentiates, and checks the gradient of every
 * parameter of the graph. `values` holds every leaf; it receives w. Returns the results, already asserted.
 */
export function gradcheckGraph(graph: Graph, out: number, values: Map<number, Tensor>, options: GraphCheckOptions = {}): GradcheckResult[] {
  const batch = options.batch ?? BATCH;
  const b = new GraphBuilder(graph);
  const weights = b.add("input", [], graph.shape(out), { shape: graph.shape(out) });
  values.set(weights, randomTensor(concrete(graph.shape(out), batch), 99));
  const loss = b.add("sum_all", [b.binary("mul", out, weights)]);
  const grads = differentiate(graph, loss);
  const params = graph.params.map((p, k) => ({ node: p.node, grad: grads.params[k]!, name: p.name }));
  const results = gradcheck(graph.nodes, values, loss, params, { seed: options.seed ?? 1, step: 0, training: options.training ?? true, batch }, options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries });
  expectGradcheck(results);
  return results;
}

export interface LeafCheckOptions extends GraphCheckOptions {
  /** Leaf values are offset + scale · N(0, 1) (a positive offset keeps a divisor or a log's argument away from 0). */
  scale?: number;
  offset?: number;
  /** Class labels for the batch, given to `body` as one more (non-parameter) leaf after the others. */
  labels?: number[];
}

/** Leaves of the given shapes as parameters (leaf k from stream k), `body` applied, every leaf's gradient checked. */
export function checkLeaves(shapes: Dim[][], body: (b: GraphBuilder, leaves: number[]) => number, options: LeafCheckOptions = {}): GradcheckResult[] {
  const batch = options.batch ?? BATCH;
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const values = new Map<number, Tensor>();
  const leaves = shapes.map((shape, k) => {
    const id = b.add("param", [], shape, { shape });
    graph.params.push({ node: id, name: `leaf${k}`, shape: concrete(shape, batch), init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
    values.set(id, randomTensor(concrete(shape, batch), k, { scale: options.scale, offset: options.offset }));
    return id;
  });
  if (options.labels) {
    const labels = b.add("input", [], ["N"], { shape: ["N"] });
    values.set(labels, { shape: [batch], data: Float64Array.from(options.labels) });
    leaves.push(labels);
  }
  return gradcheckGraph(graph, body(b, leaves), values, options);
}
