// WGSL emitters of the activation family (see codegen/wgsl/emit.ts for the contract). The elementwise ones
// print their formula from elementwise.ts (shared with fused chains and matmul epilogues); log_softmax and
// its gradient are line kernels like softmax's; row_norm and row_dot reduce the rows of weight normalization's v.
import type { ProgramNode } from "../../../runtime/program.js";
import { countExpr, dimExpr, GLOBALS_WGSL, type Dim } from "../common.js";
import type { Emitter } from "../emit.js";
import { emitFused } from "../fuse.js";
import { decls, lines, SOFTMAX_ROW, WORKGROUP, type KernelSource } from "../kernels.js";

/** A chain of one: the same printer as fused chains, with broadcasting resolved at the inputs. */
const single: Emitter = (node, nodes, training) => emitFused(node, nodes, new Set(), (id) => id, training);

export const ACTIVATION_EMITTERS: Record<string, Emitter> = {
  elu: single,
  elu_grad: single,
  gelu: single,
  gelu_grad: single,
  silu: single,
  silu_grad: single,
  log_softmax: (node) =>
    lines(node, [node.inputs[0]!], node.attrs["axis"] as number, `${SOFTMAX_ROW}\n  let shift = mx + log(sum);\n  for (var c = 0u; c < cols; c = c + 1u) { out[base + c * stride] = in0[base + c * stride] - shift; }`),
  // in0 = y (the log-probabilities), in1 = dy.
  log_softmax_grad: (node) =>
    lines(
      node,
      [node.inputs[0]!, node.inputs[1]!],
      node.attrs["axis"] as number,
      "var total = 0.0;\n  for (var c = 0u; c < cols; c = c + 1u) { total = total + in1[base + c * stride]; }\n  for (var c = 0u; c < cols; c = c + 1u) { out[base + c * stride] = in1[base + c * stride] - exp(in0[base + c * stride]) * total; }",
    ),
  scale_rows: single,
  row_norm: (node, nodes) => perRow(node, nodes, "let e = in0[k]; sum = sum + e * e;", "sqrt(sum)"),
  row_dot: (node, nodes) => perRow(node, nodes, "sum = sum + in0[k] * in1[k];", "sum"),
};

/**
 * A [rows, 1] result from the rows of [rows, cols] inputs: `term` accumulates element k of a row into
 * `sum`, `finish` gives the result. One thread per row: these are weight matrices, small next to
 * activations, reduced once per step.
 */
function perRow(node: ProgramNode, nodes: ProgramNode[], term: string, finish: string): KernelSource {
  const [rows, cols] = nodes[node.inputs[0]!]!.shape as [Dim, Dim];
  const names = [...node.inputs.map((_, k) => `in${k}`), "out"];
  const bindings = [...node.inputs.map((id) => ({ node: id, write: false })), { node: node.id, write: true }];
  return {
    label: `${node.op} #${node.id}`,
    bindings,
    dispatch: { kind: "elements", shape: [rows] },
    code: `${GLOBALS_WGSL}${decls(bindings, names)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (r >= ${countExpr([rows])}) { return; }
  let cols = ${dimExpr(cols)};
  var sum = 0.0;
  for (var k = r * cols; k < (r + 1u) * cols; k = k + 1u) { ${term} }
  out[r] = ${finish};
}
`,
  };
}
