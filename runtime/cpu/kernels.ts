// The CPU reference of every op in the graph IR (compiler/graph/ops.ts): plain loops, written for clarity
// and exactness, not speed. Every WGSL kernel is tested against these.
import { hash4 } from "../rng.js";
import { broadcastShape, forEachBroadcast, zeros, type Tensor } from "./tensor.js";

export type Attrs = Record<string, number | string | boolean | (number | string)[]>;

export interface KernelContext {
  /** Run seed, training step and whether dropout is active (training) for RNG-driven ops. */
  seed: number;
  step: number;
  training: boolean;
  batch: number;
}

export type Kernel = (inputs: Tensor[], attrs: Attrs, ctx: KernelContext, outShape: number[]) => Tensor;

export function map(a: Tensor, f: (x: number, i: number) => number): Tensor {
  const out = zeros(a.shape, a.data);
  for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i]!, i);
  return out;
}

export function zip(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastShape(a.shape, b.shape);
  const out = zeros(shape, a.data);
  forEachBroadcast(shape, a.shape, b.shape, (o, ia, ib) => (out.data[o] = f(a.data[ia]!, b.data[ib]!)));
  return out;
}

/** The lines along `axis` of a tensor: `outer·inner` lines of `size` elements, `inner` apart. */
export function linesAlong(shape: number[], axis: number): { outer: number; size: number; inner: number } {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return { outer, size: shape[axis]!, inner };
}

/** Calls `f(start, stride, size)` for every line along `axis`. */
export function forEachLine(shape: number[], axis: number, f: (start: number, stride: number, size: number) => void): void {
  const { outer, size, inner } = linesAlong(shape, axis);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * size * inner + i, inner, size);
}

export function rowsOf(t: Tensor): [number, number] {
  const cols = t.shape[t.shape.length - 1] ?? 1;
  return [t.data.length / cols, cols];
}

/**
 * The dropout mask value for element i: 0, or 1/(1-p) for kept elements (inverted dropout). The draw is
 * compared as an integer (24 random bits against ⌊p·2²⁴⌋) so f32 and f64 backends drop the same units.
 */
export function dropoutScale(ctx: KernelContext, stream: number, p: number, i: number): number {
  return hash4(ctx.seed, stream, ctx.step, i) >>> 8 < dropoutThreshold(p) ? 0 : 1 / (1 - p);
}

export function dropoutThreshold(p: number): number {
  return Math.floor(p * 16777216);
}

