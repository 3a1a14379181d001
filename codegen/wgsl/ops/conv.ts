// WGSL emitters of the conv family (see codegen/wgsl/emit.ts for the contract). Each convolution is an
// implicit GEMM (../conv-gemm.ts, which explains the kernels' shape), with the patch arithmetic below:
//   forward       y[n,co,oh,ow]  rows n·OH·OW, cols Cout, k = (i, j) then ci; A gathers x, B reads w in place;
//   grad input    dx[n,ci,h,w]   rows n·H·W,   cols Cin,  k = (i, j) then co; A gathers dy at the output
//                 position that tap (i, j) came from, skipping taps that fall between strides;
//   grad weight   dw[co,ci,i,j]  rows Cin·kh·kw, cols Cout, k = (n, oh, ow); A gathers x, B reads dy;
// rows run along the lanes and columns are uniform across them, so the weights (forward, grad input) and dy
// (grad weight) are loaded once per workgroup step and broadcast. Every output is written in NCHW (or
// [Cout, Cin, kh, kw]) directly. The bias gradient is a
// per-channel tree reduction, one workgroup per channel.
import type { ProgramNode } from "../../../runtime/program.js";
import { convGeometry } from "../../../compiler/graph/ops/conv.js";
import { convSizes, type ConvSizes } from "../../../runtime/conv-sizes.js";
import { dimExpr, GLOBALS_WGSL, type Dim, workgroupSum } from "../common.js";
import { elementwiseExpr } from "../elementwise.js";
import { positionGemm, laneRowGemm, type Block } from "../conv-gemm.js";
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

/** The bounds checks of tap position (`${p}ih`, `${p}iw`) in x: only on an axis with padding. */
function insideX(s: Sizes, p: string): string[] {
  return [...(s.ph > 0 ? [`${p}ih >= 0`, `${p}ih < ${s.h}`] : []), ...(s.pw > 0 ? [`${p}iw >= 0`, `${p}iw < ${s.w}`] : [])];
}

function epilogueValue(bias: boolean, epilogue?: Epilogue): (sum: string, col: string) => string {
  return (sum, col) => {
    const total = bias ? `(${sum} + bias[${col}])` : sum;
    const act = epilogue?.activation;
    return act ? elementwiseExpr(act.op, [total], act.alpha === undefined ? {} : { alpha: act.alpha }, true) : total;
  };
}

/**
 * Outputs per invocation of the forward and input-gradient GEMMs with `cols` columns: rm rows (along the
 * lanes) × cn columns (uniform). On lavapipe (2 busy cores, so ±30%), 4 × 8 and 8 × 4 were the fastest on
 * the benchmark CNN's and fashion_cnn's layers; 2 × 8 and 4 × 4 up to 2× slower on the big ones; each
 * kernel compiles cold in 0.3–1 s.
 */
