// The L2 penalty on the device, as the fusion scheduler plans it: `λ · l2(weights)` lowers (compiler/lower/
// loss.ts) to Σ sum_all(W ⊙ W) in the loss and, through autodiff, to a gradient term c·W added to each
// weight's gradient, which as kernels is a multiply, a sum and a few adds per weight plus broadcasts and
// constants. Here both are recognized algebraically (not by the shape of autodiff's output): a gradient
// `add(a, b)` where one side is a compile-time multiple c of the parameter itself becomes the other side,
// with c·W added inside the optimizer's update (as its coupled weight decay is); a loss that is an affine
// combination of Σ W² terms and other scalars becomes one kernel summing the squares straight from the flat
// parameter buffer. The graph itself is unchanged, so the CPU reference and `fuse: false` compute it term
// by term, and the tests compare the two.
import type { ProgramNode } from "../../runtime/program.js";
import { flatKey, type FlatLayout } from "../../runtime/webgpu/layout.js";
import { f32, GLOBALS_WGSL, workgroupSum } from "./common.js";
import type { KernelSource } from "./kernels.js";
import { metricsCode, type MetricsSpec } from "./metrics.js";

export interface L2Fold {
  /** The program's nodes with the folded loss and gradients redefined (see `rewriteNodes`). */
  nodes: ProgramNode[];
  /** Per parameter node, the c of its folded gradient term c·W. */
  decay: Map<number, number>;
  /** The loss, when it is computed by `emitPenaltyLoss`. */
  loss?: PenaltyLoss;
}

interface PenaltyLoss {
  node: number;
  constant: number;
  /** Scalar values added with their coefficients (the data loss). */
  others: { node: number; coef: number }[];
  /** Σ W² of these parameters, with their coefficients. */
  squares: { param: number; coef: number }[];
}

/** The value of a node that is a compile-time constant (a scalar, or a scalar broadcast), else undefined. */
export function constantOf(nodes: ProgramNode[], id: number): number | undefined {
  const node = nodes[id]!;
  const arg = (k: number) => constantOf(nodes, node.inputs[k]!);
  switch (node.op) {
    case "constant":
      return node.attrs["value"] as number;
    case "scale": {
      const a = arg(0);
      return a === undefined ? undefined : a * (node.attrs["c"] as number);
    }
    case "broadcast_to":
      return arg(0);
    case "add":
    case "sub":
    case "mul": {
      const a = arg(0);
      const b = arg(1);
      if (a === undefined || b === undefined) return undefined;
      return node.op === "add" ? a + b : node.op === "sub" ? a - b : a * b;
    }
    default:
      return undefined;
  }
}

const sameShape = (a: ProgramNode["shape"], b: ProgramNode["shape"]) => a.length === b.length && a.every((d, k) => d === b[k]);

/** c when node `id` is c·(parameter p) elementwise, for a compile-time c; else undefined. */
function multipleOf(nodes: ProgramNode[], id: number, p: number): number | undefined {
  if (id === p) return 1;
  const node = nodes[id]!;
  if (!sameShape(node.shape, nodes[p]!.shape)) return undefined;
  switch (node.op) {
    case "scale": {
      const a = multipleOf(nodes, node.inputs[0]!, p);
      return a === undefined ? undefined : a * (node.attrs["c"] as number);
    }
    case "mul": {
      const [x, y] = node.inputs as [number, number];
      const cx = constantOf(nodes, x);
      const cy = constantOf(nodes, y);
      if (cx !== undefined) return cy === undefined ? scaled(multipleOf(nodes, y, p), cx) : undefined;
      return cy === undefined ? undefined : scaled(multipleOf(nodes, x, p), cy);
    }
    case "add":
    case "sub": {
      const a = multipleOf(nodes, node.inputs[0]!, p);
      const b = multipleOf(nodes, node.inputs[1]!, p);
      if (a === undefined || b === undefined) return undefined;
      return node.op === "add" ? a + b : a - b;
    }
    default:
      return undefined;
  }
}

const scaled = (c: number | undefined, k: number) => (c === undefined ? undefined : c * k);

