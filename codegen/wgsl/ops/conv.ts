// WGSL emitters of the conv family (see codegen/wgsl/emit.ts for the contract). Each convolution is an
// implicit GEMM (../conv-gemm.ts), with the patch arithmetic below:
//   forward       y[n,co,oh,ow]  rows n·OH·OW, cols Cout, k = (ci, i, j); A gathers x, B reads w in place;
//   grad input    dx[n,ci,h,w]   rows n·H·W,   cols Cin,  k = (co, i, j); A gathers dy at the output
//                 position that tap (i, j) came from, skipping taps that fall between strides;
//   grad weight   dw[co,ci,i,j]  rows Cin·kh·kw, cols Cout, k = (n, oh, ow); A gathers x, B reads dy;
// so every output is written in NCHW (or [Cout, Cin, kh, kw]) directly. The bias gradient is a
// per-channel tree reduction, one workgroup per channel.
import type { ProgramNode } from "../../../runtime/program.js";
import { convGeometry } from "../../../compiler/graph/ops/conv.js";
import { convSizes, type ConvSizes } from "../../../runtime/conv-sizes.js";
import { dimExpr, GLOBALS_WGSL, type Dim } from "../common.js";
import { elementwiseExpr } from "../elementwise.js";
import { gemmTiling, implicitGemm } from "../conv-gemm.js";
import { decls, inputShape, REDUCE, type Epilogue, type KernelSource } from "../kernels.js";
import type { Emitter } from "../emit.js";

interface Sizes extends ConvSizes {
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** Input shapes as the graph states them (`node.inputs` may name aliased buffers of other shapes). */
function inputShapes(node: ProgramNode, nodes: ProgramNode[]): Dim[][] {
  return node.inputs.map((_, k) => inputShape(nodes, node, k));
}

function sizes(node: ProgramNode, x: Dim[], w: Dim[], y: Dim[]): Sizes {
  const { stride, padding, dilation } = convGeometry(node.attrs);
  return {
    ...convSizes(x, w, y),
    sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1], dh: dilation[0], dw: dilation[1],
  };
}

/**
 * Gathers x[n, ci, ih, iw] for tap r = (i, j) of channel ci, from an output position whose top-left tap is
 * (h0, w0) in image `base`: assigns `v` where the tap lies inside the image (padding reads as 0). An axis
 * without padding needs no check there: every tap of a valid output position is inside.
 */
function gatherX(s: Sizes, p: string, ci: string, r: string): string {
  const checks = [...(s.ph > 0 ? [`${p}ih >= 0`, `${p}ih < ${s.h}`] : []), ...(s.pw > 0 ? [`${p}iw >= 0`, `${p}iw < ${s.w}`] : [])];
  const read = `v = x[${p}base + ${ci} * ${s.h * s.w}u + u32(${p}ih) * ${s.w}u + u32(${p}iw)];`;
  return `let ${p}r = ${r};
          let ${p}ih = ${p}h0 + i32(${p}r / ${s.kw}u) * ${s.dh};
          let ${p}iw = ${p}w0 + i32(${p}r % ${s.kw}u) * ${s.dw};
          ${checks.length ? `if (${checks.join(" && ")}) { ${read} }` : read}`;
}

/** Image and top-left tap of output position `m` (flat over n, oh, ow), with prefix `p`. */
function outputPosition(s: Sizes, p: string, m: string): string {
  const plane = s.oh * s.ow;
  return `let ${p}n = ${m} / ${plane}u;
  let ${p}q = ${m} % ${plane}u;
  let ${p}h0 = i32(${p}q / ${s.ow}u) * ${s.sh} - ${s.ph};
  let ${p}w0 = i32(${p}q % ${s.ow}u) * ${s.sw} - ${s.pw};
  let ${p}base = ${p}n * ${s.cin * s.h * s.w}u;`;
}

function epilogueValue(bias: boolean, epilogue?: Epilogue): (sum: string) => string {
  return (sum) => {
    const total = bias ? `(${sum} + bias[col])` : sum;
    const act = epilogue?.activation;
    return act ? elementwiseExpr(act.op, [total], act.alpha === undefined ? {} : { alpha: act.alpha }, true) : total;
  };
}

