// WGSL emitters of the spatial family (see codegen/wgsl/emit.ts for the contract): one kernel per op, one
// thread per output element so neighbouring lanes write (and mostly read) neighbouring addresses. The
// backward kernels gather: each thread owns one input element and sums over the windows or groups that
// cover it, so nothing is scattered and no two threads write the same address.
import type { ProgramNode } from "../../../runtime/program.js";
import { countExpr, dimExpr, type Dim } from "../common.js";
import type { Emitter } from "../emit.js";
import { elementwise } from "../kernels.js";

/**
 * The logical shape of input k. The plan hands emitters nodes whose inputs are resolved to the buffers
 * they alias (a reshape's input), so the shape comes from the node's original inputs.
 */
function inputShape(node: ProgramNode, nodes: ProgramNode[], k: number): Dim[] {
  return nodes[nodes[node.id]!.inputs[k]!]!.shape;
}

/** The pooling geometry as WGSL constants (i32, as window bounds go negative with padding). */
function windowConsts(node: ProgramNode, input: Dim[], output: Dim[]): string {
  const a = node.attrs;
  const [, , h, w] = input as number[];
  const [, , ho, wo] = output as number[];
  return `const KH = ${a["kh"]}i;
const KW = ${a["kw"]}i;
const SH = ${a["sh"]}i;
const SW = ${a["sw"]}i;
const PH = ${a["ph"]}i;
const PW = ${a["pw"]}i;
const H = ${h}i;
const W = ${w}i;
const HO = ${ho}i;
const WO = ${wo}i;
`;
}

/**
 * The first maximum of output window (oh, ow) of the plane at `plane` (row-major scan, padding skipped as
 * −∞), as PyTorch picks it: its value and its index within the plane. Padding ≤ kernel/2 (checked when
 * lowering) keeps at least one real element in every window. A NaN wins over any number and over an
 * earlier NaN, as in PyTorch and the CPU reference. It is recognised by its bits, not by `v != v` or by
 * a comparison: shader compilers may assume floats are never NaN and fold those away.
 */
const WINDOW_MAX = `struct Best { value: f32, index: i32 }
fn notANumber(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
fn windowMax(plane: u32, oh: i32, ow: i32) -> Best {
  var best = Best(0.0, -1);
  for (var dh = 0i; dh < KH; dh = dh + 1i) {
    let ih = oh * SH - PH + dh;
    if (ih < 0i || ih >= H) { continue; }
    for (var dw = 0i; dw < KW; dw = dw + 1i) {
      let iw = ow * SW - PW + dw;
      if (iw < 0i || iw >= W) { continue; }
      let v = in0[plane + u32(ih * W + iw)];
      if (best.index < 0i || v > best.value || notANumber(v)) { best = Best(v, ih * W + iw); }
    }
  }
  return best;
}
`;

/** Splits output index i of [N, C, HO, WO] into the plane p and (oh, ow). */
const OUTPUT_POSITION = `let ow = i32(i % u32(WO));
  let oh = i32((i / u32(WO)) % u32(HO));
  let p = i / u32(WO * HO);`;

/** Splits input index i of [N, C, H, W] into the plane p and (ih, iw), and the output windows covering it. */
const INPUT_POSITION = `let iw = i32(i % u32(W));
  let ih = i32((i / u32(W)) % u32(H));
  let p = i / u32(W * H);
  // Windows oh with oh·SH − PH ≤ ih ≤ oh·SH − PH + KH − 1, clamped to the output.
  let ohLo = max(0i, (ih + PH - KH + SH) / SH);
  let ohHi = min(HO - 1i, (ih + PH) / SH);
  let owLo = max(0i, (iw + PW - KW + SW) / SW);
  let owHi = min(WO - 1i, (iw + PW) / SW);`;

function maxpool(node: ProgramNode, nodes: ProgramNode[]) {
  const x = node.inputs[0]!;
  return elementwise(
    node,
    [x],
    `${OUTPUT_POSITION}
  out[i] = windowMax(p * u32(H * W), oh, ow).value;`,
    windowConsts(node, inputShape(node, nodes, 0), node.shape) + WINDOW_MAX,
  );
}