export const KERNELS: Record<string, Kernel> = {
  constant: (_, attrs, __, shape) => {
    const out = zeros(shape, new Float64Array(0));
    out.data.fill(attrs["value"] as number);
    return out;
  },
  matmul: ([a, b], attrs) => {
    const ta = Boolean(attrs["transA"]);
    const tb = Boolean(attrs["transB"]);
    const [n, k] = ta ? [a!.shape[1]!, a!.shape[0]!] : [a!.shape[0]!, a!.shape[1]!];
    const m = tb ? b!.shape[0]! : b!.shape[1]!;
    const out = zeros([n, m], a!.data);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? a!.data[p * n + i]! : a!.data[i * k + p]!;
          const bv = tb ? b!.data[j * k + p]! : b!.data[p * m + j]!;
          sum += av * bv;
        }
        out.data[i * m + j] = sum;
      }
    }
    return out;
  },
  add: ([a, b]) => zip(a!, b!, (x, y) => x + y),
  sub: ([a, b]) => zip(a!, b!, (x, y) => x - y),
  mul: ([a, b]) => zip(a!, b!, (x, y) => x * y),
  div: ([a, b]) => zip(a!, b!, (x, y) => x / y),
  scale: ([a], attrs) => map(a!, (x) => x * (attrs["c"] as number)),
  pow: ([a], attrs) => map(a!, (x) => x ** (attrs["p"] as number)),
  rsqrt: ([a], attrs) => map(a!, (x) => 1 / Math.sqrt(x + (attrs["eps"] as number))),
  sum_to: ([a], _, __, shape) => {
    const out = zeros(shape, a!.data);
    forEachBroadcast(a!.shape, a!.shape, shape, (o, _ia, ib) => (out.data[ib] = out.data[ib]! + a!.data[o]!));
    return out;
  },
  broadcast_to: ([a], _, __, shape) => {
    const out = zeros(shape, a!.data);
    forEachBroadcast(shape, shape, a!.shape, (o, _io, ia) => (out.data[o] = a!.data[ia]!));
    return out;
  },
  mean_batch: ([a]) => {
    const n = a!.shape[0]!;
    const rest = a!.data.length / n;
    const out = zeros(a!.shape.slice(1), a!.data);
    for (let i = 0; i < n; i++) for (let j = 0; j < rest; j++) out.data[j] = out.data[j]! + a!.data[i * rest + j]! / n;
    return out;
  },
  mean_batch_grad: ([g, like]) => {
    const n = like!.shape[0]!;
    const rest = like!.data.length / n;
    const out = zeros(like!.shape, like!.data);
    for (let i = 0; i < n; i++) for (let j = 0; j < rest; j++) out.data[i * rest + j] = g!.data[j]! / n;
    return out;
  },
  relu: ([x]) => map(x!, (v) => (v > 0 ? v : 0)),
  relu_grad: ([x, g]) => map(g!, (v, i) => (x!.data[i]! > 0 ? v : 0)),
  abs: ([x]) => map(x!, (v) => Math.abs(v)),
  abs_grad: ([x, g]) => map(g!, (v, i) => (x!.data[i]! > 0 ? v : x!.data[i]! < 0 ? -v : 0)),
  leaky_relu: ([x], attrs) => map(x!, (v) => (v > 0 ? v : (attrs["alpha"] as number) * v)),
  leaky_relu_grad: ([x, g], attrs) => map(g!, (v, i) => (x!.data[i]! > 0 ? v : (attrs["alpha"] as number) * v)),
  tanh: ([x]) => map(x!, Math.tanh),
  tanh_grad: ([y, g]) => map(g!, (v, i) => v * (1 - y!.data[i]! * y!.data[i]!)),
  sigmoid: ([x]) => map(x!, (v) => 1 / (1 + Math.exp(-v))),
  sigmoid_grad: ([y, g]) => map(g!, (v, i) => v * y!.data[i]! * (1 - y!.data[i]!)),
  softmax: ([x], attrs) => {
    const out = zeros(x!.shape, x!.data);
    forEachLine(x!.shape, attrs["axis"] as number, (start, stride, size) => {
      let max = -Infinity;
      for (let k = 0; k < size; k++) max = Math.max(max, x!.data[start + k * stride]!);
      let sum = 0;
      for (let k = 0; k < size; k++) sum += out.data[start + k * stride] = Math.exp(x!.data[start + k * stride]! - max);
      for (let k = 0; k < size; k++) out.data[start + k * stride] = out.data[start + k * stride]! / sum;
    });
    return out;
  },
  softmax_grad: ([y, g], attrs) => {
    const out = zeros(y!.shape, y!.data);
    forEachLine(y!.shape, attrs["axis"] as number, (start, stride, size) => {
      let dot = 0;
      for (let k = 0; k < size; k++) dot += g!.data[start + k * stride]! * y!.data[start + k * stride]!;
      for (let k = 0; k < size; k++) out.data[start + k * stride] = y!.data[start + k * stride]! * (g!.data[start + k * stride]! - dot);
    });
    return out;
  },
  dropout: ([x], attrs, ctx) => {
    if (!ctx.training) return x!;
    const p = attrs["p"] as number;
    const stream = attrs["stream"] as number;
    return map(x!, (v, i) => v * dropoutScale(ctx, stream, p, i));
  },
  sum_all: ([a]) => {
    const out = zeros([], a!.data);
    let sum = 0;
    for (const v of a!.data) sum += v;
    out.data[0] = sum;
    return out;
  },
  mean_all: ([a]) => {
    const out = zeros([], a!.data);
    let sum = 0;
    for (const v of a!.data) sum += v;
    out.data[0] = sum / a!.data.length;
    return out;
  },
  mean_all_grad: ([g, like]) => map(like!, () => g!.data[0]! / like!.data.length),
  softmax_cross_entropy: ([logits, labels], attrs) => {
    // PyTorch's CrossEntropyLoss with label smoothing ε: target = (1-ε)·onehot + ε/C, on log-softmax.
    const [rows, cols] = rowsOf(logits!);
    const eps = attrs["smoothing"] as number;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, logits!.data[r * cols + c]!);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(logits!.data[r * cols + c]! - max);
      const logSum = Math.log(sum) + max;
      const label = labels!.data[r]!;
      for (let c = 0; c < cols; c++) {
        const target = (c === label ? 1 - eps : 0) + eps / cols;
        total -= target * (logits!.data[r * cols + c]! - logSum);
      }
    }
    const out = zeros([], logits!.data);
    out.data[0] = attrs["reduction"] === "sum" ? total : total / rows;
    return out;
  },
  softmax_cross_entropy_grad: ([logits, labels, g], attrs) => {
    const [rows, cols] = rowsOf(logits!);
    const eps = attrs["smoothing"] as number;
    const scale = g!.data[0]! / (attrs["reduction"] === "sum" ? 1 : rows);
    const out = zeros(logits!.shape, logits!.data);
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, logits!.data[r * cols + c]!);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(logits!.data[r * cols + c]! - max);
      const label = labels!.data[r]!;
      for (let c = 0; c < cols; c++) {
        const target = (c === label ? 1 - eps : 0) + eps / cols;
        out.data[r * cols + c] = scale * (Math.exp(logits!.data[r * cols + c]! - max) / sum - target);
      }
    }
    return out;
  },
  select_mode: ([train, evaluation], _, ctx) => (ctx.training ? train! : evaluation!),
  reshape: ([a], _, __, shape) => ({ shape, data: a!.data }),
};

/** Shapes with the batch symbol bound. */
export function resolveShape(shape: (number | string)[], batch: number): number[] {
  return shape.map((d) => (d === "N" ? batch : (d as number)));
}
