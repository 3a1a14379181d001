// WGSL for every op of the graph IR, one kernel per node (fusion comes later). Pure text generation: no
// device access here. Each kernel's output is checked against the CPU reference (runtime/cpu/kernels.ts).
import type { ProgramNode } from "../../runtime/program.js";
import { broadcastIndex, countExpr, dimExpr, f32, GLOBALS_WGSL, type Dim, workgroupSum } from "./common.js";
import { emitFused } from "./fuse.js";
import { defaultMatmulConfig, matmulKernel, matmulShape, type MatmulConfig } from "./matmul.js";

export type Dispatch =
  | { kind: "elements"; shape: Dim[] }
  | { kind: "rows"; shape: Dim[] }
  | { kind: "single" }
  /** One workgroup per item (the probe: one per parameter tensor). */
  | { kind: "groups"; count: number }
  /** Output blocks of tileRows × tileCols (the matmul): columns along x, rows along y. */
  | { kind: "tiles"; rows: Dim; cols: Dim; tileRows: number; tileCols: number }
  /** Workgroups along x, y and z: ⌈product of `elements` / `per`⌉ each ("N" is the batch). */
  | { kind: "grid"; x: GridAxis; y?: GridAxis; z?: GridAxis };

export interface GridAxis {
  elements: Dim[];
  per: number;
}

export interface KernelSource {
  label: string;
  code: string;
  /** Buffers bound at 1, 2, …: node ids (or named extra buffers), with their access. */
  bindings: { node: number | string; write: boolean }[];
  dispatch: Dispatch;
}

export const WORKGROUP = 64;
export const REDUCE = 256;

export function decls(bindings: KernelSource["bindings"], names: string[]): string {
  return bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${names[k]}: array<f32>;`).join("\n");
}

export function elementwise(node: ProgramNode, inputs: number[], body: string, extra = ""): KernelSource {
  const names = [...inputs.map((_, k) => `in${k}`), "out"];
  const bindings = [...inputs.map((id) => ({ node: id, write: false })), { node: node.id, write: true }];
  return {
    label: `${node.op} #${node.id}`,
    bindings,
    dispatch: { kind: "elements", shape: node.shape },
    code: `${GLOBALS_WGSL}${extra}${decls(bindings, names)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (i >= ${countExpr(node.shape)}) { return; }
  ${body}
}
`,
  };
}

/**
 * The shape of a node's k-th input as the graph has it. The plan hands emitters nodes whose inputs are
 * already replaced by the buffers they alias (a `reshape` by its input), so an input's shape must be read
 * from the original node, never from the id in `node.inputs`.
 */
export function inputShape(nodes: ProgramNode[], node: ProgramNode, k: number): Dim[] {
  return nodes[nodes[node.id]!.inputs[k]!]!.shape;
}

export function shapeOf(nodes: ProgramNode[], id: number): Dim[] {
  return nodes[id]!.shape;
}

/** Reduction of everything into out[0] by one workgroup: `term(i)` is summed over `count` elements. */
export function reduceAll(node: ProgramNode, inputs: number[], count: string, term: string, finish: string): KernelSource {
  const names = [...inputs.map((_, k) => `in${k}`), "out"];
  const bindings = [...inputs.map((id) => ({ node: id, write: false })), { node: node.id, write: true }];
  return {
    label: `${node.op} #${node.id}`,
    bindings,
    dispatch: { kind: "single" },
    code: `${GLOBALS_WGSL}${decls(bindings, names)}
var<workgroup> partial: array<f32, ${REDUCE}>;
@compute @workgroup_size(${REDUCE})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  let count = ${count};
  for (var i = lid; i < count; i = i + ${REDUCE}u) {
    acc = acc + ${term};
  }
  ${workgroupSum(REDUCE)}
  if (lid == 0u) { out[0] = ${finish}; }
}
`,
  };
}