function maxpoolArgmax(node: ProgramNode, nodes: ProgramNode[]) {
  const shape = inputShape(node, nodes, 0);
  // Indices travel as f32: exact while a plane has fewer than 2²⁴ positions.
  if ((shape[2] as number) * (shape[3] as number) >= 1 << 24) throw new Error("internal: a pooling plane too large for f32 indices");
  return elementwise(node, [node.inputs[0]!], `${OUTPUT_POSITION}
  out[i] = f32(windowMax(p * u32(H * W), oh, ow).index);`, windowConsts(node, shape, node.shape) + WINDOW_MAX);
}

/** Each input element sums the gradient of the covering windows whose argmax it is: no scatter, no races. */
function maxpoolGrad(node: ProgramNode, nodes: ProgramNode[]) {
  const [argmax, dy] = node.inputs as [number, number];
  return elementwise(
    node,
    [argmax, dy],
    `${INPUT_POSITION}
  let own = f32(ih * W + iw);
  var acc = 0.0;
  for (var oh = ohLo; oh <= ohHi; oh = oh + 1i) {
    for (var ow = owLo; ow <= owHi; ow = ow + 1i) {
      let o = p * u32(HO * WO) + u32(oh * WO + ow);
      if (in0[o] == own) { acc = acc + in1[o]; }
    }
  }
  out[i] = acc;`,
    windowConsts(node, node.shape, inputShape(node, nodes, 1)),
  );
}

function avgpool(node: ProgramNode, nodes: ProgramNode[]) {
  const x = node.inputs[0]!;
  return elementwise(
    node,
    [x],
    `${OUTPUT_POSITION}
  let plane = p * u32(H * W);
  var acc = 0.0;
  for (var dh = 0i; dh < KH; dh = dh + 1i) {
    let ih = oh * SH - PH + dh;
    if (ih < 0i || ih >= H) { continue; }
    for (var dw = 0i; dw < KW; dw = dw + 1i) {
      let iw = ow * SW - PW + dw;
      if (iw >= 0i && iw < W) { acc = acc + in0[plane + u32(ih * W + iw)]; }
    }
  }
  out[i] = acc / f32(KH * KW);`,
    windowConsts(node, inputShape(node, nodes, 0), node.shape),
  );
}

function avgpoolGrad(node: ProgramNode, nodes: ProgramNode[]) {
  const dy = node.inputs[0]!;
  return elementwise(
    node,
    [dy],
    `${INPUT_POSITION}
  var acc = 0.0;
  for (var oh = ohLo; oh <= ohHi; oh = oh + 1i) {
    for (var ow = owLo; ow <= owHi; ow = ow + 1i) { acc = acc + in0[p * u32(HO * WO) + u32(oh * WO + ow)]; }
  }
  out[i] = acc / f32(KH * KW);`,
    windowConsts(node, node.shape, inputShape(node, nodes, 0)),
  );
}

/** The first maximum of group g of row r (features F, groups of K): its column. */
function groupMax(features: number, k: number): string {
  return `const F = ${features}u;
const K = ${k}u;
fn groupArgmax(r: u32, g: u32) -> u32 {
  var best = g * K;
  for (var j = best + 1u; j < (g + 1u) * K; j = j + 1u) {
    if (in0[r * F + j] > in0[r * F + best]) { best = j; }
  }
  return best;
}
`;
}

function maxout(node: ProgramNode, nodes: ProgramNode[]) {
  const x = node.inputs[0]!;
  const features = inputShape(node, nodes, 0)[1] as number;
  const k = node.attrs["k"] as number;
  return elementwise(node, [x], `let r = i / ${features / k}u;\n  out[i] = in0[r * F + groupArgmax(r, i % ${features / k}u)];`, groupMax(features, k));
}

