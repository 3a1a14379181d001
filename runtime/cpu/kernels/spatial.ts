// CPU reference kernels of the spatial family (see runtime/cpu/kernels.ts for the contract): pooling,
// maxout, concat/slice and reductions over one axis. Semantics and attrs: compiler/graph/ops/spatial.ts.
import type { Attrs, Kernel } from "../kernels.js";
import { linesAlong } from "../kernels.js";
import { zeros, type Tensor } from "../tensor.js";

interface Window {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

const windowOf = (a: Attrs): Window => ({ kh: a["kh"] as number, kw: a["kw"] as number, sh: a["sh"] as number, sw: a["sw"] as number, ph: a["ph"] as number, pw: a["pw"] as number });

/**
 * The flat index (within one H×W plane) of the first maximum of output window (oh, ow), scanning rows then
 * columns as PyTorch does; padding is −∞, so it never wins. A NaN wins over any number and over an earlier
 * NaN, so a window holding NaN pools to NaN and sends its gradient to its last NaN: PyTorch 1.13's CPU
 * kernel (`val > maxval || std::isnan(val)`, checked in tests/golden/make_pool_golden.py).
 */
function windowArgmax(x: Tensor, plane: number, h: number, w: number, win: Window, oh: number, ow: number): number {
  let best = -1;
  let max = -Infinity;
  for (let dh = 0; dh < win.kh; dh++) {
    const ih = oh * win.sh - win.ph + dh;
    if (ih < 0 || ih >= h) continue;
    for (let dw = 0; dw < win.kw; dw++) {
      const iw = ow * win.sw - win.pw + dw;
      if (iw < 0 || iw >= w) continue;
      const v = x.data[plane + ih * w + iw]!;
      if (best < 0 || v > max || Number.isNaN(v)) {
        max = v;
        best = ih * w + iw;
      }
    }
  }
  return best;
}

/** Calls f(plane offset of the input, plane offset of the output, oh, ow) for every output position. */
function forEachWindow(inShape: number[], outShape: number[], f: (inPlane: number, outPlane: number, oh: number, ow: number) => void): void {
  const [n, c, h, w] = inShape as [number, number, number, number];
  const [, , ho, wo] = outShape as [number, number, number, number];
  for (let p = 0; p < n * c; p++) for (let oh = 0; oh < ho; oh++) for (let ow = 0; ow < wo; ow++) f(p * h * w, p * ho * wo, oh, ow);
}

/** The first maximum of each group of k consecutive features of row r: its column. */
function groupArgmax(x: Tensor, r: number, group: number, k: number, features: number): number {
  let best = group * k;
  for (let j = best + 1; j < (group + 1) * k; j++) if (x.data[r * features + j]! > x.data[r * features + best]!) best = j;
  return best;
}

export const SPATIAL_KERNELS: Record<string, Kernel> = {
  maxpool2d: ([x], attrs, _, shape) => {
    const win = windowOf(attrs);
    const [, , h, w] = x!.shape as [number, number, number, number];
    const out = zeros(shape, x!.data);
    forEachWindow(x!.shape, shape, (inPlane, outPlane, oh, ow) => {
      const best = windowArgmax(x!, inPlane, h, w, win, oh, ow);
      out.data[outPlane + oh * shape[3]! + ow] = best < 0 ? -Infinity : x!.data[inPlane + best]!;
    });
    return out;
  },
  maxpool2d_argmax: ([x], attrs, _, shape) => {
    const win = windowOf(attrs);
    const [, , h, w] = x!.shape as [number, number, number, number];
    const out = zeros(shape, x!.data);
    forEachWindow(x!.shape, shape, (inPlane, outPlane, oh, ow) => (out.data[outPlane + oh * shape[3]! + ow] = windowArgmax(x!, inPlane, h, w, win, oh, ow)));
    return out;
  },
  maxpool2d_grad: ([argmax, dy], _, __, shape) => {
    const out = zeros(shape, dy!.data);
    forEachWindow(shape, dy!.shape, (inPlane, outPlane, oh, ow) => {
      const o = outPlane + oh * dy!.shape[3]! + ow;
      const best = argmax!.data[o]!;
      if (best >= 0) out.data[inPlane + best] = out.data[inPlane + best]! + dy!.data[o]!;
    });
    return out;
  },
  avgpool2d: ([x], attrs, _, shape) => {
    const win = windowOf(attrs);
    const [, , h, w] = x!.shape as [number, number, number, number];
    const out = zeros(shape, x!.data);
    forEachWindow(x!.shape, shape, (inPlane, outPlane, oh, ow) => {
      let sum = 0;
      for (let dh = 0; dh < win.kh; dh++) {
        const ih = oh * win.sh - win.ph + dh;
        for (let dw = 0; dw < win.kw; dw++) {
          const iw = ow * win.sw - win.pw + dw;
          if (ih >= 0 && ih < h && iw >= 0 && iw < w) sum += x!.data[inPlane + ih * w + iw]!;
        }
      }
      out.data[outPlane + oh * shape[3]! + ow] = sum / (win.kh * win.kw);
    });
    return out;
  },
  avgpool2d_grad: ([dy], attrs, _, shape) => {
    const win = windowOf(attrs);
    const [, , h, w] = shape as [number, number, number, number];
    const out = zeros(shape, dy!.data);
    forEachWindow(shape, dy!.shape, (inPlane, outPlane, oh, ow) => {
      const share = dy!.data[outPlane + oh * dy!.shape[3]! + ow]! / (win.kh * win.kw);
      for (let dh = 0; dh < win.kh; dh++) {
        const ih = oh * win.sh - win.ph + dh;
        for (let dw = 0; dw < win.kw; dw++) {
          const iw = ow * win.sw - win.pw + dw;
          if (ih >= 0 && ih < h && iw >= 0 && iw < w) out.data[inPlane + ih * w + iw] = out.data[inPlane + ih * w + iw]! + share;
        }
      }
    });
    return out;
  },
  maxout: ([x], attrs, _, shape) => {
    const k = attrs["k"] as number;
    const [rows, features] = x!.shape as [number, number];
    const out = zeros(shape, x!.data);
    for (let r = 0; r < rows; r++) for (let g = 0; g < features / k; g++) out.data[r * (features / k) + g] = x!.data[r * features + groupArgmax(x!, r, g, k, features)]!;
    return out;
  },
  maxout_grad: ([x, dy], attrs) => {
    const k = attrs["k"] as number;
    const [rows, features] = x!.shape as [number, number];
    const out = zeros(x!.shape, x!.data);
    for (let r = 0; r < rows; r++) for (let g = 0; g < features / k; g++) out.data[r * features + groupArgmax(x!, r, g, k, features)] = dy!.data[r * (features / k) + g]!;
    return out;
  },
  concat: (inputs, attrs, _, shape) => {
    const axis = attrs["axis"] as number;
    const { outer, size, inner } = linesAlong(shape, axis);
    const out = zeros(shape, inputs[0]!.data);
    let offset = 0;
    for (const x of inputs) {
      const part = x.shape[axis]! * inner;
      for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * part, (o + 1) * part), o * size * inner + offset);
      offset += part;
    }
    return out;
  },
  slice: ([x], attrs, _, shape) => {
    const axis = attrs["axis"] as number;
    const { outer, size, inner } = linesAlong(x!.shape, axis);
    const part = (attrs["size"] as number) * inner;
    const start = (attrs["start"] as number) * inner;
    const out = zeros(shape, x!.data);
    for (let o = 0; o < outer; o++) out.data.set(x!.data.subarray(o * size * inner + start, o * size * inner + start + part), o * part);
    return out;
  },
  materialize: ([x]) => ({ shape: x!.shape, data: x!.data.slice() }),
  reduce_axis: ([x], attrs, _, shape) => {
    const axis = attrs["axis"] as number;
    const { outer, size, inner } = linesAlong(x!.shape, axis);
    const out = zeros(shape, x!.data);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += x!.data[(o * size + k) * inner + i]!;
        out.data[o * inner + i] = attrs["mean"] ? sum / size : sum;
      }
    }
    return out;
  },
  reduce_axis_grad: ([dy], attrs, _, shape) => {
    const { outer, size, inner } = linesAlong(shape, attrs["axis"] as number);
    const out = zeros(shape, dy!.data);
    const scale = attrs["mean"] ? 1 / size : 1;
    for (let o = 0; o < outer; o++) for (let k = 0; k < size; k++) for (let i = 0; i < inner; i++) out.data[(o * size + k) * inner + i] = dy!.data[o * inner + i]! * scale;
    return out;
  },
};
