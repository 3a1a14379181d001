// WGSL emitters of the loss family (compiler/graph/ops/loss.ts; CPU reference runtime/cpu/kernels/loss.ts).
// The losses reduce in one workgroup (reduceAll), like softmax cross-entropy: the loss's input is one batch
// of outputs, small next to the step's matmuls. Their gradients are elementwise. Formulas for f32: bce's logs
// are clamped at −100 and tested for v ≤ 0 before log is trusted (WGSL leaves log(0) to the implementation);
// bce_with_logits never takes exp of a positive number, and replaces log(1 + e) by its series where 1 + e
// would round e away (WGSL has no log1p).
import type { ProgramNode } from "../../../runtime/program.js";
import { BCE_GRAD_EPSILON, BCE_LOG_FLOOR } from "../../../runtime/cpu/kernels/loss.js";
import { countExpr, dimExpr, f32, GLOBALS_WGSL, type Dim, workgroupSum } from "../common.js";
import type { Emitter } from "../emit.js";
import { metricsCode, type MetricsSpec } from "../metrics.js";
import { crossEntropyRow, decls, elementwise, inputShape, REDUCE, reduceAll, type KernelSource } from "../kernels.js";

/** WGSL functions `lossValue(x, t)` and `lossSlope(x, t)` (its derivative in x) of one element of a pointwise loss. */
function pointwiseFunctions(kind: string, threshold: number): string {
  const th = kind === "huber" || kind === "smooth_l1" ? f32(threshold) : "0.0";
  const formulas: Record<string, [string, string]> = {
    mae: ["abs(x - t)", "sign(x - t)"],
    huber: [`select(${th} * (abs(x - t) - 0.5 * ${th}), 0.5 * (x - t) * (x - t), abs(x - t) < ${th})`, `clamp(x - t, -${th}, ${th})`],
    smooth_l1: [`select(abs(x - t) - 0.5 * ${th}, 0.5 * (x - t) * (x - t) / ${th}, abs(x - t) < ${th})`, `clamp((x - t) / ${th}, -1.0, 1.0)`],
    bce: ["-(t * clampedLog(x) + (1.0 - t) * clampedLog(1.0 - x))", `(x - t) / max((1.0 - x) * x, ${f32(BCE_GRAD_EPSILON)})`],
    // σ(x) − t from e^−|x| ≤ 1, so no exp overflows (WGSL leaves an overflowing exp's value to the
    // implementation); for x ≥ 0 as (1 − t) − e/(1 + e), which does not cancel when σ(x) and t are both near 1.
    bce_logits: ["max(x, 0.0) - x * t + log1pExp(-abs(x))", "select(exp(-abs(x)) / (1.0 + exp(-abs(x))) - t, (1.0 - t) - exp(-abs(x)) / (1.0 + exp(-abs(x))), x >= 0.0)"],
    kl_div: ["select(t * log(t), 0.0, t == 0.0) - t * x", "-t"],
  };
  const [value, slope] = formulas[kind] ?? [];
  if (!value) throw new Error(`internal: unknown pointwise loss ${kind}`);
  return `fn clampedLog(v: f32) -> f32 {
  return select(max(log(v), ${f32(BCE_LOG_FLOOR)}), ${f32(BCE_LOG_FLOOR)}, v <= 0.0);
}
// log(1 + eᵘ) for u ≤ 0: below e = 1e-2 the series e − e²/2 + e³/3 (error < e⁴/4, 2.5e-7 relative at most).
fn log1pExp(u: f32) -> f32 {
  let e = exp(u);
  return select(log(1.0 + e), e * (1.0 - e * (0.5 - e / 3.0)), e < 0.01);
}
fn lossValue(x: f32, t: f32) -> f32 {
  return ${value};
}
fn lossSlope(x: f32, t: f32) -> f32 {
  return ${slope};
}
`;
}

/** The divisor of a reduction over a tensor of `shape`, as a WGSL f32 expression. */
function divisor(reduction: string, shape: Dim[]): string {
  if (reduction === "sum") return "1.0";
  return `f32(${reduction === "batchmean" ? dimExpr(shape[0]!) : countExpr(shape)})`;
}

/** Declares `functions` in a reduceAll kernel after its bindings (they may read them). */
function withFunctions(source: KernelSource, functions: string): KernelSource {
  return { ...source, code: source.code.replace("var<workgroup> partial", `${functions}var<workgroup> partial`) };
}

/** The rows and classes of a class loss's scores; the classes are static (the checker's [N, classes]). */
function classShape(nodes: ProgramNode[], node: ProgramNode): { rows: Dim; cols: number } {
  const [rows, cols] = inputShape(nodes, node, 0);
  if (typeof cols !== "number") throw new Error(`internal: ${node.op} needs a static number of classes`);
  return { rows: rows!, cols };
}

/** `rowLoss(r)`: the loss of row r (scores in0, labels in1). */
function rowLossFunction(node: ProgramNode, cols: number): string {
  const body =
    node.attrs["kind"] === "nll"
      ? "return -in0[base + label];"
      : `let own = in0[base + label];
  var loss = 0.0;
  for (var c = 0u; c < ${cols}u; c = c + 1u) {
    if (c != label) { loss = loss + max(0.0, ${f32(node.attrs["margin"] as number)} - own + in0[base + c]); }
  }
  return loss;`;
  return `fn rowLoss(r: u32) -> f32 {
  let base = r * ${cols}u;
  let label = u32(in1[r]);
  ${body}
}
`;
}

