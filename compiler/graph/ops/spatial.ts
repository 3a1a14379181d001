// Graph ops of the spatial family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
// Pooling over [N, C, H, W] (attrs kh, kw, sh, sw, ph, pw), maxout over [N, F] (attr k), concatenation and
// slicing along an axis, and sum/mean over one axis. Axes in attrs are non-negative.
import type { Dim, Shape } from "../ir.js";
import { windowOutput } from "../../check/shapes.js";
import type { OpDef } from "../ops.js";

/** The output size of a window sweep, as PyTorch's pooling without ceil_mode. */
export function pooledSize(size: Dim, kernel: number, stride: number, padding: number): Dim {
  if (typeof size !== "number") throw new Error("internal: pooling over a batch-sized axis");
  return windowOutput(size, kernel, stride, padding);
}

const pooled = ([x]: Shape[], a: Record<string, unknown>): Shape => {
  const [n, c, h, w] = x!;
  return [n!, c!, pooledSize(h!, a["kh"] as number, a["sh"] as number, a["ph"] as number), pooledSize(w!, a["kw"] as number, a["sw"] as number, a["pw"] as number)];
};

export const SPATIAL_OPS: Record<string, OpDef> = {
  // Padding counts as −∞; the gradient goes to the first maximum of each window (row-major), as PyTorch.
  // Only the backward pass needs the argmax, so the forward kernel (and evaluation) writes none: the
  // gradient rule finds it in a kernel of its own, then each input element gathers from the few windows
  // that cover it. On lavapipe, [64, 16, 28, 28], that backward pass took 36–111 ms where re-scanning
  // every covering window per input element took 62–241 ms (kernel 2 stride 2 to kernel 3 stride 1).
  maxpool2d: {
    shape: pooled,
    grad: (g, { id, inputs: [x], attrs }, dy) => {
      const argmax = g.add("maxpool2d_argmax", [x!], g.shape(id), attrs);
      return [g.add("maxpool2d_grad", [argmax, dy], g.shape(x!), { ...attrs, inputShape: g.shape(x!) })];
    },
  },
  // Per output window, the index (within its H×W plane) of its first maximum, as an f32 (exact below 2²⁴).
  maxpool2d_argmax: { shape: pooled },
  maxpool2d_grad: { shape: (_, a) => a["inputShape"] as Shape },
  // Padded zeros count in the divisor (PyTorch's count_include_pad=True), so every window divides by kh·kw.
  avgpool2d: { shape: pooled, grad: (g, { inputs: [x], attrs }, dy) => [g.add("avgpool2d_grad", [dy], g.shape(x!), { ...attrs, inputShape: g.shape(x!) })] },
  avgpool2d_grad: { shape: (_, a) => a["inputShape"] as Shape },
  // Max over groups of k consecutive features; gradient to each group's first maximum.
  maxout: {
    shape: ([x], a) => [x![0]!, (x![1] as number) / (a["k"] as number)],
    grad: (g, { inputs: [x], attrs }, dy) => [g.add("maxout_grad", [x!, dy], g.shape(x!), attrs)],
  },
  maxout_grad: { shape: ([x]) => x! },
  concat: {
    shape: (inputs, a) => {
      const axis = a["axis"] as number;
      const total = inputs.reduce((sum, s) => sum + (s[axis] as number), 0);
      return inputs[0]!.map((d, i) => (i === axis ? total : d));
    },
    grad: (g, { inputs, attrs }, dy) => {
      const axis = attrs["axis"] as number;
      let start = 0;
      return inputs.map((input) => {
        const size = g.shape(input)[axis] as number;
        const slice = g.add("slice", [dy], undefined, { axis, start, size });
        start += size;
        return slice;
      });
    },
  },
  // Elements [start, start + size) along the axis. Only the backward pass of concat makes these, so it has
  // no gradient rule of its own.
  slice: { shape: ([x], a) => x!.map((d, i) => (i === a["axis"] ? (a["size"] as number) : d)) },
  // The same values in a buffer of their own. WGSL kernels that read a shape from an input (matmul's
  // inner size) must not be handed a reshape view, whose buffer belongs to a tensor of another shape.
  materialize: { shape: ([x]) => x!, grad: (g, _node, dy) => [g.add("materialize", [dy])] },
  // Sum (or mean, with attr `mean`) over one axis, which is removed; keepdim is a reshape around it.
  reduce_axis: {
    shape: ([x], a) => x!.filter((_, i) => i !== a["axis"]),
    grad: (g, { inputs: [x], attrs }, dy) => [g.add("reduce_axis_grad", [dy], g.shape(x!), { ...attrs, inputShape: g.shape(x!) })],
  },
  // Broadcasts the reduced gradient back along the axis (divided by its size for a mean).
  reduce_axis_grad: { shape: (_, a) => a["inputShape"] as Shape },
};