/** Sums a broadcast tensor back to a smaller shape (bias gradients): each thread owns one output element. */
function sumTo(node: ProgramNode, input: number, from: Dim[], scale: string): KernelSource {
  const to = node.shape;
  const bindings = [{ node: input, write: false }, { node: node.id, write: true }];
  const toCount = countExpr(to);
  const fromCount = countExpr(from);
  // Kept axes trailing and contiguous (e.g. [N, F] → [F] or [1, F]): stride over the leading ones.
  const kept = to.filter((d) => d !== 1);
  // Both conditions: `to`'s size-1 axes all lead (so [rows, 1] is not mistaken for [cols] when rows = cols),
  // and its kept axes are `from`'s last ones.
  const keptTrail = kept.every((d, k) => d === to[to.length - kept.length + k]);
  const trailing = kept.length === 0 || (keptTrail && from.length >= kept.length && kept.every((d, k) => d === from[from.length - kept.length + k]));
  const loop = trailing
    ? `for (var k = j; k < ${fromCount}; k = k + ${toCount}) { acc = acc + in0[k]; }`
    : `for (var k = 0u; k < ${fromCount}; k = k + 1u) { if (${broadcastIndex(from, to, "k")} == j) { acc = acc + in0[k]; } }`;
  return {
    label: `${node.op} #${node.id}`,
    bindings,
    dispatch: { kind: "elements", shape: to },
    code: `${GLOBALS_WGSL}${decls(bindings, ["in0", "out"])}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  if (j >= ${toCount}) { return; }
  var acc = 0.0;
  ${loop}
  out[j] = acc${scale};
}
`,
  };
}

/** A fused epilogue: `+ bias[col]`, then an activation, written to `output` instead of the matmul's node. */
export interface Epilogue {
  bias?: number;
  activation?: { op: "relu" | "leaky_relu" | "tanh" | "sigmoid" | "elu" | "gelu" | "silu"; alpha?: number };
  output: number;
}

/** The matmul kernel for `node` in `config` (codegen/wgsl/matmul.ts), or the shape's default one. */
export function matmul(node: ProgramNode, nodes: ProgramNode[], epilogue?: Epilogue, config?: MatmulConfig): KernelSource {
  const shape = matmulShape(node, inputShape(nodes, node, 0));
  return matmulKernel(node, shape, config ?? defaultMatmulConfig(shape), epilogue);
}

/**
 * Kernels over the lines along one axis (softmax and its gradient): one thread per line, whose `cols`
 * elements start at `base`, `stride` apart. The last axis gives contiguous rows.
 */
export function lines(node: ProgramNode, inputs: number[], axis: number, body: string): KernelSource {
  const names = [...inputs.map((_, k) => `in${k}`), "out"];
  const bindings = [...inputs.map((id) => ({ node: id, write: false })), { node: node.id, write: true }];
  const others = node.shape.filter((_, k) => k !== axis);
  const inner = countExpr(node.shape.slice(axis + 1));
  return {
    label: `${node.op} #${node.id}`,
    bindings,
    dispatch: { kind: "rows", shape: others },
    code: `${GLOBALS_WGSL}${decls(bindings, names)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (r >= ${countExpr(others)}) { return; }
  let cols = ${dimExpr(node.shape[axis]!)};
  let stride = ${inner};
  let base = (r / stride) * cols * stride + r % stride;
  ${body}
}
`,
  };
}

/** PyTorch's label-smoothed target of class `c` for a row labelled `label`: 1 − ε on the label, plus ε/C everywhere. */
export function smoothedTarget(cols: number, eps: number, c: string, label: string): string {
  return `select(0.0, ${f32(1 - eps)}, ${c} == ${label}) + ${f32(eps / cols)}`;
}

/**
 * Row `r`'s label-smoothed cross-entropy from logits in0 and class labels in1, left in `loss`; `perClass`
 * runs in the loop over classes with `c`, `tgt`, `mx` and `sum` in scope (the fused loss-and-gradient kernel
 * writes the gradient there).
 */
export function crossEntropyRow(cols: number, eps: number, perClass = ""): string {
  return `let base = r * ${cols}u;
  let cols = ${cols}u;
  let stride = 1u;
  ${SOFTMAX_ROW}
  let logSum = log(sum) + mx;
  let label = u32(in1[r]);
  var loss = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) {
    let tgt = ${smoothedTarget(cols, eps, "c", "label")};
    loss = loss - tgt * (in0[base + c] - logSum);${perClass ? `\n    ${perClass}` : ""}
  }`;
}

export const SOFTMAX_ROW = `var mx = in0[base];
  for (var c = 1u; c < cols; c = c + 1u) { mx = max(mx, in0[base + c * stride]); }
  var sum = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { sum = sum + exp(in0[base + c * stride] - mx); }`;

