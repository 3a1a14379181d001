// Tensor shapes with symbolic dimensions. A dimension is a known size or a symbol such as the batch `N`;
// products of symbols (from flatten) are kept as text like `C*H*W` so messages stay readable.

export type Dim = number | string;
export type Shape = Dim[];

export function formatDim(dim: Dim): string {
  return String(dim);
}

export function formatShape(shape: Shape, dtype = "f32"): string {
  return `${dtype}[${shape.map(formatDim).join(", ")}]`;
}

export function sameDim(a: Dim, b: Dim): boolean {
  return a === b;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]!));
}

export function multiplyDims(dims: Dim[]): Dim {
  if (dims.every((d): d is number => typeof d === "number")) return dims.reduce((p, d) => p * d, 1);
  const known = dims.filter((d): d is number => typeof d === "number").reduce((p, d) => p * d, 1);
  const symbols = dims.filter((d): d is string => typeof d === "string");
  return [...(known === 1 ? [] : [String(known)]), ...symbols].join("*");
}

/** NumPy/PyTorch broadcasting: align from the right; a dimension of 1 stretches. Returns undefined if incompatible. */
export function broadcast(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (sameDim(da, db) || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return undefined;
  }
  return out;
}

/**
 * PyTorch's output size of a convolution or pooling window swept along one axis (floor division, no
 * ceil_mode): the checker, the graph's shape rules and the kernels all size windows with this one formula.
 */
export function windowOutput(size: number, kernel: number, stride: number, padding: number, dilation = 1): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}
