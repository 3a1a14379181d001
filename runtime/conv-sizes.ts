// The sizes of one convolution, as both backends' conv kernels read them from the shapes of x, w and y: the
// CPU reference (runtime/cpu/kernels/conv.ts) and the WGSL emitters (codegen/wgsl/ops/conv.ts).
/** The sizes of one convolution: x [N, Cin, H, W], w [Cout, Cin, kh, kw], y [N, Cout, oh, ow]. */
export interface ConvSizes {
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
}

/** Read from the three shapes (every axis but the batch is static). */
export function convSizes(x: readonly unknown[], w: readonly unknown[], y: readonly unknown[]): ConvSizes {
  const n = (d: unknown) => d as number;
  return { cin: n(x[1]), h: n(x[2]), w: n(x[3]), cout: n(w[0]), kh: n(w[2]), kw: n(w[3]), oh: n(y[2]), ow: n(y[3]) };
}
