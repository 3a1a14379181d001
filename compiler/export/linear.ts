// Dense and conv layers as the folder sees them: a weight laid out [out, …] (one row or filter per output
// channel), a bias per output channel, and how to write them back as graph nodes.
import type { WorkGraph } from "./work-graph.js";

export interface Linear {
  kind: "conv2d" | "dense";
  x: number;
  /** conv: [Cout, Cin, kh, kw]; dense: [M, K] (transB layout). */
  weight: { shape: number[]; data: Float64Array };
  bias: Float64Array;
  attrs: Record<string, any>;
  /** Names the folded tensors take (those of the layer's own parameters). */
  weightName?: string;
  biasName?: string;
}

/** `id` as a dense (matmul with a constant weight) or conv2d with constant weight and bias, or undefined. */
export function linearOf(graph: WorkGraph, id: number): Linear | undefined {
  const node = graph.nodes[id]!;
  if (node.op === "conv2d") {
    const [x, w, b] = node.inputs;
    const weight = graph.constant(w!);
    const bias = b === undefined ? undefined : graph.constant(b);
    if (!weight || (b !== undefined && !bias)) return undefined;
    const out = weight.shape[0]!;
    return {
      kind: "conv2d",
      x: x!,
      weight: { shape: [...weight.shape], data: Float64Array.from(weight.data) },
      bias: bias ? Float64Array.from(bias.data) : new Float64Array(out),
      attrs: { ...node.attrs },
      weightName: graph.nodes[w!]!.name,
      biasName: b === undefined ? undefined : graph.nodes[b]!.name,
    };
  }
  if (node.op === "matmul" && !node.attrs["transA"] && node.shape.length === 2) {
    const [x, w] = node.inputs;
    const weight = graph.constant(w!);
    if (!weight || weight.shape.length !== 2) return undefined;
    const data = Float64Array.from(weight.data);
    const [rows, cols] = weight.shape as [number, number];
    // [K, M] weights are transposed once, so that every fold scales rows.
    const transposed = node.attrs["transB"] ? data : transpose(data, rows, cols);
    const shape = node.attrs["transB"] ? [rows, cols] : [cols, rows];
    return { kind: "dense", x: x!, weight: { shape, data: transposed }, bias: new Float64Array(shape[0]!), attrs: {}, weightName: graph.nodes[w!]!.name };
  }
  return undefined;
}

function transpose(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Rewrites node `at` (keeping its shape and consumers) to compute `layer`. */
export function writeLinear(graph: WorkGraph, at: number, layer: Linear): void {
  const shape = graph.nodes[at]!.shape;
  const w = graph.add({ op: "const", inputs: [], shape: layer.weight.shape, attrs: {}, name: layer.weightName, value: { shape: layer.weight.shape, data: layer.weight.data } });
  const biasName = layer.biasName ?? (layer.weightName?.endsWith(".weight") ? layer.weightName.replace(/\.weight$/, ".bias") : undefined);
  const b = graph.add({ op: "const", inputs: [], shape: [layer.bias.length], attrs: {}, name: biasName, value: { shape: [layer.bias.length], data: layer.bias } });
  if (layer.kind === "conv2d") {
    graph.nodes[at] = { op: "conv2d", inputs: [layer.x, w, b], shape, attrs: layer.attrs };
    return;
  }
  const product = graph.add({ op: "matmul", inputs: [layer.x, w], shape, attrs: { transA: false, transB: true } });
  graph.nodes[at] = { op: "add", inputs: [product, b], shape, attrs: {} };
}

/** y·s + t on the layer's output: each output channel's filter and bias scaled, the shift added. */
export function applyAffine(layer: Linear, s: Float64Array, t: Float64Array): void {
  const out = layer.weight.shape[0]!;
  const per = layer.weight.data.length / out;
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < per; k++) layer.weight.data[o * per + k]! *= s[o]!;
    layer.bias[o] = layer.bias[o]! * s[o]! + t[o]!;
  }
}