/** The forward convolution, with its bias (third input) and an optional activation fused into the store. */
export function conv2dKernel(node: ProgramNode, nodes: ProgramNode[], epilogue?: Epilogue): KernelSource {
  const [x, w, bias] = node.inputs as [number, number, number | undefined];
  const [xs, ws] = inputShapes(node, nodes) as [Dim[], Dim[]];
  const s = sizes(node, xs, ws, node.shape);
  const plane = s.oh * s.ow;
  const taps = s.kh * s.kw;
  const depth = s.cin * taps;
  const output = epilogue?.output ?? node.id;
  const bindings = [{ node: x, write: false }, { node: w, write: false }, ...(bias === undefined ? [] : [{ node: bias, write: false }]), { node: output, write: true }];
  const fused = [bias === undefined ? "" : "bias", epilogue?.activation?.op ?? ""].filter(Boolean).join(" + ");
  return implicitGemm({
    label: `conv2d #${node.id}${fused ? ` + ${fused}` : ""}`,
    bindings,
    names: bias === undefined ? ["x", "w", "y"] : ["x", "w", "bias", "y"],
    rows: `${dimExpr(node.shape[0]!)} * ${plane}u`,
    cols: `${s.cout}u`,
    depth: `${depth}u`,
    staticDepth: depth,
    tiling: gemmTiling(undefined, s.cout, depth),
    // Neighbouring lanes: neighbouring output positions (neighbouring x words when the stride is 1).
    a: { lanes: "outer", fixed: (m) => outputPosition(s, "a_", m), load: (_m, k) => gatherX(s, "a_", `${k} / ${taps}u`, `${k} % ${taps}u`) },
    // Neighbouring lanes: neighbouring k, i.e. neighbouring words of a weight row.
    b: { lanes: "k", fixed: () => "", load: (co, k) => `v = w[${co} * ${depth}u + ${k}];` },
    rowSetup: `let yBase = (row / ${plane}u) * ${s.cout * plane}u + row % ${plane}u;`,
    store: (value) => `y[yBase + col * ${plane}u] = ${value};`,
    value: epilogueValue(bias !== undefined, epilogue),
    rowDims: [node.shape[0]!, plane],
    colDims: [s.cout],
  });
}

/**
 * dx[n, ci, h, w] = Σ dy[n, co, oh, ow]·w[co, ci, i, j] over the taps with h = oh·sh − ph + i·dh (and the
 * same for w): for each (i, j) the output position is found by dividing back, and a tap that is not a
 * whole number of strides away, or lands outside dy, contributes nothing.
 */
function gradInputKernel(node: ProgramNode, nodes: ProgramNode[]): KernelSource {
  const [dy, w] = node.inputs as [number, number];
  const [ys, ws] = inputShapes(node, nodes) as [Dim[], Dim[]];
  const s = sizes(node, node.shape, ws, ys);
  const plane = s.h * s.w;
  const outPlane = s.oh * s.ow;
  const taps = s.kh * s.kw;
  const bindings = [{ node: dy, write: false }, { node: w, write: false }, { node: node.id, write: true }];
  const onStride = [...(s.sh > 1 ? [`a_th % ${s.sh} == 0`] : []), ...(s.sw > 1 ? [`a_tw % ${s.sw} == 0`] : [])];
  const whole = ["a_th >= 0", "a_tw >= 0", ...onStride].join(" && ");
  return implicitGemm({
    label: `conv2d_grad_input #${node.id}`,
    bindings,
    names: ["dy", "w", "dx"],
    rows: `${dimExpr(node.shape[0]!)} * ${plane}u`,
    cols: `${s.cin}u`,
    depth: `${s.cout * taps}u`,
    staticDepth: s.cout * taps,
    tiling: gemmTiling(undefined, s.cin, s.cout * taps),
    a: {
      lanes: "outer",
      fixed: (m) => `let a_n = ${m} / ${plane}u;
  let a_q = ${m} % ${plane}u;
  let a_h = i32(a_q / ${s.w}u) + ${s.ph};
  let a_w = i32(a_q % ${s.w}u) + ${s.pw};
  let a_base = a_n * ${s.cout * outPlane}u;`,
      load: (_m, k) => `let a_r = ${k} % ${taps}u;
          let a_th = a_h - i32(a_r / ${s.kw}u) * ${s.dh};
          let a_tw = a_w - i32(a_r % ${s.kw}u) * ${s.dw};
          if (${whole}) {
            let a_oh = u32(a_th / ${s.sh});
            let a_ow = u32(a_tw / ${s.sw});
            if (a_oh < ${s.oh}u && a_ow < ${s.ow}u) { v = dy[a_base + (${k} / ${taps}u) * ${outPlane}u + a_oh * ${s.ow}u + a_ow]; }
          }`,
    },
    b: { lanes: "k", fixed: (k) => `let b_co = ${k} / ${taps}u;\n      let b_r = ${k} % ${taps}u;`, load: (ci) => `v = w[(b_co * ${s.cin}u + ${ci}) * ${taps}u + b_r];` },
    rowSetup: `let xBase = (row / ${plane}u) * ${s.cin * plane}u + row % ${plane}u;`,
    store: (value) => `dx[xBase + col * ${plane}u] = ${value};`,
    value: (sum) => sum,
    rowDims: [node.shape[0]!, plane],
    colDims: [s.cin],
  });
}