export function convBlock(cols: number): Block {
  return { rm: 4, cn: Math.min(cols, 8) };
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
  const checks = insideX(s, "");
  return laneRowGemm({
    label: `conv2d #${node.id}${fused ? ` + ${fused}` : ""}`,
    bindings,
    names: bias === undefined ? ["x", "w", "y"] : ["x", "w", "bias", "y"],
    rows: `${dimExpr(node.shape[0]!)} * ${plane}u`,
    rowDims: [node.shape[0]!, plane],
    cols: s.cout,
    block: convBlock(s.cout),
    taps,
    kw: s.kw,
    channels: s.cin,
    // Output position m = (n, oh, ow): its image's first word and its top-left tap.
    rowFixed: (p, m) => `let ${p}n = ${m} / ${plane}u;
  let ${p}q = ${m} % ${plane}u;
  let ${p}h0 = i32(${p}q / ${s.ow}u) * ${s.sh} - ${s.ph};
  let ${p}w0 = i32(${p}q % ${s.ow}u) * ${s.sw} - ${s.pw};
  let ${p}base = i32(${p}n * ${s.cin * s.h * s.w}u);
  let ${p}yBase = ${p}n * ${s.cout * plane}u + ${p}q;`,
    tap: (p) => `let ${p}ih = ${p}h0 + ti * ${s.dh};
    let ${p}iw = ${p}w0 + tj * ${s.dw};
    let ${p}at = ${p}base + ${p}ih * ${s.w} + ${p}iw;${checks.length ? `\n    let ${p}ok = ${insideX(s, p).join(" && ")};` : ""}`,
    always: checks.length === 0,
    a: "x",
    channelStride: s.h * s.w,
    bAt: (co, c, t) => `w[${co} * ${depth}u + ${c} * ${taps}u + ${t}]`,
    store: (row, col, value) => `y[(${row} / ${plane}u) * ${s.cout * plane}u + ${row} % ${plane}u + ${col} * ${plane}u] = ${value};`,
    value: epilogueValue(bias !== undefined, epilogue),
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
  const onStride = (p: string) => [...(s.sh > 1 ? [`${p}th % ${s.sh} == 0`] : []), ...(s.sw > 1 ? [`${p}tw % ${s.sw} == 0`] : [])];
  return laneRowGemm({
    label: `conv2d_grad_input #${node.id}`,
    bindings,
    names: ["dy", "w", "dx"],
    rows: `${dimExpr(node.shape[0]!)} * ${plane}u`,
    rowDims: [node.shape[0]!, plane],
    cols: s.cin,
    block: convBlock(s.cin),
    taps,
    kw: s.kw,
    channels: s.cout,
    rowFixed: (p, m) => `let ${p}n = ${m} / ${plane}u;
  let ${p}q = ${m} % ${plane}u;
  let ${p}h = i32(${p}q / ${s.w}u) + ${s.ph};
  let ${p}w = i32(${p}q % ${s.w}u) + ${s.pw};
  let ${p}base = i32(${p}n * ${s.cout * outPlane}u);`,
    tap: (p) => `let ${p}th = ${p}h - ti * ${s.dh};
    let ${p}tw = ${p}w - tj * ${s.dw};
    let ${p}oh = ${p}th / ${s.sh};
    let ${p}ow = ${p}tw / ${s.sw};
    let ${p}ok = ${[`${p}th >= 0`, `${p}tw >= 0`, ...onStride(p), `${p}oh < ${s.oh}`, `${p}ow < ${s.ow}`].join(" && ")};
    let ${p}at = ${p}base + ${p}oh * ${s.ow} + ${p}ow;`,
    always: false,
    a: "dy",
    channelStride: outPlane,
    bAt: (ci, co, t) => `w[(${co} * ${s.cin}u + ${ci}) * ${taps}u + ${t}]`,
    store: (row, col, value) => `dx[(${row} / ${plane}u) * ${s.cin * plane}u + ${row} % ${plane}u + ${col} * ${plane}u] = ${value};`,
    value: (sum) => sum,
  });
}

/**
 * dw[co, ci, i, j] = Σ over (n, oh, ow) of dy·x, as rows (ci, i, j) along the lanes × columns co. Neighbouring
 * rows are neighbouring taps, so neighbouring lanes read nearby words of x; dy's word is uniform. The sum
 * runs over k in order, as the CPU reference's does: lanes along k with a final reduction of 8 partial sums
 * was as fast but rounds differently enough (1e-5 on sums of ~1000 products) to miss the reference's
 * tolerance where it cancels. 2 × 8 blocks: the rows are few (9 to 288), so small row blocks keep workgroups
 * for both cores.
 */
function gradWeightKernel(node: ProgramNode, nodes: ProgramNode[]): KernelSource {
  const [x, dy] = node.inputs as [number, number];
  const [xs, ys] = inputShapes(node, nodes) as [Dim[], Dim[]];
  const s = sizes(node, xs, node.shape, ys);
  const outPlane = s.oh * s.ow;
  const taps = s.kh * s.kw;
  const rows = s.cin * taps;
  const bindings = [{ node: x, write: false }, { node: dy, write: false }, { node: node.id, write: true }];
  const checks = insideX(s, "");
  return positionGemm({
    label: `conv2d_grad_weight #${node.id}`,
    bindings,
    names: ["x", "dy", "dw"],
    rows,
    cols: s.cout,
    block: { rm: 2, cn: Math.min(s.cout, 8) },
    batch: dimExpr(xs[0]!),
    positions: outPlane,
    // Row (ci, i, j): its channel's offset in an image and its tap's offset from an output position's corner.
    rowFixed: (p, r) => `let ${p}ci = i32(${r} / ${taps}u) * ${s.h * s.w};
  let ${p}di = i32((${r} % ${taps}u) / ${s.kw}u) * ${s.dh};
  let ${p}dj = i32(${r} % ${s.kw}u) * ${s.dw};`,
    colFixed: (p, co) => `let ${p}off = ${co} * ${outPlane}u;`,
    position: `let h0 = i32(q / ${s.ow}u) * ${s.sh} - ${s.ph};
      let w0 = i32(q % ${s.ow}u) * ${s.sw} - ${s.pw};
      let xBase = i32(n * ${s.cin * s.h * s.w}u);
      let dyBase = n * ${s.cout * outPlane}u + q;`,
    aAt: (p) => {
      const at = `xBase + ${p}ci + ${p}ih * ${s.w} + ${p}iw`;
      return `let ${p}ih = h0 + ${p}di;
      let ${p}iw = w0 + ${p}dj;
      ${checks.length ? `let ${p}v = select(0.0, x[select(0u, u32(${at}), ${insideX(s, p).join(" && ")})], ${insideX(s, p).join(" && ")});` : `let ${p}v = x[u32(${at})];`}`;
    },
    bAt: (p) => `dy[dyBase + ${p}off]`,
    store: (row, col, value) => `dw[${col} * ${rows}u + ${row}] = ${value};`,
    value: (sum) => sum,
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
  ${workgroupSum(REDUCE)}
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
