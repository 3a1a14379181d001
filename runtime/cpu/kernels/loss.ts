// CPU reference of the loss family (compiler/graph/ops/loss.ts), in PyTorch 1.13's formulas: the forward
// values of torch.nn.functional's l1_loss, huber_loss, smooth_l1_loss, binary_cross_entropy (logs clamped at
// −100), binary_cross_entropy_with_logits, kl_div (xlogy: a zero target contributes 0), nll_loss and
// multi_margin_loss, and the gradients their backward kernels compute (bce's divides by max(x(1−x), 1e-12)
// rather than differentiating the clamp, as ATen's binary_cross_entropy_backward does).
import type { Attrs, Kernel } from "../kernels.js";
import { rowsOf } from "../kernels.js";
import { zeros, type Tensor } from "../tensor.js";

/** The clamp PyTorch puts on each log of binary_cross_entropy, so that a saturated probability costs 100. */
export const BCE_LOG_FLOOR = -100;
/**
 * ATen's EPSILON in binary_cross_entropy_backward, the floor of x(1 − x): 1e-12 rounded to f32, the value
 * PyTorch divides by in float64 too (loss.json's x = 1e-50 case).
 */
export const BCE_GRAD_EPSILON = Math.fround(1e-12);

/** The loss of one element x against its target t. */
export function pointwiseValue(kind: string, x: number, t: number, threshold: number): number {
  const d = x - t;
  const z = Math.abs(d);
  switch (kind) {
    case "mae":
      return z;
    case "huber":
      return z < threshold ? 0.5 * d * d : threshold * (z - 0.5 * threshold);
    case "smooth_l1":
      return z < threshold ? (0.5 * d * d) / threshold : z - 0.5 * threshold;
    case "bce":
      return -(t * Math.max(Math.log(x), BCE_LOG_FLOOR) + (1 - t) * Math.max(Math.log(1 - x), BCE_LOG_FLOOR));
    case "bce_logits":
      // max(x, 0) − x·t + log(1 + e^−|x|): no exp of a positive number, so no overflow at any logit.
      return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    case "kl_div":
      return (t === 0 ? 0 : t * Math.log(t)) - t * x;
    default:
      throw new Error(`internal: unknown pointwise loss ${kind}`);
  }
}

/** d loss / dx of one element. */
export function pointwiseGrad(kind: string, x: number, t: number, threshold: number): number {
  const d = x - t;
  switch (kind) {
    case "mae":
      return Math.sign(d);
    case "huber":
      return d < -threshold ? -threshold : d > threshold ? threshold : d;
    case "smooth_l1":
      return d < -threshold ? -1 : d > threshold ? 1 : d / threshold;
    case "bce":
      return d / Math.max((1 - x) * x, BCE_GRAD_EPSILON);
    case "bce_logits":
      return sigmoid(x) - t;
    case "kl_div":
      return -t;
    default:
      throw new Error(`internal: unknown pointwise loss ${kind}`);
  }
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** What the sum is divided by: every element (mean), the rows (batchmean) or nothing (sum). */
export function pointwiseDivisor(reduction: string, x: Tensor): number {
  return reduction === "mean" ? x.data.length : reduction === "batchmean" ? x.shape[0]! : 1;
}

/** The loss of one row of scores against its class label, and (into `grad`, if given) its gradient. */
function classRow(attrs: Attrs, x: Tensor, r: number, cols: number, label: number, grad?: Float64Array | Float32Array, scale = 1): number {
  const base = r * cols;
  if (attrs["kind"] === "nll") {
    if (grad) grad[base + label] = -scale;
    return -x.data[base + label]!;
  }
  const margin = attrs["margin"] as number;
  const own = x.data[base + label]!;
  let loss = 0;
  let active = 0;
  for (let c = 0; c < cols; c++) {
    if (c === label) continue;
    const z = margin - own + x.data[base + c]!;
    if (z > 0) {
      loss += z;
      active++;
      if (grad) grad[base + c] = scale;
    }
  }
  if (grad) grad[base + label] = -scale * active;
  return loss;
}

export const LOSS_KERNELS: Record<string, Kernel> = {
  pointwise_loss: ([x, t], attrs) => {
    const kind = attrs["kind"] as string;
    const threshold = attrs["threshold"] as number;
    let total = 0;
    for (let i = 0; i < x!.data.length; i++) total += pointwiseValue(kind, x!.data[i]!, t!.data[i]!, threshold);
    const out = zeros([], x!.data);
    out.data[0] = total / pointwiseDivisor(attrs["reduction"] as string, x!);
    return out;
  },
  pointwise_loss_grad: ([x, t, g], attrs) => {
    const kind = attrs["kind"] as string;
    const threshold = attrs["threshold"] as number;
    const scale = g!.data[0]! / pointwiseDivisor(attrs["reduction"] as string, x!);
    const out = zeros(x!.shape, x!.data);
    for (let i = 0; i < x!.data.length; i++) out.data[i] = scale * pointwiseGrad(kind, x!.data[i]!, t!.data[i]!, threshold);
    return out;
  },
  class_loss: ([x, labels], attrs) => {
    const [rows, cols] = rowsOf(x!);
    let total = 0;
    for (let r = 0; r < rows; r++) total += classRow(attrs, x!, r, cols, labels!.data[r]!);
    const out = zeros([], x!.data);
    out.data[0] = attrs["reduction"] === "sum" ? total : total / rows;
    return out;
  },
  class_loss_grad: ([x, labels, g], attrs) => {
    const [rows, cols] = rowsOf(x!);
    const scale = g!.data[0]! / (attrs["reduction"] === "sum" ? 1 : rows);
    const out = zeros(x!.shape, x!.data);
    for (let r = 0; r < rows; r++) classRow(attrs, x!, r, cols, labels!.data[r]!, out.data, scale);
    return out;
  },
};