/** dw[co, ci, i, j] = Σ over (n, oh, ow) of dy·x, computed as its transpose: rows (ci, i, j), cols co. */
function gradWeightKernel(node: ProgramNode, nodes: ProgramNode[]): KernelSource {
  const [x, dy] = node.inputs as [number, number];
  const [xs, ys] = inputShapes(node, nodes) as [Dim[], Dim[]];
  const s = sizes(node, xs, node.shape, ys);
  const outPlane = s.oh * s.ow;
  const taps = s.kh * s.kw;
  const rows = s.cin * taps;
  const bindings = [{ node: x, write: false }, { node: dy, write: false }, { node: node.id, write: true }];
  return implicitGemm({
    label: `conv2d_grad_weight #${node.id}`,
    bindings,
    names: ["x", "dy", "dw"],
    rows: `${rows}u`,
    cols: `${s.cout}u`,
    depth: `${dimExpr(xs[0]!)} * ${outPlane}u`,
    tiling: gemmTiling(rows, s.cout, undefined),
    // Both operands with lanes along k = (n, oh, ow): neighbouring output positions, so neighbouring words
    // of dy and (stride 1) of x.
    a: { lanes: "k", fixed: (k) => outputPosition(s, "a_", k), load: (r) => gatherX(s, "a_", `${r} / ${taps}u`, `${r} % ${taps}u`) },
    b: { lanes: "k", fixed: (k) => `let b_base = (${k} / ${outPlane}u) * ${s.cout * outPlane}u + ${k} % ${outPlane}u;`, load: (co) => `v = dy[b_base + ${co} * ${outPlane}u];` },
    rowSetup: "",
    store: (value) => `dw[col * ${rows}u + row] = ${value};`,
    value: (sum) => sum,
    rowDims: [rows],
    colDims: [s.cout],
  });
}

/** db[co] = Σ dy[n, co, ·, ·]: one workgroup per channel, a strided sum per thread, then a tree. */
function gradBiasKernel(node: ProgramNode, nodes: ProgramNode[]): KernelSource {
  const [dy] = node.inputs as [number];
  const [ds] = inputShapes(node, nodes) as [Dim[]];
  const cout = ds[1] as number;
  const plane = (ds[2] as number) * (ds[3] as number);
  const bindings = [{ node: dy, write: false }, { node: node.id, write: true }];
  return {
    label: `conv2d_grad_bias #${node.id}`,
    bindings,
    dispatch: { kind: "grid", x: { elements: [cout], per: 1 } },
    code: `${GLOBALS_WGSL}${decls(bindings, ["dy", "db"])}
var<workgroup> partial: array<f32, ${REDUCE}>;
@compute @workgroup_size(${REDUCE})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let co = wg.x;
  let count = ${dimExpr(ds[0]!)} * ${plane}u;
  var acc = 0.0;
  for (var e = lid; e < count; e = e + ${REDUCE}u) {
    acc = acc + dy[((e / ${plane}u) * ${cout}u + co) * ${plane}u + e % ${plane}u];
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { db[co] = partial[0]; }
}
`,
  };
}

export const CONV_EMITTERS: Record<string, Emitter> = {
  conv2d: (node, nodes) => conv2dKernel(node, nodes),
  conv2d_grad_input: gradInputKernel,
  conv2d_grad_weight: gradWeightKernel,
  conv2d_grad_bias: gradBiasKernel,
};