/** The scalar node `id` as constant + Σ coef·ΣW² + Σ coef·other, or undefined when it is no such sum. */
function affineOf(nodes: ProgramNode[], id: number, params: Set<number>): Omit<PenaltyLoss, "node"> {
  const node = nodes[id]!;
  const constant = constantOf(nodes, id);
  if (constant !== undefined) return { constant, others: [], squares: [] };
  const times = (t: Omit<PenaltyLoss, "node">, k: number) => ({
    constant: t.constant * k,
    others: t.others.map((o) => ({ ...o, coef: o.coef * k })),
    squares: t.squares.map((s) => ({ ...s, coef: s.coef * k })),
  });
  const plus = (a: Omit<PenaltyLoss, "node">, b: Omit<PenaltyLoss, "node">) => ({ constant: a.constant + b.constant, others: [...a.others, ...b.others], squares: [...a.squares, ...b.squares] });
  const leaf = { constant: 0, others: [{ node: id, coef: 1 }], squares: [] };
  if (node.shape.length !== 0) return leaf;
  switch (node.op) {
    case "scale":
      return times(affineOf(nodes, node.inputs[0]!, params), node.attrs["c"] as number);
    case "add":
      return plus(affineOf(nodes, node.inputs[0]!, params), affineOf(nodes, node.inputs[1]!, params));
    case "sub":
      return plus(affineOf(nodes, node.inputs[0]!, params), times(affineOf(nodes, node.inputs[1]!, params), -1));
    case "mul": {
      const [x, y] = node.inputs as [number, number];
      const cx = constantOf(nodes, x);
      const cy = constantOf(nodes, y);
      if (cx !== undefined) return times(affineOf(nodes, y, params), cx);
      if (cy !== undefined) return times(affineOf(nodes, x, params), cy);
      return leaf;
    }
    case "sum_all": {
      const inner = nodes[node.inputs[0]!]!;
      const [a, b] = inner.inputs;
      if (inner.op === "mul" && a === b && params.has(a!)) return { constant: 0, others: [], squares: [{ param: a!, coef: 1 }] };
      return leaf;
    }
    default:
      return leaf;
  }
}

/**
 * The fold for a training program (`paramGrads[k]` is the gradient of `params[k]`), or undefined when there
 * is nothing to fold. `gradients: false` keeps the gradient terms in the graph, for plans that read the
 * gradients in a way the fold would change: clipping (it must see c·W), parameter groups (their own decay
 * lookup) and L-BFGS (it reads the gradient buffers). `probe` monitors read them too, and get each tensor's c
 * (`emitProbe`'s `decay`). Also folds the loss seed of softmax_cross_entropy_grad into a literal.
 */
export function foldL2(program: { nodes: ProgramNode[]; params: { node: number }[]; paramGrads: number[]; loss: number }, layout: FlatLayout, options: { gradients: boolean }): L2Fold | undefined {
  const { nodes } = program;
  const rewritten = [...nodes];
  const decay = new Map<number, number>();
  // The loss's seed (dL/dL = 1, a `constant`) read by the fused softmax-cross-entropy gradient: printed as
  // a literal there, so no kernel fills a buffer with it.
  let seeds = 0;
  for (const node of nodes) {
    if (node.op !== "softmax_cross_entropy_grad" || node.inputs.length !== 3) continue;
    const seed = constantOf(nodes, node.inputs[2]!);
    if (seed === undefined) continue;
    rewritten[node.id] = { ...node, inputs: node.inputs.slice(0, 2), attrs: { ...node.attrs, seed } };
    seeds++;
  }
  if (options.gradients) program.params.forEach((p, k) => {
    const grad = nodes[program.paramGrads[k]!]!;
    if (grad.op !== "add" || !sameShape(grad.shape, nodes[p.node]!.shape)) return;
    for (const [term, rest] of [grad.inputs, [...grad.inputs].reverse()] as [number, number][]) {
      const c = multipleOf(nodes, term, p.node);
      if (c === undefined || !sameShape(nodes[rest]!.shape, grad.shape) || multipleOf(nodes, rest, p.node) !== undefined) continue;
      // The gradient is now its other term's buffer (a reshape is planned as an alias).
      rewritten[grad.id] = { ...grad, op: "reshape", inputs: [rest], attrs: {} };
      decay.set(p.node, c);
      return;
    }
  });
  const params = new Set(program.params.map((p) => p.node));
  const affine = affineOf(nodes, program.loss, params);
  const chunks = new Set(affine.squares.map((s) => layout.place.get(s.param)!.chunk));
  let loss: PenaltyLoss | undefined;
  // One chunk binding, the others, the loss and the metrics' three: within the 8 storage buffers.
  if (affine.squares.length > 0 && chunks.size === 1 && affine.others.length <= 3 && affine.others.every((o) => nodes[o.node]!.shape.length === 0)) {
    loss = { node: program.loss, ...affine };
    rewritten[program.loss] = { ...nodes[program.loss]!, op: "l2_penalty_loss", inputs: affine.others.map((o) => o.node), attrs: {} };
  }
  if (decay.size === 0 && !loss && seeds === 0) return undefined;
  return { nodes: rewritten, decay, loss };
}

