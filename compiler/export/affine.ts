// Per-channel affine maps y = x·s[c] + t[c] along axis 1 (the channel of [N, C, H, W], the unit of [N, M]):
// what an evaluation-mode BatchNorm is, and what every op with one constant, per-channel operand is. Folding
// composes them into the dense or conv before them; RepVGG's identity branch is one.
import type { Tensor } from "../../runtime/cpu/tensor.js";
import type { WorkGraph, WorkNode } from "./work-graph.js";

export interface Affine {
  s: Float64Array;
  t: Float64Array;
}

/** A constant's values per channel of `x` (axis 1), or undefined where it varies along any other axis. */
export function perChannel(c: Tensor, x: (number | "N")[]): Float64Array | undefined {
  if (c.shape.length > x.length || typeof x[1] !== "number") return undefined;
  const channels = x[1];
  const offset = x.length - c.shape.length;
  let axisSize = 1;
  for (let i = 0; i < c.shape.length; i++) {
    const axis = i + offset;
    const d = c.shape[i]!;
    if (d === 1) continue;
    if (axis !== 1 || d !== channels) return undefined;
    axisSize = d;
  }
  const out = new Float64Array(channels);
  for (let k = 0; k < channels; k++) out[k] = c.data[axisSize === 1 ? 0 : k]!;
  return out;
}

/** `node` as an affine map of its input `from`, or undefined. */
export function affineOf(graph: WorkGraph, node: WorkNode, from: number): Affine | undefined {
  const x = graph.nodes[from]!.shape;
  if (typeof x[1] !== "number" || node.shape.join(",") !== x.join(",")) return undefined;
  const channels = x[1];
  const ones = () => new Float64Array(channels).fill(1);
  const zeros = () => new Float64Array(channels);
  const other = (): Float64Array | undefined => {
    const [a, b] = node.inputs;
    const c = a === from ? b : a;
    const value = c === undefined || c === from ? undefined : graph.constant(c);
    return value && perChannel(value, x);
  };
  switch (node.op) {
    case "add": {
      const c = other();
      return c && { s: ones(), t: c };
    }
    case "mul": {
      const c = other();
      return c && { s: c, t: zeros() };
    }
    case "sub": {
      const c = other();
      if (!c) return undefined;
      return node.inputs[0] === from ? { s: ones(), t: c.map((v) => -v) } : { s: ones().map(() => -1), t: c };
    }
    case "div": {
      const c = node.inputs[0] === from ? other() : undefined;
      return c && { s: c.map((v) => 1 / v), t: zeros() };
    }
    case "scale":
      return node.inputs[0] === from ? { s: ones().fill(node.attrs["c"] as number), t: zeros() } : undefined;
    case "norm_apply":
      return node.inputs[0] === from ? runningNorm(graph, node, channels) : undefined;
    default:
      return undefined;
  }
}

/** An evaluation-mode BatchNorm: s = γ/√(var + eps), t = β − mean·s (Caffe's sums divided by their scale first). */
function runningNorm(graph: WorkGraph, node: WorkNode, channels: number): Affine | undefined {
  const a = node.attrs;
  if (a["mode"] !== "batch" || !a["running"] || a["channelAxis"] !== 1) return undefined;
  const values = node.inputs.slice(1).map((i) => graph.constant(i));
  const scaled = Boolean(a["scaled"]);
  // Caffe's scale factor (input 3 when `scaled`) is one number; every other statistic has one per channel.
  if (values.some((v, k) => !v || v.data.length !== (scaled && k === 2 ? 1 : channels))) return undefined;
  const factor = scaled ? values[2]!.data[0]! : 1;
  const [mean, variance] = [values[0]!, values[1]!];
  const first = scaled ? 3 : 2;
  const gamma = a["affine"] ? values[first] : undefined;
  const beta = a["affine"] ? values[first + 1] : undefined;
  const eps = a["eps"] as number;
  const s = new Float64Array(channels);
  const t = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const rstd = 1 / Math.sqrt(variance.data[c]! / factor + eps);
    s[c] = (gamma?.data[c] ?? 1) * rstd;
    t[c] = (beta?.data[c] ?? 0) - (mean.data[c]! / factor) * s[c]!;
  }
  return { s, t };
}