function maxoutGrad(node: ProgramNode) {
  const [x, dy] = node.inputs as [number, number];
  const features = node.shape[1] as number;
  const k = node.attrs["k"] as number;
  return elementwise(
    node,
    [x, dy],
    `let r = i / F;
  let g = (i % F) / K;
  out[i] = select(0.0, in1[r * ${features / k}u + g], groupArgmax(r, g) == i % F);`,
    groupMax(features, k),
  );
}

/** Elements per step along `axis` (the product of the later axes), as a WGSL u32 expression. */
const innerOf = (shape: Dim[], axis: number) => countExpr(shape.slice(axis + 1));

function concat(node: ProgramNode, nodes: ProgramNode[]) {
  const axis = node.attrs["axis"] as number;
  // Binding 0 is the globals and one is the output: at most 7 inputs (lowering joins more in stages).
  if (node.inputs.length > 7) throw new Error(`internal: concat of ${node.inputs.length} inputs in one kernel`);
  const inner = innerOf(node.shape, axis);
  const total = node.shape[axis] as number;
  let offset = 0;
  const branches = node.inputs.map((_, k) => {
    const size = inputShape(node, nodes, k)[axis] as number;
    const read = `out[i] = in${k}[o * ${size}u * inner + rem - ${offset}u * inner];`;
    offset += size;
    return k === node.inputs.length - 1 ? `{ ${read} }` : `if (rem < ${offset}u * inner) { ${read} }`;
  });
  return elementwise(node, node.inputs, `let inner = ${inner};\n  let o = i / (${total}u * inner);\n  let rem = i % (${total}u * inner);\n  ${branches.join(" else ")}`);
}

function slice(node: ProgramNode, nodes: ProgramNode[]) {
  const x = node.inputs[0]!;
  const axis = node.attrs["axis"] as number;
  const full = inputShape(node, nodes, 0)[axis] as number;
  const size = node.attrs["size"] as number;
  const start = node.attrs["start"] as number;
  return elementwise(node, [x], `let inner = ${innerOf(node.shape, axis)};\n  out[i] = in0[(i / (${size}u * inner)) * ${full}u * inner + ${start}u * inner + i % (${size}u * inner)];`);
}

/** One thread per output element sums its line; lanes side by side read side by side unless the axis is last. */
function reduceAxis(node: ProgramNode, nodes: ProgramNode[]) {
  const x = node.inputs[0]!;
  const axis = node.attrs["axis"] as number;
  const shape = inputShape(node, nodes, 0);
  const size = dimExpr(shape[axis]!);
  return elementwise(
    node,
    [x],
    `let inner = ${innerOf(shape, axis)};
  let base = (i / inner) * ${size} * inner + i % inner;
  var acc = 0.0;
  for (var k = 0u; k < ${size}; k = k + 1u) { acc = acc + in0[base + k * inner]; }
  out[i] = acc${node.attrs["mean"] ? ` / f32(${size})` : ""};`,
  );
}

function reduceAxisGrad(node: ProgramNode) {
  const axis = node.attrs["axis"] as number;
  const size = dimExpr(node.shape[axis]!);
  return elementwise(
    node,
    [node.inputs[0]!],
    `let inner = ${innerOf(node.shape, axis)};
  out[i] = in0[(i / (${size} * inner)) * inner + i % inner]${node.attrs["mean"] ? ` / f32(${size})` : ""};`,
  );
}

export const SPATIAL_EMITTERS: Record<string, Emitter> = {
  maxpool2d: maxpool,
  maxpool2d_argmax: maxpoolArgmax,
  maxpool2d_grad: maxpoolGrad,
  avgpool2d: avgpool,
  avgpool2d_grad: avgpoolGrad,
  maxout,
  maxout_grad: (node) => maxoutGrad(node),
  concat,
  slice,
  materialize: (node) => elementwise(node, [node.inputs[0]!], "out[i] = in0[i];"),
  reduce_axis: reduceAxis,
  reduce_axis_grad: (node) => reduceAxisGrad(node),
};
