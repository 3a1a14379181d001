// CPU reference kernels of the conv family (see runtime/cpu/kernels.ts for the contract): torch's conv2d
// (cross-correlation, zero padding) and its three gradients, all written as the same loop over every tap
// that lands inside the input, so the four can only disagree through the one line each adds.
import type { Attrs, Kernel } from "../kernels.js";
import { zeros, type Tensor } from "../tensor.js";
import { convSizes, type ConvSizes } from "../../conv-sizes.js";

interface Dims extends ConvSizes {
  n: number;
}

/**
 * Calls `tap(xi, wi, yi)` with the flat indices into x [N, Cin, H, W], w [Cout, Cin, kh, kw] and
 * y [N, Cout, OH, OW] of every product x·w that contributes to y (padding taps skipped).
 */
function forEachTap(d: Dims, attrs: Attrs, tap: (xi: number, wi: number, yi: number) => void): void {
  const [sh, sw] = attrs["stride"] as number[];
  const [ph, pw] = attrs["padding"] as number[];
  const [dh, dw] = attrs["dilation"] as number[];
  for (let n = 0; n < d.n; n++)
    for (let co = 0; co < d.cout; co++)
      for (let oh = 0; oh < d.oh; oh++)
        for (let ow = 0; ow < d.ow; ow++) {
          const yi = ((n * d.cout + co) * d.oh + oh) * d.ow + ow;
          for (let ci = 0; ci < d.cin; ci++)
            for (let i = 0; i < d.kh; i++) {
              const ih = oh * sh! - ph! + i * dh!;
              if (ih < 0 || ih >= d.h) continue;
              for (let j = 0; j < d.kw; j++) {
                const iw = ow * sw! - pw! + j * dw!;
                if (iw < 0 || iw >= d.w) continue;
                tap(((n * d.cin + ci) * d.h + ih) * d.w + iw, ((co * d.cin + ci) * d.kh + i) * d.kw + j, yi);
              }
            }
        }
}

function dims(x: number[], w: number[], y: number[]): Dims {
  return { n: x[0]!, ...convSizes(x, w, y) };
}

export const CONV_KERNELS: Record<string, Kernel> = {
  conv2d: ([x, w, bias], attrs, _, shape) => {
    const y = zeros(shape, x!.data);
    const plane = shape[2]! * shape[3]!;
    if (bias) for (let k = 0; k < y.data.length; k++) y.data[k] = bias.data[Math.floor(k / plane) % shape[1]!]!;
    forEachTap(dims(x!.shape, w!.shape, shape), attrs, (xi, wi, yi) => (y.data[yi] = y.data[yi]! + x!.data[xi]! * w!.data[wi]!));
    return y;
  },
  conv2d_grad_input: ([dy, w], attrs, _, shape) => {
    const dx = zeros(shape, dy!.data);
    forEachTap(dims(shape, w!.shape, dy!.shape), attrs, (xi, wi, yi) => (dx.data[xi] = dx.data[xi]! + dy!.data[yi]! * w!.data[wi]!));
    return dx;
  },
  conv2d_grad_weight: ([x, dy], attrs, _, shape) => {
    const dw = zeros(shape, x!.data);
    forEachTap(dims(x!.shape, shape, dy!.shape), attrs, (xi, wi, yi) => (dw.data[wi] = dw.data[wi]! + dy!.data[yi]! * x!.data[xi]!));
    return dw;
  },
  conv2d_grad_bias: ([dy], _, __, shape) => sumPerChannel(dy!, shape),
};

function sumPerChannel(dy: Tensor, shape: number[]): Tensor {
  const db = zeros(shape, dy.data);
  const [n, c, h, w] = dy.shape as [number, number, number, number];
  for (let b = 0; b < n; b++) for (let co = 0; co < c; co++) for (let p = 0; p < h * w; p++) db.data[co] = db.data[co]! + dy.data[(b * c + co) * h * w + p]!;
  return db;
}
