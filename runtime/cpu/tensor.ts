// Dense row-major tensors for the CPU reference backend, in float32 (training) or float64 (gradient checks).
export type Floats = Float32Array | Float64Array;

export interface Tensor {
  shape: number[];
  data: Floats;
}

export function size(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

export function zeros(shape: number[], like: Floats): Tensor {
  const data = like instanceof Float64Array ? new Float64Array(size(shape)) : new Float32Array(size(shape));
  return { shape, data };
}

/** Strides of `shape` as seen when broadcast to `out` (0 along broadcast axes). */
export function broadcastStrides(shape: number[], out: number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1, j = out.length - 1; i >= 0; i--, j--) {
    strides[j] = shape[i] === 1 && out[j] !== 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

export function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a}] and [${b}]`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Calls `visit(outIndex, aIndex, bIndex)` for every element of the broadcast of a and b to `out`. */
export function forEachBroadcast(out: number[], a: number[], b: number[], visit: (o: number, ia: number, ib: number) => void): void {
  const sa = broadcastStrides(a, out);
  const sb = broadcastStrides(b, out);
  const total = size(out);
  const index = new Array<number>(out.length).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    visit(o, ia, ib);
    for (let axis = out.length - 1; axis >= 0; axis--) {
      index[axis]!++;
      ia += sa[axis]!;
      ib += sb[axis]!;
      if (index[axis]! < out[axis]!) break;
      ia -= sa[axis]! * out[axis]!;
      ib -= sb[axis]! * out[axis]!;
      index[axis] = 0;
    }
  }
}