/** The kernel for one node; `training` chooses dropout's behaviour. Returns undefined for aliases. */
export function emitKernel(node: ProgramNode, nodes: ProgramNode[], training: boolean): KernelSource | undefined {
  const [x, y, z] = node.inputs;
  const a = node.attrs;
  switch (node.op) {
    case "input":
    case "param":
    case "state":
    case "select_mode":
    case "reshape":
      return undefined;
    case "constant":
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "scale":
    case "pow":
    case "rsqrt":
    case "relu":
    case "relu_grad":
    case "abs":
    case "abs_grad":
    case "leaky_relu":
    case "leaky_relu_grad":
    case "tanh":
    case "tanh_grad":
    case "sigmoid":
    case "sigmoid_grad":
    case "dropout":
      // A chain of one: the same printer as fused chains, with broadcasting resolved at the inputs.
      return emitFused(node, nodes, new Set(), (id) => id, training);
    case "broadcast_to":
      return elementwise(node, [x!], `out[i] = in0[${broadcastIndex(node.shape, inputShape(nodes, node, 0))}];`);
    case "mean_batch_grad": {
      const rest = countExpr(node.shape.slice(1));
      return elementwise(node, [x!], `out[i] = in0[i % ${rest}] / f32(globals.batch);`);
    }
    case "mean_all_grad":
      return elementwise(node, [x!], `out[i] = in0[0] / f32(${countExpr(node.shape)});`);
    case "sum_to":
      return sumTo(node, x!, inputShape(nodes, node, 0), "");
    case "mean_batch":
      return sumTo(node, x!, inputShape(nodes, node, 0), " / f32(globals.batch)");
    case "sum_all":
      return reduceAll(node, [x!], countExpr(inputShape(nodes, node, 0)), "in0[i]", "partial[0]");
    case "mean_all": {
      const count = countExpr(inputShape(nodes, node, 0));
      return reduceAll(node, [x!], count, "in0[i]", `partial[0] / f32(${count})`);
    }
    case "matmul":
      return matmul(node, nodes);
    case "softmax":
      return lines(node, [x!], a["axis"] as number, `${SOFTMAX_ROW}\n  for (var c = 0u; c < cols; c = c + 1u) { out[base + c * stride] = exp(in0[base + c * stride] - mx) / sum; }`);
    case "softmax_grad":
      return lines(
        node,
        [x!, y!],
        a["axis"] as number,
        "var dot = 0.0;\n  for (var c = 0u; c < cols; c = c + 1u) { dot = dot + in0[base + c * stride] * in1[base + c * stride]; }\n  for (var c = 0u; c < cols; c = c + 1u) { out[base + c * stride] = in0[base + c * stride] * (in1[base + c * stride] - dot); }",
      );
    case "softmax_cross_entropy": {
      const cols = inputShape(nodes, node, 0)[1] as number;
      const eps = a["smoothing"] as number;
      const rowsExpr = dimExpr(inputShape(nodes, node, 0)[0]!);
      const term = `rowLoss(i)`;
      const source = reduceAll(node, [x!, y!], rowsExpr, term, a["reduction"] === "sum" ? "partial[0]" : `partial[0] / f32(${rowsExpr})`);
      source.code = source.code.replace(
        "var<workgroup> partial",
        `fn rowLoss(r: u32) -> f32 {
  ${crossEntropyRow(cols, eps)}
  return loss;
}
var<workgroup> partial`,
      );
      return source;
    }
    case "softmax_cross_entropy_grad": {
      const cols = node.shape[1] as number;
      const eps = a["smoothing"] as number;
      // `seed`: the loss's gradient as a literal (codegen/wgsl/l2-fold.ts), where the graph has it as input 2.
      const seed = a["seed"] === undefined ? "in2[0]" : f32(a["seed"] as number);
      const scale = a["reduction"] === "sum" ? seed : `${seed} / f32(globals.batch)`;
      return elementwise(
        node,
        a["seed"] === undefined ? [x!, y!, z!] : [x!, y!],
        `let r = i / ${cols}u;
  let c0 = i % ${cols}u;
  let base = r * ${cols}u;
  let cols = ${cols}u;
  let stride = 1u;
  ${SOFTMAX_ROW}
  let tgt = ${smoothedTarget(cols, eps, "c0", "u32(in1[r])")};
  out[i] = ${scale} * (exp(in0[i] - mx) / sum - tgt);`,
      );
    }
    default:
      throw new Error(`no WGSL emitter for op \`${node.op}\``);
  }
}
