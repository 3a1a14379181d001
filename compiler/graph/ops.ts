// The op registry: for every op of the graph IR, its shape rule and its gradient rule. The CPU reference of
// each op is in runtime/cpu/kernels.ts; adding an op means one entry here, one there, and their tests.
import { Graph, type Attrs, type Dim, type Shape } from "./ir.js";
import { ACTIVATION_OPS } from "./ops/activation.js";
import { CONV_OPS } from "./ops/conv.js";
import { LOSS_OPS } from "./ops/loss.js";
import { NORM_OPS } from "./ops/norm.js";
import { SPATIAL_OPS } from "./ops/spatial.js";

export interface OpDef {
  shape: (inputs: Shape[], attrs: Attrs) => Shape;
  /**
   * Gradient rule: given the node and the gradient of its output, the gradients of its inputs
   * (undefined where an input takes none: labels, constants, RNG-free state).
   */
  grad?: (g: GraphBuilder, node: { id: number; inputs: number[]; attrs: Attrs }, gradOut: number) => (number | undefined)[];
}

export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new Error(`internal: cannot broadcast [${a}] and [${b}]`);
  }
  return out;
}

const same = (inputs: Shape[]) => inputs[0]!;
const scalar = () => [];

const CORE_OPS: Record<string, OpDef> = {
  input: { shape: (_, a) => a["shape"] as Shape },
  param: { shape: (_, a) => a["shape"] as number[] },
  state: { shape: (_, a) => a["shape"] as number[] },
  constant: { shape: scalar },
  matmul: {
    // a[n,k] · b[k,m], either side transposed by attribute, so backward passes need no transposed copies.
    shape: ([a, b], attrs) => [attrs["transA"] ? a![1]! : a![0]!, attrs["transB"] ? b![0]! : b![1]!],
    grad: (g, { inputs: [a, b], attrs }, dy) => {
      const ta = Boolean(attrs["transA"]);
      const tb = Boolean(attrs["transB"]);
      // y = op(a)·op(b): da = dy·op(b)ᵀ (transposed back if a was), db = op(a)ᵀ·dy likewise.
      const da = ta ? g.matmul(b!, dy, tb, true) : g.matmul(dy, b!, false, !tb);
      const db = tb ? g.matmul(dy, a!, true, ta) : g.matmul(a!, dy, !ta, false);
      return [da, db];
    },
  },
  add: { shape: ([a, b]) => broadcastShapes(a!, b!), grad: (g, { inputs: [a, b] }, dy) => [g.sumTo(dy, a!), g.sumTo(dy, b!)] },
  sub: { shape: ([a, b]) => broadcastShapes(a!, b!), grad: (g, { inputs: [a, b] }, dy) => [g.sumTo(dy, a!), g.sumTo(g.scale(dy, -1), b!)] },
  mul: {
    shape: ([a, b]) => broadcastShapes(a!, b!),
    grad: (g, { inputs: [a, b] }, dy) => [g.sumTo(g.binary("mul", dy, b!), a!), g.sumTo(g.binary("mul", dy, a!), b!)],
  },
  div: {
    shape: ([a, b]) => broadcastShapes(a!, b!),
    grad: (g, { id, inputs: [a, b] }, dy) => {
      const da = g.binary("div", dy, b!);
      // d(a/b)/db = -(a/b)/b
      const db = g.scale(g.binary("div", g.binary("mul", dy, id), b!), -1);
      return [g.sumTo(da, a!), g.sumTo(db, b!)];
    },
  },
  scale: { shape: same, grad: (g, { attrs }, dy) => [g.scale(dy, attrs["c"] as number)] },
  pow: {
    shape: same,
    grad: (g, { inputs: [a], attrs }, dy) => {
      const p = attrs["p"] as number;
      return [g.binary("mul", dy, g.scale(g.unary("pow", a!, { p: p - 1 }), p))];
    },
  },
  sum_to: { shape: (_, a) => a["shape"] as Shape, grad: (g, { inputs: [a] }, dy) => [g.add("broadcast_to", [dy, a!], g.shape(a!))] },
  broadcast_to: { shape: ([, like]) => like!, grad: (g, { inputs: [a] }, dy) => [g.sumTo(dy, a!)] },
  mean_batch: { shape: ([a]) => a!.slice(1), grad: (g, { inputs: [a] }, dy) => [g.add("mean_batch_grad", [dy, a!], g.shape(a!))] },
  mean_batch_grad: { shape: ([, like]) => like! },
  rsqrt: {
    // y = (a + ε)^(-1/2), so dy/da = -y³/2.
    shape: same,
    grad: (g, { id }, dy) => [g.binary("mul", dy, g.scale(g.unary("pow", id, { p: 3 }), -0.5))],
  },
  // The gradients of relu and leaky_relu test the output's sign (the same as the input's), so the
  // pre-activation need not be kept and bias + activation can fuse into the matmul that feeds them.
  relu: { shape: same, grad: (g, { id }, dy) => [g.add("relu_grad", [id, dy], g.shape(id))] },
  relu_grad: { shape: same },
  // |x|, with torch.abs's gradient sign(x)·dy (0 at 0), for the L1 penalty.
  abs: { shape: same, grad: (g, { inputs: [a] }, dy) => [g.add("abs_grad", [a!, dy], g.shape(a!))] },
  abs_grad: { shape: same },
  leaky_relu: { shape: same, grad: (g, { id, attrs }, dy) => [g.add("leaky_relu_grad", [id, dy], g.shape(id), { alpha: attrs["alpha"] as number })] },
  leaky_relu_grad: { shape: same },
  tanh: { shape: same, grad: (g, { id }, dy) => [g.add("tanh_grad", [id, dy], g.shape(id))] },
  tanh_grad: { shape: same },
  sigmoid: { shape: same, grad: (g, { id }, dy) => [g.add("sigmoid_grad", [id, dy], g.shape(id))] },
  sigmoid_grad: { shape: same },
  // Over the axis in attrs (a non-negative index), as torch.softmax(x, dim).
  softmax: { shape: same, grad: (g, { id, attrs }, dy) => [g.add("softmax_grad", [id, dy], g.shape(id), { axis: attrs["axis"] as number })] },
  softmax_grad: { shape: same },
  dropout: { shape: same, grad: (g, { attrs }, dy) => [g.add("dropout", [dy], g.shape(dy), attrs)] },
  sum_all: { shape: scalar, grad: (g, { inputs: [a] }, dy) => [g.add("broadcast_to", [dy, a!], g.shape(a!))] },
  mean_all: { shape: scalar, grad: (g, { inputs: [a] }, dy) => [g.add("mean_all_grad", [dy, a!], g.shape(a!))] },
  mean_all_grad: { shape: ([, like]) => like! },
  softmax_cross_entropy: {
    shape: scalar,
    grad: (g, { inputs: [logits, labels], attrs }, dy) => [g.add("softmax_cross_entropy_grad", [logits!, labels!, dy], g.shape(logits!), attrs), undefined],
  },
  softmax_cross_entropy_grad: { shape: same },
  // Picks the training or the evaluation branch (dropout and BatchNorm differ); gradients flow to training's.
  select_mode: { shape: same, grad: (_g, _node, dy) => [dy, undefined] },
  // Another view of the same elements (row-major order kept): flatten and reshape of images. No copy on
  // WebGPU, where it aliases its input's buffer.
  reshape: { shape: (_, a) => a["shape"] as Shape, grad: (g, { inputs: [a] }, dy) => [g.reshape(dy, g.shape(a!))] },
};