export const LOSS_EMITTERS: Record<string, Emitter> = {
  pointwise_loss: (node, nodes) => {
    const shape = inputShape(nodes, node, 0);
    const [x, t] = node.inputs as [number, number];
    const source = reduceAll(node, [x, t], countExpr(shape), "lossValue(in0[i], in1[i])", `partial[0] / ${divisor(node.attrs["reduction"] as string, shape)}`);
    return withFunctions(source, pointwiseFunctions(node.attrs["kind"] as string, node.attrs["threshold"] as number));
  },
  pointwise_loss_grad: (node, nodes) => {
    const shape = inputShape(nodes, node, 0);
    const [x, t, g] = node.inputs as [number, number, number];
    return elementwise(
      node,
      [x, t, g],
      `out[i] = in2[0] / ${divisor(node.attrs["reduction"] as string, shape)} * lossSlope(in0[i], in1[i]);`,
      pointwiseFunctions(node.attrs["kind"] as string, node.attrs["threshold"] as number),
    );
  },
  class_loss: (node, nodes) => {
    const { rows, cols } = classShape(nodes, node);
    const [x, labels] = node.inputs as [number, number];
    const finish = node.attrs["reduction"] === "sum" ? "partial[0]" : `partial[0] / f32(${dimExpr(rows)})`;
    return withFunctions(reduceAll(node, [x, labels], dimExpr(rows), "rowLoss(i)", finish), rowLossFunction(node, cols));
  },
  class_loss_grad: (node, nodes) => {
    const { rows, cols } = classShape(nodes, node);
    const [x, labels, g] = node.inputs as [number, number, number];
    const margin = f32((node.attrs["margin"] as number | undefined) ?? 0);
    const body =
      node.attrs["kind"] === "nll"
        ? "out[i] = select(0.0, -scale, c0 == label);"
        : `let own = in0[base + label];
  if (c0 != label) {
    out[i] = select(0.0, scale, ${margin} - own + in0[i] > 0.0);
  } else {
    var hits = 0.0;
    for (var c = 0u; c < ${cols}u; c = c + 1u) {
      if (c != label && ${margin} - own + in0[base + c] > 0.0) { hits = hits + 1.0; }
    }
    out[i] = -scale * hits;
  }`;
    return elementwise(
      node,
      [x, labels, g],
      `let r = i / ${cols}u;
  let c0 = i % ${cols}u;
  let base = r * ${cols}u;
  let label = u32(in1[r]);
  let scale = in2[0] / ${node.attrs["reduction"] === "sum" ? "1.0" : `f32(${dimExpr(rows)})`};
  ${body}`,
    );
  },
};

/**
 * Softmax cross-entropy and its gradient in one kernel (the planner's choice when the gradient's seed is a
 * literal: codegen/wgsl/l2-fold.ts): one workgroup, a thread per row at a time as the loss's own reduction
 * runs, each finding its row's max and Σexp once, then adding the row's loss and writing the row's
 * gradient. The formulas, loop orders and tree are those of the two kernels it replaces, so the numbers are
 * the same. Bindings: logits, labels, the loss, the gradient.
 */
export function softmaxCrossEntropyWithGrad(loss: ProgramNode, grad: ProgramNode, nodes: ProgramNode[], resolve: (id: number) => number, metrics?: MetricsSpec, columnSum?: ProgramNode): KernelSource {
  const [x, labels] = loss.inputs.map(resolve) as [number, number];
  const shape = inputShape(nodes, loss, 0);
  const cols = shape[1] as number;
  const rows = dimExpr(shape[0]!);
  const eps = loss.attrs["smoothing"] as number;
  const seed = f32(grad.attrs["seed"] as number);
  const scale = grad.attrs["reduction"] === "sum" ? seed : `${seed} / f32(globals.batch)`;
  const bindings: KernelSource["bindings"] = [{ node: x, write: false }, { node: labels, write: false }, { node: loss.id, write: true }, { node: grad.id, write: true }];
  // The step's metrics, when this is the loss: the logits and labels are bound already.
  const measured = metrics !== undefined && resolve(metrics.output) === x && resolve(metrics.labels) === labels;
  if (measured) bindings.push({ node: "metrics", write: true });
  if (columnSum) bindings.push({ node: columnSum.id, write: true });
  // The bias gradient: once every row's gradient is stored, a thread per column sums it in row order, as
  // the sum_to kernel it replaces.
  const sums = columnSum
    ? `storageBarrier();
  workgroupBarrier();
  for (var c = lid; c < ${cols}u; c = c + ${REDUCE}u) {
    var total = 0.0;
    for (var k = c; k < count * ${cols}u; k = k + ${cols}u) { total = total + grad[k]; }
    columnSum[c] = total;
  }`
    : "";
  const value = loss.attrs["reduction"] === "sum" ? "partial[0]" : `partial[0] / f32(${rows})`;
  return {
    label: `softmax_cross_entropy #${loss.id} + grad #${grad.id}${columnSum ? ` + sum_to #${columnSum.id}` : ""}${measured ? " + metrics" : ""}`,
    bindings,
    dispatch: { kind: "single" },
    code: `${GLOBALS_WGSL}${decls(bindings, ["in0", "in1", "out", "grad", ...(measured ? ["metrics"] : []), "columnSum"])}
var<workgroup> partial: array<f32, ${REDUCE}>;
@compute @workgroup_size(${REDUCE})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  let count = ${rows};
  for (var r = lid; r < count; r = r + ${REDUCE}u) {
    ${crossEntropyRow(cols, eps, `grad[base + c] = ${scale} * (exp(in0[base + c] - mx) / sum - tgt);`)}
    acc = acc + loss;
  }
  ${workgroupSum(REDUCE)}
  if (lid == 0u) {
    let lossValue = ${value};
    out[0] = lossValue;
    ${measured ? metricsCode(metrics, "lossValue", { out: "in0", labels: "in1", metrics: "metrics" }) : ""}
  }
  ${sums}
}
`,
  };
}
