// Per-example classification metrics, defined once: the CPU backend calls these, and the WGSL metrics
// kernel (codegen/wgsl/metrics.ts, emitMetrics) computes the same rule on the device.
import type { Metric } from "./program.js";

/** Top-k accuracy counts the label among the k best scores (torch.topk's usual k = 5). */
export const TOP_K = 5;

/**
 * Whether the argmax of `scores[offset … offset + classes)` is the label (ties go to the first class, as
 * argmax does), and whether fewer than TOP_K classes score strictly higher than the label. A one-column
 * output with a `threshold` (binaryThreshold) is a two-class prediction: class 1 when the score exceeds it.
 */
export function classify(scores: ArrayLike<number>, offset: number, classes: number, label: number, threshold?: number): { correct: boolean; topK: boolean } {
  if (classes === 1 && threshold !== undefined) return { correct: (scores[offset]! > threshold ? 1 : 0) === label, topK: true };
  let best = 0;
  let higher = 0;
  const own = scores[offset + label]!;
  for (let c = 0; c < classes; c++) {
    const score = scores[offset + c]!;
    if (c > 0 && score > scores[offset + best]!) best = c;
    if (score > own) higher++;
  }
  return { correct: best === label, topK: higher < TOP_K };
}

/**
 * The decision threshold of a one-column classifier, from its binary loss (a `pointwise_loss` node): `bce`
 * reads the column as a probability (class 1 above ½), `bce_with_logits` as a logit (above 0). Undefined
 * when the program has no binary loss.
 */
export function binaryThreshold(nodes: readonly { op: string; attrs: Record<string, unknown> }[]): number | undefined {
  const loss = nodes.find((n) => n.op === "pointwise_loss" && (n.attrs["kind"] === "bce" || n.attrs["kind"] === "bce_logits"));
  return loss === undefined ? undefined : loss.attrs["kind"] === "bce" ? 0.5 : 0;
}

/** Whether the monitored metrics need the probe of parameter health at logged steps. */
export function monitorsProbe(monitor: readonly Metric[]): boolean {
  return monitor.includes("update_ratio") || monitor.includes("grad_norm");
}

/** The probe's per-parameter sums turned into what is reported: ‖Δθ‖/‖θ‖ by name and the global ‖g‖. */
export function probeReport(names: string[], sums: ArrayLike<number>): { update_ratio: Record<string, number>; grad_norm: number } {
  const update_ratio: Record<string, number> = {};
  let gradSquares = 0;
  names.forEach((name, k) => {
    const [update, weight, grad] = [sums[3 * k]!, sums[3 * k + 1]!, sums[3 * k + 2]!];
    // A tensor that is all zeros (a bias before its first update) has no ratio.
    if (weight > 0) update_ratio[name] = Math.sqrt(update) / Math.sqrt(weight);
    gradSquares += grad;
  });
  return { update_ratio, grad_norm: Math.sqrt(gradSquares) };
}