/** Every op: the core set above and the families in ./ops/ (one file each, so they grow independently). */
export const OPS: Record<string, OpDef> = { ...CORE_OPS, ...CONV_OPS, ...NORM_OPS, ...SPATIAL_OPS, ...ACTIVATION_OPS, ...LOSS_OPS };

/** Builds nodes with shapes from the registry; used by lowering and by autodiff. */
export class GraphBuilder {
  constructor(readonly graph: Graph) {}

  shape(id: number): Shape {
    return this.graph.shape(id);
  }

  add(op: string, inputs: number[], shape?: Shape, attrs: Attrs = {}, name?: string): number {
    const def = OPS[op];
    if (!def) throw new Error(`internal: unknown op ${op}`);
    return this.graph.add(op, inputs, shape ?? def.shape(inputs.map((i) => this.shape(i)), attrs), attrs, name);
  }

  unary(op: string, a: number, attrs: Attrs = {}): number {
    return this.add(op, [a], undefined, attrs);
  }

  binary(op: "add" | "sub" | "mul" | "div", a: number, b: number): number {
    return this.add(op, [a, b]);
  }

  scale(a: number, c: number): number {
    return c === 1 ? a : this.add("scale", [a], undefined, { c });
  }

  matmul(a: number, b: number, transA: boolean, transB: boolean): number {
    return this.add("matmul", [a, b], undefined, { transA, transB });
  }

  /** The same elements under another shape; no node when the shape is unchanged. */
  reshape(a: number, shape: Shape): number {
    const from = this.shape(a);
    if (from.length === shape.length && from.every((d, i) => d === shape[i])) return a;
    return this.add("reshape", [a], shape, { shape });
  }

  /** Sums a broadcast gradient back to the shape of `like`; no node when the shapes already agree. */
  sumTo(grad: number, like: number): number {
    const from = this.shape(grad);
    const to = this.shape(like);
    if (from.length === to.length && from.every((d, i) => d === to[i])) return grad;
    return this.add("sum_to", [grad], to, { shape: to });
  }
}
