// Graph ops of the conv family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
// conv2d is torch.nn.functional.conv2d (cross-correlation) on x [N, Cin, H, W] and w [Cout, Cin, kh, kw],
// with an optional bias [Cout] as third input (so the bias lands in the conv kernel's epilogue and its
// gradient is one reduction per channel, not a generic sum_to). Attributes `stride`, `padding` and
// `dilation` are [h, w] pairs. Its gradients are convolutions of their own (transposed for the input), so no
// im2col buffer or transposed copy of anything is ever built.
import type { Attrs, Dim, Shape } from "../ir.js";
import { windowOutput } from "../../check/shapes.js";
import type { OpDef } from "../ops.js";

export interface ConvGeometry {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

export function convGeometry(attrs: Record<string, unknown>): ConvGeometry {
  const pair = (name: string) => attrs[name] as [number, number];
  return { stride: pair("stride"), padding: pair("padding"), dilation: pair("dilation") };
}


const geometryAttrs = (attrs: Attrs): Attrs => ({ stride: attrs["stride"]!, padding: attrs["padding"]!, dilation: attrs["dilation"]! });

export const CONV_OPS: Record<string, OpDef> = {
  conv2d: {
    shape: ([x, w], attrs) => {
      const { stride, padding, dilation } = convGeometry(attrs);
      const axis = (k: 0 | 1): Dim => windowOutput(x![2 + k] as number, w![2 + k] as number, stride[k], padding[k], dilation[k]);
      return [x![0]!, w![0]!, axis(0), axis(1)];
    },
    grad: (g, { inputs: [x, w, bias], attrs }, dy) => {
      const xs = g.shape(x!);
      const ws = g.shape(w!);
      const dx = g.add("conv2d_grad_input", [dy, w!], undefined, { ...geometryAttrs(attrs), size: [xs[2]!, xs[3]!] });
      const dw = g.add("conv2d_grad_weight", [x!, dy], undefined, { ...geometryAttrs(attrs), kernel: [ws[2]!, ws[3]!] });
      return bias === undefined ? [dx, dw] : [dx, dw, g.add("conv2d_grad_bias", [dy])];
    },
  },
  // dx = the transposed convolution of dy with w; attrs `size` = [H, W] of x (not recoverable from dy).
  conv2d_grad_input: { shape: ([dy, w], attrs) => [dy![0]!, w![1]!, ...(attrs["size"] as Dim[])] as Shape },
  // dw[co, ci, i, j] = Σ over batch and output positions of dy·x; attrs `kernel` = [kh, kw].
  conv2d_grad_weight: { shape: ([x, dy], attrs) => [dy![1]!, x![1]!, ...(attrs["kernel"] as Dim[])] as Shape },
  // db[co] = Σ over batch and output positions of dy.
  conv2d_grad_bias: { shape: ([dy]) => [dy![1]!] },
};