const THREADS = 256;

/**
 * The loss of a `PenaltyLoss` in one workgroup: Σ coef·W² over each listed parameter's range of the flat
 * parameter chunk, a tree, then the constant and the other terms. Bindings: the chunk, the others, the loss.
 */
export function emitPenaltyLoss(loss: PenaltyLoss, layout: FlatLayout, nodes: ProgramNode[], resolve: (id: number) => number, metrics?: MetricsSpec): KernelSource {
  const chunk = layout.place.get(loss.squares[0]!.param)!.chunk;
  const others = loss.others.map((o) => resolve(o.node));
  const bindings = [{ node: flatKey("params", chunk), write: false }, ...others.map((node) => ({ node, write: false })), { node: loss.node, write: true }];
  const names = ["params", ...others.map((_, k) => `in${k}`), "out"];
  // The step's metrics, when this is the training step's loss (three more bindings).
  if (metrics) {
    bindings.push({ node: resolve(metrics.output), write: false }, { node: resolve(metrics.labels), write: false }, { node: "metrics", write: true });
    names.push("outputs", "labels", "metrics");
  }
  const decls = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${names[k]}: array<f32>;`).join("\n");
  const size = (p: number) => nodes[p]!.shape.reduce<number>((a, d) => a * (d as number), 1);
  const loops = loss.squares
    .map((s) => {
      const start = layout.place.get(s.param)!.offset;
      return `for (var i = lid; i < ${size(s.param)}u; i = i + ${THREADS}u) { let w = params[${start}u + i]; acc = acc + ${f32(s.coef)} * w * w; }`;
    })
    .join("\n  ");
  const rest = loss.others.map((o, k) => ` + ${f32(o.coef)} * in${k}[0]`).join("");
  return {
    label: `l2 penalty + loss #${loss.node}${metrics ? " + metrics" : ""}`,
    bindings,
    dispatch: { kind: "single" },
    code: `${GLOBALS_WGSL}${decls}
var<workgroup> partial: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  ${loops}
  ${workgroupSum(THREADS)}
  if (lid == 0u) {
    let lossValue = ${f32(loss.constant)}${rest} + partial[0];
    out[0] = lossValue;
    ${metrics ? metricsCode(metrics, "lossValue", { out: "outputs", labels: "labels", metrics: "metrics" }) : ""}
  }
}
`,
  };
}

/**
 * The c of element i of a chunk (0 outside the folded parameters) as a WGSL function `l2Decay`: the
 * parameters' ranges are fixed by the model, so a table in the kernel holds them rather than a buffer.
 */
export function decayLookup(decay: Map<number, number>, layout: FlatLayout, chunk: number, nodes: ProgramNode[]): string | undefined {
  const ranges = [...decay].filter(([p]) => layout.place.get(p)!.chunk === chunk).map(([p, c]) => ({ start: layout.place.get(p)!.offset, end: layout.place.get(p)!.offset + nodes[p]!.shape.reduce<number>((a, d) => a * (d as number), 1), c }));
  if (ranges.length === 0) return undefined;
  const tests = ranges.map((r) => `  if (i >= ${r.start}u && i < ${r.end}u) { return ${f32(r.c)}; }`).join("\n");
  return `fn l2Decay(i: u32) -> f32 {\n${tests}\n  return 0.0;\n}\n`;
}
